"""Fuzzing the quick analyses of a file (``cxgap nps``, ``compare``,
``drivers``, ``themes``, ``ledger FILE``): a result or one clear error line,
never a traceback; a JSON result parses and its n values match the rows.

Each example builds a table of labelled cells (valid, invalid or empty, so
the expected counts are known without the code under test), writes it as a
plain CSV, or breaks it further with ``tests/hostile.py`` (then only the
no-traceback property is checked).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.ingest.tables import MISSING_TOKENS
from cxgap.study.defaults import MOMENTS
from tests.hostile import FUZZ, HOSTILE_CELLS, assert_clear_cli, hostile_files

runner = CliRunner()


@dataclass(frozen=True)
class Cell:
    """A cell and what the documented rules make of it."""

    text: str
    kind: str  # "valid", "invalid" or "empty"


def _cells(
    valid: st.SearchStrategy[str], invalid: st.SearchStrategy[str]
) -> st.SearchStrategy[Cell]:
    return st.one_of(
        valid.map(lambda v: Cell(v, "valid")),
        valid.map(lambda v: Cell(f" {v}  ", "valid")),
        invalid.map(lambda v: Cell(v, "invalid")),
        # Empty, or a missing-value token (cxgap.ingest.tables.MISSING_TOKENS).
        st.sampled_from(["", " ", "  ", "NA", " N/A ", "n/a", "NaN", "nan", "n.a.", "#N/A"]).map(
            lambda v: Cell(v, "empty")
        ),
    )


#: Words that no reading turns into a number.
_WORDS = st.sampled_from(
    ["nine", "x", "N/A!", "n.a.x", "<b>5</b>", "=1+1", "@SUM(A1)", "[/]", "[bold]7", "5 stars",
     "1,5", "7-8", "nan5", "None", "inf", "-inf", "1e309", "yes", "."]
)  # fmt: skip
scores = _cells(
    st.integers(0, 10).map(str) | st.sampled_from(["10.0", "+9", "0.0"]),
    _WORDS | st.sampled_from(["11", "-1", "7.5", "100", "-0.5", "99999999999999999999"]),
)
ratings = _cells(
    st.integers(1, 5).map(str) | st.sampled_from(["2.5", "4.75", "1.0"]),
    _WORDS | st.sampled_from(["0", "6", "-3", "5.01", "1e3"]),
)
numbers = _cells(
    st.integers(-50, 50).map(str) | st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: f"{f:.3f}"),
    _WORDS,
)
labels = st.sampled_from(
    ["North", "South", " North ", "East", "[bold]West", "[/]", "<i>x</i>", "=A1", "Ö" * 80, "",
     " ", "5", "n/a"]
)  # fmt: skip


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _label(text: str) -> str | None:
    return text.strip() or None


def _run(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args)
    assert_clear_cli(result, None)
    return result.exit_code, result.stdout


@st.composite
def files_of(draw: st.DrawFn, rows: list[list[str]]) -> tuple[bytes, str, bool]:
    """(bytes, suffix, intact): the table as a plain CSV, or broken further."""
    if draw(st.integers(0, 3)) == 0:
        broken = draw(hostile_files(rows))
        return broken.data, broken.suffix, False
    return _csv(rows), ".csv", True


@FUZZ
@given(
    data=st.lists(st.tuples(scores, labels), min_size=0, max_size=40).flatmap(
        lambda rows: st.tuples(
            st.just(rows), files_of([["ltr", "Region"], *[[s.text, g] for s, g in rows]])
        )
    ),
    by=st.booleans(),
    drop_invalid=st.booleans(),
    method=st.sampled_from(["adjusted-wald", "wald", "bootstrap"]),
    as_json=st.booleans(),
    column=st.sampled_from(["ltr", "ltr", "ltr", "LTR", "Region"]),
)
def test_nps_of_any_file_is_a_result_or_one_clear_error(
    data: tuple[list[tuple[Cell, str]], tuple[bytes, str, bool]],
    by: bool,
    drop_invalid: bool,
    method: str,
    as_json: bool,
    column: str,
) -> None:
    rows, (content, suffix, intact) = data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"scores{suffix}"
        path.write_bytes(content)
        args = ["nps", str(path), "--column", column, "--method", method]
        args += ["--by", "Region"] * by + ["--drop-invalid"] * drop_invalid + ["--json"] * as_json
        code, out = _run(args)
    if not intact or column != "ltr":
        return
    kinds = Counter(s.kind for s, _ in rows)
    if (kinds["invalid"] and not drop_invalid) or not kinds["valid"]:
        assert code == 2
        return
    if max(float(s.text) for s, _ in rows if s.kind == "valid") <= 5:
        assert code == 2  # no 0-10 scale: refused without --scale-checked
        return
    assert code == 0
    if not as_json:
        return
    result = json.loads(out)
    if not by:
        assert result["n"] == kinds["valid"]
        assert result["promoters"] + result["passives"] + result["detractors"] == result["n"]
        return
    expected = Counter(_label(g) for s, g in rows if s.kind == "valid" and _label(g))
    assert {g["group"]: g["n"] for g in result["groups"]} == dict(expected)


@FUZZ
@given(
    data=st.lists(st.tuples(labels, ratings, ratings), min_size=0, max_size=40).flatmap(
        lambda rows: st.tuples(
            st.just(rows),
            files_of([["Type", "Comfort", "Clean"], *[[g, a.text, b.text] for g, a, b in rows]]),
        )
    ),
    drop_invalid=st.booleans(),
    as_json=st.booleans(),
    na_value=st.booleans(),
    items=st.sampled_from(["Comfort,Clean", "Comfort", "Comfort,Nope", ",", "Clean,Clean"]),
)
def test_compare_of_any_file_is_a_result_or_one_clear_error(
    data: tuple[list[tuple[str, Cell, Cell]], tuple[bytes, str, bool]],
    drop_invalid: bool,
    as_json: bool,
    na_value: bool,
    items: str,
) -> None:
    rows, (content, suffix, intact) = data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"ratings{suffix}"
        path.write_bytes(content)
        args = ["compare", str(path), "--group", "Type", "--items", items]
        args += ["--na-value", "99"] * na_value
        args += ["--drop-invalid"] * drop_invalid + ["--json"] * as_json
        code, out = _run(args)
    if not intact or items not in ("Comfort,Clean", "Comfort"):
        return
    columns = {"Comfort": 1, "Clean": 2}
    names = items.split(",")
    invalid = any(r[columns[c]].kind == "invalid" for r in rows for c in names)
    if invalid and not drop_invalid:
        assert code == 2
        return
    if code != 0 or not as_json:
        return  # too few groups or answers is an AnalysisError: checked above
    result = json.loads(out)
    for cell in result["cells"]:
        if cell["suppressed"]:
            continue
        expected = sum(
            1
            for r in rows
            if _label(r[0]) == cell["group"] and r[columns[cell["item"]]].kind == "valid"
        )
        assert cell["n"] == expected, cell


@FUZZ
@given(
    data=st.lists(st.tuples(numbers, numbers, numbers), min_size=0, max_size=40).flatmap(
        lambda rows: st.tuples(
            st.just(rows),
            files_of([["ltr", "speed", "price"], *[[a.text, b.text, c.text] for a, b, c in rows]]),
        )
    ),
    factors=st.sampled_from([None, "speed,price", "speed", "speed,nope"]),
    method=st.sampled_from(["shapley", "relative-weights"]),
    as_json=st.booleans(),
)
def test_drivers_of_any_file_are_a_result_or_one_clear_error(
    data: tuple[list[tuple[Cell, Cell, Cell]], tuple[bytes, str, bool]],
    factors: str | None,
    method: str,
    as_json: bool,
) -> None:
    rows, (content, suffix, intact) = data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"drivers{suffix}"
        path.write_bytes(content)
        args = ["drivers", str(path), "--outcome", "ltr", "--bootstrap", "20", "--method", method]
        args += ["--factors", factors] if factors else []
        code, out = _run(args + ["--json"] * as_json)
    if not intact or factors != "speed,price":
        return
    if any(c.kind == "invalid" for r in rows for c in r):
        assert code == 2
        return
    if code != 0 or not as_json:
        return  # too few complete rows or a constant column: an AnalysisError
    result = json.loads(out)
    complete = sum(all(c.kind == "valid" for c in r) for r in rows)
    assert (result["n"], result["dropped"]) == (complete, len(rows) - complete)


_ANSWERS = st.sampled_from(
    ["Support was slow to answer", "Great account manager, very proactive", "Billing errors again",
     "The onboarding took months", "Fast answers from support", "Too expensive for what we get",
     "", " ", "<script>alert(1)</script> support", "[bold]price[/] is high", "=HYPERLINK(1)",
     "😀😀😀", "très bien, merci", "5", "N/A"]
) | st.sampled_from(HOSTILE_CELLS) | st.text(max_size=40)  # fmt: skip


@FUZZ
@given(
    data=st.lists(st.tuples(_ANSWERS, labels), min_size=0, max_size=30).flatmap(
        lambda rows: st.tuples(
            st.just(rows), files_of([["comment", "rating"], *[[a, g] for a, g in rows]])
        )
    ),
    group=st.booleans(),
    n_themes=st.none() | st.integers(1, 6),
    as_json=st.booleans(),
    assignments=st.booleans(),
)
def test_themes_of_any_file_are_a_result_or_one_clear_error(
    data: tuple[list[tuple[str, str]], tuple[bytes, str, bool]],
    group: bool,
    n_themes: int | None,
    as_json: bool,
    assignments: bool,
) -> None:
    rows, (content, suffix, intact) = data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"answers{suffix}"
        path.write_bytes(content)
        out_file = Path(tmp) / "themes.csv"
        args = ["themes", str(path), "--text-column", "comment"]
        args += ["--group", "rating"] * group + ["--json"] * as_json
        args += ["--themes", str(n_themes)] if n_themes else []
        args += ["--assignments", str(out_file)] if assignments else []
        code, out = _run(args)
        if code == 0 and assignments:
            written = list(csv.reader(io.StringIO(out_file.read_text(encoding="utf-8"))))
            assert written[0] == ["row", "theme", "label"]
            if intact:
                assert len(written) - 1 == len(rows)
    if not intact or code != 0 or not as_json:
        return
    result = json.loads(out)
    answered = sum(1 for a, _ in rows if a.strip() and a.strip() not in MISSING_TOKENS)
    assert result["n"] == answered
    assert result["n"] + result["n_empty"] == len(rows)


_MOMENT_KEYS = [m.key for m in MOMENTS]


@st.composite
def event_rows(draw: st.DrawFn) -> tuple[list[list[str]], bool]:
    """Rows of an events file and whether each is valid as written."""
    rows = []
    valid = True
    for i in range(draw(st.integers(0, 25))):
        outcome = draw(st.sampled_from(["met", "exceeded", "failed", "FAILED", "lost"]))
        severity = draw(st.sampled_from(["", "1", "2", "3", "0", "9", "x"]))
        row = [
            draw(st.sampled_from(["ACC-1", "ACC-2", "ACC-3", "", "[/]"])),
            draw(
                st.sampled_from(
                    [
                        "2026-01-05",
                        "2026-03-01T10:00:00Z",
                        "2025-12-31 23:59",
                        "tomorrow",
                        "2999-01-01",
                        "1850-01-01",
                        "",
                    ]
                )
            ),
            draw(st.sampled_from(["support", "sales", "billing"])),
            draw(st.sampled_from([*_MOMENT_KEYS, "nowhere"])),
            outcome,
            severity,
            draw(st.sampled_from([f"T-{i}", "T-0", ""])),
            draw(st.sampled_from(["", "0", "12.5", "-3", "lots"])),
        ]
        ok = (
            row[0] not in ("",)
            and row[1] in ("2026-01-05", "2026-03-01T10:00:00Z", "2025-12-31 23:59")
            and row[3] in _MOMENT_KEYS
            and outcome in ("met", "exceeded", "failed", "FAILED")
            and (outcome.lower() != "failed" or severity in ("1", "2", "3"))
            and row[7] in ("", "0", "12.5")
        )
        valid &= ok
        rows.append(row)
    return rows, valid


@FUZZ
@given(
    events=event_rows().flatmap(
        lambda ev: st.tuples(
            st.just(ev),
            files_of(
                [
                    [
                        "account",
                        "timestamp",
                        "touchpoint",
                        "moment",
                        "outcome",
                        "severity",
                        "source_id",
                        "cost",
                    ],
                    *ev[0],
                ]
            ),
        )
    ),
    accounts=st.none()
    | st.lists(
        st.tuples(
            st.sampled_from(["ACC-1", "ACC-2", "ACC-3", "ACC-9", ""]),
            st.sampled_from(["", "2026-02-01", "2027-01-01", "soon"]),
            st.sampled_from(["", "1000", "-5", "1e6", "lots"]),
        ),
        max_size=5,
    ),
    as_json=st.booleans(),
    since=st.none() | st.sampled_from(["2026-01-01", "2026-13-01"]),
    account=st.none() | st.sampled_from(["ACC-1", "ACC-404"]),
)
def test_ledger_of_any_events_file_is_a_result_or_one_clear_error(
    events: tuple[tuple[list[list[str]], bool], tuple[bytes, str, bool]],
    accounts: list[tuple[str, str, str]] | None,
    as_json: bool,
    since: str | None,
    account: str | None,
) -> None:
    (rows, valid), (content, suffix, intact) = events
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"events{suffix}"
        path.write_bytes(content)

        args = ["ledger", str(path), "--as-of", "2026-06-30"]
        if accounts is not None:
            acc = Path(tmp) / "accounts.csv"
            acc.write_bytes(_csv([["account", "defected_at", "revenue"], *map(list, accounts)]))

            args += ["--accounts", str(acc)]
        args += ["--since", since] if since else []
        args += ["--account", account] if account else []
        code, out = _run(args + ["--json"] * as_json)
    if not intact or accounts is not None or since or account:
        return
    if not valid or not rows:
        assert code == 2
        return
    assert code == 0
    if not as_json:
        return
    result = json.loads(out)
    seen: set[str] = set()
    kept = []
    for r in rows:
        if r[6] and r[6] in seen:
            continue
        seen.add(r[6])
        kept.append(r)
    assert result["n_events"] == len(kept)
    assert result["n_accounts"] == len({r[0] for r in kept})
