"""Shared helpers of the row-table imports (accounts, contacts, interviews):
finding columns by alias, collecting problems, parsing dates, the result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxgap.errors import InputError, Problem
from cxgap.ingest.mapping import normalise
from cxgap.ingest.responses import ProblemRecord, problem_records
from cxgap.ingest.tables import file_row, read_yaml_file, without_missing_tokens


class TableMapping(BaseModel):
    """Mapping file of a row-table import: ``columns`` (field: header in the
    file), ``segments``/``teams`` (word: key) and ``date_format``."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict)
    segments: dict[str, str] = Field(default_factory=dict)
    teams: dict[str, str] = Field(default_factory=dict)
    date_format: str | None = None


def load_table_mapping(path: str | Path | None) -> TableMapping:
    if path is None:
        return TableMapping()
    name = str(path)
    data = read_yaml_file(path) or {}
    try:
        return TableMapping.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(name, None, ".".join(map(str, e["loc"])), e.get("input"), e["msg"])
                for e in exc.errors()
            ]
        ) from None


class RowsImport(BaseModel):
    """What an import of accounts, contacts or interview notes did."""

    file: str
    dry_run: bool
    rows: int
    valid: int
    skipped: int
    inserted: int | None
    updated: int | None
    problems: list[ProblemRecord]
    #: Events through a preset: tickets left out as having no outcome yet.
    open: int | None = None

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def locate(
    frame: pd.DataFrame,
    aliases: Mapping[str, Sequence[str]],
    mapping: TableMapping,
    required: Sequence[str],
    file: str,
) -> dict[str, str]:
    """Field -> column of ``frame``, by the mapping file or by alias."""
    by_norm = {normalise(c): c for c in frame.columns}
    found: dict[str, str] = {}
    problems = []
    for fld, names in aliases.items():
        if fld in mapping.columns:
            col = by_norm.get(normalise(mapping.columns[fld]))
            if col is None:
                problems.append(
                    Problem(file, None, mapping.columns[fld], None, f"a column (mapped to {fld})")
                )
            else:
                found[fld] = col
            continue
        for alias in (fld, *names):
            if normalise(alias) in by_norm:
                found[fld] = by_norm[normalise(alias)]
                break
        else:
            if fld in required:
                have = ", ".join(map(repr, list(frame.columns)[:15]))
                problems.append(
                    Problem(file, None, fld, None, f"a column for {fld} (columns: {have})")
                )
    unknown = [k for k in mapping.columns if k not in aliases]
    problems += [
        Problem(file, None, f"columns.{k}", k, "one of " + ", ".join(aliases)) for k in unknown
    ]
    if problems:
        raise InputError(problems)
    return found


@dataclass
class Checker:
    """Collects cell problems and the rows they make invalid."""

    frame: pd.DataFrame
    file: str
    problems: list[Problem] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bad = np.zeros(len(self.frame), dtype=bool)

    def flag(self, mask: Any, column: str, values: pd.Series, expected: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        for i in np.flatnonzero(mask):
            v = values.iloc[int(i)]
            self.problems.append(
                Problem(
                    self.file,
                    file_row(self.frame, int(i)),
                    column,
                    None if v is None or (isinstance(v, float) and np.isnan(v)) else v,
                    expected,
                )
            )
        self.bad |= mask

    def finish(self, *, skip_invalid: bool, dry_run: bool) -> list[Problem]:
        """Raise unless the problems may be skipped; return them sorted by row."""
        if self.file_problems and not dry_run:
            raise InputError(self.file_problems)
        self.problems.sort(key=lambda p: p.row or 0)
        if self.problems and not (skip_invalid or dry_run):
            raise InputError(self.problems)
        return self.file_problems + self.problems


def text(series: pd.Series) -> pd.Series:
    """Cells as stripped text; ``None`` (what the database driver takes) when empty."""
    out = series.astype("string").str.strip()
    out = out.mask(out == "").astype(object)
    return out.where(out.notna(), None).reset_index(drop=True)


def dates(
    raw: pd.Series, fmt: str | None, check: Checker, column: str, *, not_after: pd.Timestamp
) -> pd.Series:
    """Parse dates (ISO 8601, or ``fmt``); flag unparseable and future ones.
    A cell of :data:`~cxgap.ingest.tables.MISSING_TOKENS` is no date."""
    raw = without_missing_tokens(raw)
    if fmt:
        try:
            parsed = pd.to_datetime(raw, format=fmt, errors="coerce")
        except ValueError as exc:  # a format pandas cannot use ("%Q", a lone "%")
            raise InputError(
                [Problem(check.file, None, column, fmt, f"a date format of strftime codes ({exc})")]
            ) from None
    else:
        parsed = pd.to_datetime(raw, format="ISO8601", errors="coerce", utc=True).dt.tz_convert(
            None
        )
    parsed = parsed.dt.normalize()
    expected = f"a date ({fmt})" if fmt else "a date (YYYY-MM-DD)"
    check.flag((raw.notna() & parsed.isna()).to_numpy(), column, raw, expected)
    late = (parsed > not_after).fillna(False).to_numpy(dtype=bool)
    check.flag(late, column, raw, f"a date on or before {not_after:%Y-%m-%d}")
    return parsed.where(~pd.Series(late), pd.NaT)


def vocabulary(pairs: Mapping[str, str], *extra: Mapping[str, str]) -> dict[str, str]:
    out = {normalise(k): v for k, v in pairs.items()}
    for more in extra:
        out.update({normalise(k): v for k, v in more.items()})
    return out


def records(problems: list[Problem]) -> list[ProblemRecord]:
    return problem_records(problems)
