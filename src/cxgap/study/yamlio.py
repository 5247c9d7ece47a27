"""The study definition as a YAML file: export, edit, apply.

Errors name the file, the key path inside it (``factors[2].key``) and what
was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cxgap.errors import StudyFileError
from cxgap.study.model import StudyDefinition

_HEADER = """\
# cxgap study definition. Edit, then run: cxgap study apply {file}
# Keys are lower-case identifiers; labels and texts are free. Question keys
# follow the convention in docs/DATA_MODEL.md (perf.<factor>, tp.<touchpoint>, ...).
"""


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def to_yaml(definition: StudyDefinition, *, file: str = "study.yaml") -> str:
    """The definition as commented YAML, in a stable key order."""
    data = definition.model_dump(mode="json", exclude_none=True)
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return _HEADER.format(file=file) + body


def write_yaml(definition: StudyDefinition, path: str | Path) -> None:
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(to_yaml(definition, file=p.name), encoding="utf-8")
    tmp.replace(p)  # atomic: never a half-written study file


def from_mapping(data: Any, *, file: str) -> StudyDefinition:
    """Validate parsed YAML/JSON data as a study definition."""
    if not isinstance(data, dict):
        raise StudyFileError(file, "", "a mapping of study keys (slug, name, factors, ...)")
    try:
        return StudyDefinition.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = _loc(tuple(err["loc"]))
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "this key is required"
        elif err["type"] == "extra_forbidden":
            msg = "an unknown key (remove it or check its spelling)"
        elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
            msg = f"{msg} (got {err['input']!r})"
        if not path:
            # Cross-reference checks name their location at the start of the message.
            m = re.match(r"^([a-z_]+(?:\[\d+\])?)(?: \([^)]*\))?: (.*)$", msg)
            if m:
                path, msg = m.group(1), m.group(2)
        more = len(exc.errors()) - 1
        if more:
            msg += f" (and {more} more problem(s))"
        raise StudyFileError(file, path, msg) from None


def read_yaml(path: str | Path) -> StudyDefinition:
    """Read and validate a study file."""
    p = Path(path)
    name = str(path)
    if not p.is_file():
        raise StudyFileError(name, "", "an existing YAML file")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StudyFileError(name, where, f"valid YAML ({getattr(exc, 'problem', exc)})") from None
    except UnicodeDecodeError:
        raise StudyFileError(name, "", "a UTF-8 text file") from None
    return from_mapping(data, file=name)
