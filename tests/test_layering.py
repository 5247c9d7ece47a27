"""The layers of src/cxgap import only downwards (docs/DEVELOPMENT.md, "Map of
the tree"): every ``import`` of every module, including those inside
functions, is checked against the table below."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cxgap"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "DEVELOPMENT.md"

# What each top-level package (or root module) may import from cxgap.
# "cxgap" is the package's face (its __init__: __version__).
_BASE = {"errors", "settings", "contracts", "study"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "settings": {"errors"},
    "contracts": {"errors"},
    "study": {"errors", "contracts"},
    "analysis": {"errors", "contracts", "study"},
    "store": _BASE,
    "ingest": _BASE | {"store"},
    "demo": _BASE | {"store", "ingest", "service"},
    "invite": _BASE | {"store", "ingest"},
    "operations": _BASE | {"cxgap", "store"},
    "service": _BASE | {"store", "ingest", "analysis"},
    "notify": _BASE | {"store", "invite", "analysis", "service"},
    "report": _BASE | {"store", "analysis", "service"},
    "web": _BASE
    | {"cxgap", "store", "ingest", "invite", "analysis", "service", "notify", "report"},
    "cli": _BASE
    | {"cxgap", "store", "ingest", "invite", "demo", "analysis", "service", "notify"}
    | {"operations", "report", "web"},
    "docs_gen": {"analysis", "cli", "settings"},
    "__main__": {"cli"},
    "__init__": {"errors", "settings", "study"},
}

# Inside cxgap.analysis: the method's order. The study-level assembly
# (analysis/study.py) sits on top and nothing imports it.
ANALYSIS_ALLOWED: dict[str, set[str]] = {
    "perception": set(),
    "drivers": {"perception"},
    "voice": {"perception"},
    "ledger": set(),
    "plan": {"perception", "drivers", "voice"},
    "study": {"perception", "drivers", "voice", "ledger", "plan"},
}
SHARED_IN_ANALYSIS = {"_base", "_lazy"}


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every cxgap import in ``path``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "cxgap":
                for alias in node.names:
                    yield node.lineno, f"cxgap.{alias.name}"
            elif node.module.startswith("cxgap."):
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cxgap."):
                    yield node.lineno, alias.name


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def _layer(parts: tuple[str, ...]) -> str:
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _target(module: str) -> str:
    parts = module.split(".")[1:]
    name = parts[0]
    if (SRC / name).is_dir() or (SRC / f"{name}.py").is_file():
        return name
    return "cxgap"  # an attribute of the package's face, such as __version__


def violations() -> list[str]:
    found = []
    for path in _modules():
        rel = path.relative_to(SRC)
        layer = _layer(rel.parts)
        for line, module in _imports(path):
            target = _target(module)
            if target != layer and target not in ALLOWED[layer]:
                found.append(f"{rel}:{line} ({layer}) imports {module} ({target})")
            if layer == "analysis" and target == "analysis" and len(rel.parts) > 1:
                here = _layer(rel.parts[1:])
                there = module.split(".")[2]
                if there != here and there not in SHARED_IN_ANALYSIS | ANALYSIS_ALLOWED[here]:
                    found.append(f"{rel}:{line} (analysis.{here}) imports {module}")
    return found


def test_every_module_imports_only_from_the_layers_below() -> None:
    assert violations() == []


def test_every_package_has_a_row_in_the_table() -> None:
    layers = {_layer(p.relative_to(SRC).parts) for p in _modules()}
    assert layers == set(ALLOWED)
    sub = {p.name for p in (SRC / "analysis").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert sub | {"study"} == set(ANALYSIS_ALLOWED)


@pytest.mark.parametrize("layer", sorted(set(ALLOWED) - {"__main__", "__init__", "docs_gen"}))
def test_the_map_of_the_tree_describes_every_package(layer: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Map of the tree", 1)[1].split("\n## ", 1)[0]
    assert f"`{layer}" in section, f"docs/DEVELOPMENT.md's map does not describe {layer}"


def test_the_check_finds_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "cxgap"
    for name in ("store", "analysis/perception", "analysis/ledger"):
        (fake / name).mkdir(parents=True)
    (fake / "store" / "bad.py").write_text(
        "def f():\n    from cxgap.analysis.perception.gaps import gap_matrix\n"
    )
    (fake / "analysis" / "perception" / "worse.py").write_text(
        "from cxgap.analysis.ledger.balance import score_events\n"
    )
    (fake / "analysis" / "ledger" / "balance.py").write_text("")
    monkeypatch.setattr(f"{__name__}.SRC", fake)
    assert violations() == [
        "analysis/perception/worse.py:1 (analysis.perception) imports"
        " cxgap.analysis.ledger.balance",
        "store/bad.py:2 (store) imports cxgap.analysis.perception.gaps (analysis)",
    ]
