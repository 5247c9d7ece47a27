"""Rules the test suite keeps so that the README's test command is green on a
fresh machine: skips only for what the README does not install, browser tests
that do not depend on the page's Content-Security-Policy, real data kept with
its sources, and an install pinned by the constraints file."""

from __future__ import annotations

import ast
import hashlib
import importlib
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.realdata import IN_REPOSITORY, KEPT, NOT_COPIED
from tests.skips import OPTIONAL_DOCTESTS

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = """
import pytest
from tests.skips import skip_optional, skip_service

def test_needs_a_package():
    pytest.skip("the package aiosmtpd is not installed")

def test_needs_a_server():
    skip_service("postgres", "no PostgreSQL server at 127.0.0.1:5432")

def test_needs_data_not_copied_here():
    skip_optional("real data set x.csv is not in this clone")

@pytest.mark.optional("an extra")
@pytest.mark.skipif(True, reason="the extra is not installed")
def test_needs_an_extra():
    pass

@pytest.mark.xfail(strict=True)
def test_expected_to_fail():
    assert False

def test_runs():
    assert True
"""


def _run_sample(
    tmp_path: Path, *, require_all: bool, unavailable: str = ""
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers =\n    optional(what): needs an extra\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXGAP_")}
    if require_all:
        env["CXGAP_REQUIRE_ALL_TESTS"] = "1"
    env["CXGAP_UNAVAILABLE_SERVICES"] = unavailable
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "tests.skips", "-p", "no:cacheprovider"),
            *("-q", "-rA", "-c", str(tmp_path / "pytest.ini"), str(tmp_path / "test_sample.py")),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_skip_for_an_installed_service_fails_when_every_test_must_run(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, require_all=True)
    assert done.returncode == 1, done.stdout
    assert "2 failed, 1 passed, 2 skipped, 1 xfailed" in done.stdout
    assert re.search(r"FAILED .*test_needs_a_server", done.stdout)
    assert re.search(r"FAILED .*test_needs_a_package", done.stdout)
    assert "no PostgreSQL server at 127.0.0.1:5432" in done.stdout
    assert "this test needs only what the README installs" in done.stdout


def test_a_server_ci_could_not_start_may_skip(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, require_all=True, unavailable="redis postgres")
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed, 3 skipped, 1 xfailed" in done.stdout
    assert re.search(r"FAILED .*test_needs_a_package", done.stdout)


def test_every_skip_is_allowed_in_an_ordinary_run(tmp_path: Path) -> None:
    done = _run_sample(tmp_path, require_all=False)
    assert done.returncode == 0, done.stdout
    assert "1 passed, 4 skipped, 1 xfailed" in done.stdout


def _string_scripts(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that hand the page a string of JavaScript that is not a function."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name == "wait_for_function":
            found.append((node.lineno, name))  # polls inside the page: CSP refuses it
        elif name in {"evaluate", "evaluate_handle"} and node.args:
            script = node.args[0]
            is_text = isinstance(script, ast.Constant) and isinstance(script.value, str)
            if is_text and not re.match(r"\s*(\(|function\b|\w+\s*=>)", script.value):
                found.append((node.lineno, name))
    return found


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests" / "browser").glob("*.py")), ids=lambda p: p.name
)
def test_browser_tests_hand_the_page_functions_not_strings(path: Path) -> None:
    """The app's CSP (script-src 'self') refuses a string evaluated as JavaScript
    inside the page, as ``wait_for_function`` does while it polls; Playwright's
    retrying ``expect`` or a function passed to ``evaluate`` never needs that."""
    assert _string_scripts(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_rule_finds_a_polled_string() -> None:
    tree = ast.parse(
        textwrap.dedent(
            """
            page.wait_for_function("document.activeElement.id === 'x'")
            page.evaluate("document.documentElement.scrollWidth")
            page.evaluate("() => document.documentElement.scrollWidth")
            page.evaluate("els => els.length", [])
            """
        )
    )
    assert _string_scripts(tree) == [(2, "wait_for_function"), (3, "evaluate")]


def test_real_data_kept_here_is_listed_with_its_source() -> None:
    sources = (ROOT / "tests" / "data" / "SOURCES.md").read_text(encoding="utf-8")
    kept = sorted(p.name for p in IN_REPOSITORY.iterdir())
    assert kept == sorted(KEPT)
    for name in kept:
        assert f"`real/{name}`" in sources, f"{name} is not in tests/data/SOURCES.md"
        digest = hashlib.sha256((IN_REPOSITORY / name).read_bytes()).hexdigest()
        assert digest == KEPT[name], f"{name} differs from its source"
        assert f"`{digest[:8]}…{digest[-8:]}`" in sources
    for name in NOT_COPIED:
        assert not (IN_REPOSITORY / name).exists(), f"{name} has no licence to be copied"
        assert f"`{name}`" in sources, f"SOURCES.md does not say why {name} is not here"


def _locked() -> dict[str, list[tuple[Version, str]]]:
    """Each pinned package of requirements/constraints.txt: its versions and markers."""
    pins: dict[str, list[tuple[Version, str]]] = {}
    text = (ROOT / "requirements" / "constraints.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"not pinned: {line}"
        pins.setdefault(canonicalize_name(req.name), []).append(
            (Version(spec.version), str(req.marker or ""))
        )
    return pins


def test_every_dependency_is_pinned_in_the_constraints_file_within_its_range() -> None:
    """The constraints file must be refreshed (scripts/lock) when pyproject.toml
    changes a dependency the README's commands install."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in ("test", "pdf", "redis"):
        wanted += project["optional-dependencies"][extra]
    pins = _locked()
    for line in wanted:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in requirements/constraints.txt: run scripts/lock"
        for version, marker in pins[name]:
            assert req.specifier.contains(version, prereleases=True), (
                f"{req.name}=={version} ({marker or 'every platform'}) is outside {line!r}:"
                " run scripts/lock"
            )


@pytest.mark.parametrize("name", sorted(OPTIONAL_DOCTESTS))
def test_doctests_allowed_to_skip_exist_and_skip_every_example(name: str) -> None:
    module_name, _, function = name.rpartition(".")
    doc = getattr(importlib.import_module(module_name), function).__doc__
    examples = [line for line in doc.splitlines() if line.strip().startswith(">>>")]
    assert examples, f"{name} has no examples"
    assert all("+SKIP" in line for line in examples), f"{name} runs some examples: drop it"
