"""Respondent attributes (issue 16) end to end: stored with the study and
each response, on SQLite and PostgreSQL; filled from an export's columns
(by the mapping file's ``attr.<key>`` or by the attribute's label); carried
by cxgap's own CSV; broken down in the analysis, the CLI and the report.

The real survey is the airline passenger satisfaction test split (its
``Class`` and ``Type of Travel`` columns); expected counts, means and Welch
tests are computed from the CSV with pandas and SciPy, never by cxgap.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from scipy import stats
from sqlalchemy import func, select
from typer.testing import CliRunner

from cxgap.analysis.perception.assembly import analyze_perception
from cxgap.analysis.perception.gaps import GapComparison, GroupCell
from cxgap.cli import app
from cxgap.errors import CxgapError, InputError
from cxgap.ingest.formats import read_export
from cxgap.ingest.mapping import ResponseMapping
from cxgap.ingest.responses import import_responses, parse_responses
from cxgap.operations.transfer import export_study
from cxgap.service.overview import Filters, check_attribute_filters
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.db import Database
from cxgap.store.frames import load_frame, write_frame
from cxgap.store.studies import delete_study, load_study, save_study
from cxgap.store.users import add_user
from cxgap.study import default_study
from cxgap.study.model import Attribute, StudyDefinition
from cxgap.study.yamlio import from_mapping, to_yaml
from cxgap.web import create_app
from tests.realdata import real_data_path
from tests.test_dashboard import PASSWORD, SECRET, sign_in

runner = CliRunner()
AIRLINE = "airline_passenger_satisfaction_test.csv"
CLASS = Attribute(key="class", label="Class", values=["Business", "Eco", "Eco Plus"])
TRAVEL = Attribute(key="travel", label="Travel type", description="why they flew")
MAPPING = (
    "columns:\n"
    "  id: response_id\n"
    "  Type of Travel: attr.travel\n"
    "  Baggage handling: perf.resolution\n"
    "  On-board service: perf.empathy\n"
    "  Checkin service: perf.time_effort\n"
    "missing: {'perf.*': ['0']}  # 0 = not applicable in this survey\n"
)


def _study(slug: str = "air") -> StudyDefinition:
    base = default_study(slug, organisation="Air Ltd")
    return base.model_copy(update={"attributes": [CLASS, TRAVEL]})


def _airline(tmp_path: Path, rows: int = 600) -> tuple[pd.DataFrame, Path, Path]:
    """The first ``rows`` passengers as read by pandas, the same rows as a
    file, and the mapping file."""
    source = real_data_path(AIRLINE)
    raw = pd.read_csv(source, nrows=rows)
    part = tmp_path / "airline.csv"
    with source.open() as src:
        part.write_text("".join(next(src) for _ in range(rows + 1)))
    mapping = tmp_path / "airline.yaml"
    mapping.write_text(MAPPING)
    return raw, part, mapping


def test_attributes_are_stored_with_the_study_and_its_yaml(fresh_db: Database) -> None:
    study = _study()
    save_study(fresh_db, study)
    loaded = load_study(fresh_db, "air")
    assert loaded.attributes == [CLASS, TRAVEL]
    assert loaded == study
    again = from_mapping(yaml.safe_load(to_yaml(loaded)), file="air.yaml")
    assert again.attributes == [CLASS, TRAVEL]
    changed = loaded.model_copy(update={"attributes": [TRAVEL]})
    save_study(fresh_db, changed)
    assert load_study(fresh_db, "air").attributes == [TRAVEL]


def test_attribute_values_travel_through_the_frame(fresh_db: Database) -> None:
    save_study(fresh_db, _study())
    frame = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3", "r4"],
            "audience": ["customer"] * 3 + ["staff"],
            "team": [None, None, None, "support"],
            "wave": ["w1"] * 4,
            "ltr": [9.0, 3.0, np.nan, 7.0],
            "attr.class": [" Eco ", "Business", "", None],
            "attr.travel": ["Personal Travel", None, "Business travel", "Personal Travel"],
        }
    )
    assert write_frame(fresh_db, "air", frame) == 4
    back = load_frame(fresh_db, "air")
    assert list(back["attr.class"]) == ["Eco", "Business", None, None]
    assert list(back["attr.travel"]) == [
        "Personal Travel",
        None,
        "Business travel",
        "Personal Travel",
    ]
    assert list(back.columns[-2:]) == ["attr.class", "attr.travel"]
    assert list(load_frame(fresh_db, "air", wave="w1")["attr.class"]) == list(back["attr.class"])
    with fresh_db.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(t.response_attribute)).scalar()
    assert stored == 5  # two classes and three travel types: no row for a missing value
    delete_study(fresh_db, "air")
    with fresh_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.response_attribute)).scalar() == 0


def test_a_value_the_attribute_does_not_list_names_row_column_and_the_allowed_values(
    fresh_db: Database,
) -> None:
    save_study(fresh_db, _study())
    frame = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2"],
            "audience": ["customer", "customer"],
            "wave": ["w1", "w1"],
            "ltr": [9.0, 3.0],
            "attr.class": ["Eco", "First"],
        }
    )
    with pytest.raises(InputError) as err:
        write_frame(fresh_db, "air", frame, file="f.csv")
    (p,) = err.value.problems
    assert (p.file, p.row, p.column, p.value) == ("f.csv", 3, "attr.class", "First")
    assert "Business, Eco, Eco Plus" in p.expected
    assert load_frame(fresh_db, "air").empty


def test_an_export_column_fills_an_attribute_or_is_named_as_a_problem(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text(
        "Response,Class,Type of Travel,How likely are you to recommend us?\n"
        "a,eco plus,Business travel,9\n"
        "b,First,Personal Travel,3\n"
        "c,,  ,7\n"
    )
    mapping = ResponseMapping(
        columns={
            "Response": "response_id",
            "Type of Travel": "attr.travel",
            "How likely are you to recommend us?": "ltr",
        }
    )
    parsed = parse_responses(
        read_export(f), _study(), audience="customer", wave="w1", mapping=mapping
    )
    targets = {m.column: (m.target, m.how) for m in parsed.columns}
    assert targets["Class"] == ("attr.class", "attribute name")
    assert targets["Type of Travel"] == ("attr.travel", "mapping file")
    (p,) = parsed.problems
    assert (p.row, p.column, p.value) == (3, "Class", "First")
    assert p.expected == "a Class value: one of Business, Eco, Eco Plus"
    # compared without case, kept as the study writes it; empty cells are missing
    assert list(parsed.frame["attr.class"]) == ["Eco Plus", None, None]
    assert list(parsed.frame["attr.travel"]) == ["Business travel", "Personal Travel", None]


def test_a_mapping_to_an_unknown_attribute_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text("Response,Plan,ltr\na,Gold,9\n")
    mapping = ResponseMapping(columns={"Response": "response_id", "Plan": "attr.plan"})
    with pytest.raises(InputError) as err:
        parse_responses(read_export(f), _study(), audience="customer", wave="w1", mapping=mapping)
    (p,) = err.value.problems
    assert (p.column, p.value) == ("Plan", "attr.plan")
    assert p.expected == "a study attribute (attr.class, attr.travel)"


class Airline(NamedTuple):
    db: Database
    raw: pd.DataFrame
    url: str


@pytest.fixture
def airline(fresh_db: Database, db_url: str, tmp_path: Path) -> Airline:
    """600 passengers imported into study 'air' (SQLite and PostgreSQL)."""
    save_study(fresh_db, _study())
    raw, part, mapping = _airline(tmp_path)
    result = import_responses(
        fresh_db, "air", part, audience="customer", wave="w1", mapping=mapping
    )
    assert result.written == 600
    return Airline(fresh_db, raw, db_url)


def test_the_airline_survey_imports_class_and_travel_type(
    airline: Airline,
) -> None:
    db, raw = airline.db, airline.raw
    frame = load_frame(db, "air")
    counts = frame["attr.class"].value_counts().to_dict()
    assert counts == raw["Class"].value_counts().to_dict()
    travel = frame["attr.travel"].value_counts().to_dict()
    assert travel == raw["Type of Travel"].value_counts().to_dict()
    # each passenger keeps their own class, row by row
    assert list(frame["attr.class"]) == list(raw["Class"])


def test_the_breakdown_by_class_matches_pandas_and_scipy(
    airline: Airline,
) -> None:
    db, raw = airline.db, airline.raw
    study = load_study(db, "air")
    result = analyze_perception(study, load_frame(db, "air"), wave="w1")
    by_class = next(b for b in result.attributes if b.attribute == "class")
    assert by_class.levels == ["Business", "Eco", "Eco Plus"]
    assert by_class.withheld == {}  # every class has far more than 5 passengers
    baggage = raw["Baggage handling"].replace(0, np.nan)
    for level, part in baggage.groupby(raw["Class"]):
        cell = by_class.gaps.cell("perf.resolution", str(level))
        assert isinstance(cell, GroupCell)
        assert cell.n == part.count()
        assert cell.mean == pytest.approx(part.mean(), rel=1e-12)
    eco = baggage[raw["Class"] == "Eco"].dropna()
    business = baggage[raw["Class"] == "Business"].dropna()
    welch = stats.ttest_ind(eco, business, equal_var=False)
    cmp = by_class.gaps.comparison("perf.resolution", "Eco", "Business")
    assert isinstance(cmp, GapComparison)
    assert cmp.difference == pytest.approx(eco.mean() - business.mean(), rel=1e-12)
    assert cmp.t == pytest.approx(welch.statistic, rel=1e-9)
    assert cmp.p_welch == pytest.approx(welch.pvalue, rel=1e-6)


def test_cxgap_csv_export_then_import_keeps_the_attributes(
    airline: Airline, tmp_path: Path
) -> None:
    db, _, _ = airline
    out = tmp_path / "air.zip"
    export_study(db, "air", out)
    with zipfile.ZipFile(out) as z:
        text = z.read("responses.csv").decode("utf-8")
    header = next(io.StringIO(text)).strip().split(",")
    assert header[-2:] == ["attr.class", "attr.travel"]
    csv = tmp_path / "responses.csv"
    csv.write_text(text)
    save_study(db, _study("air-copy"))
    result = import_responses(db, "air-copy", csv)
    assert result.format == "cxgap" and result.written == 600
    before, after = load_frame(db, "air"), load_frame(db, "air-copy")
    for column in ("attr.class", "attr.travel", "perf.resolution"):
        pd.testing.assert_series_equal(before[column], after[column])


def test_analyze_by_class_on_the_command_line(airline: Airline) -> None:
    raw, url = airline.raw, airline.url
    result = runner.invoke(
        app, ["analyze", "air", "--by", "attr.class", "--bootstrap", "0", "--db", url]
    )
    assert result.exit_code == 0, result.output
    assert "Customers by Class (wave w1)" in result.output
    eco = raw["Baggage handling"].replace(0, np.nan)[raw["Class"] == "Eco"]
    assert f"{eco.mean():.2f} n={eco.count()}" in result.output
    as_json = runner.invoke(app, ["analyze", "air", "--json", "--bootstrap", "0", "--db", url])
    levels = {b["attribute"]: b["levels"] for b in json.loads(as_json.stdout)["attributes"]}
    assert levels["class"] == ["Business", "Eco", "Eco Plus"]
    bad = runner.invoke(app, ["analyze", "air", "--by", "plan", "--db", url])
    assert bad.exit_code == 2
    assert "not a respondent attribute of the study (attributes: attr.class, attr.travel)" in (
        bad.output
    )


def test_the_report_has_a_section_per_attribute(airline: Airline, tmp_path: Path) -> None:
    raw, url = airline.raw, airline.url
    out = tmp_path / "air.html"
    result = runner.invoke(
        app, ["report", "air", "--out", str(out), "--bootstrap", "0", "--db", url]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "Customers by Class" in html and "Customers by Travel type" in html
    eco = raw["Baggage handling"].replace(0, np.nan)[raw["Class"] == "Eco"]
    key = 'data-key="attr.class.perf.resolution.Eco"'
    assert f'{key} data-value="{eco.mean():.2f}" data-n="{eco.count()}"' in html
    book = tmp_path / "air.xlsx"
    result = runner.invoke(
        app, ["report", "air", "--out", str(book), "--bootstrap", "0", "--db", url]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(book)["By Class"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if "group" in r and "item" in r)
    item, group = header.index("item"), header.index("group")
    found = next(r for r in rows if r[item] == "Resolution" and r[group] == "Eco")
    assert found[header.index("n")] == eco.count()
    # The workbook shows display precision (means to 2 decimals, docs/REPORT.md).
    assert found[header.index("mean")] == round(eco.mean(), 2)


def _overview(client: TestClient, url: str) -> str:
    """The overview page once its background analysis is done."""
    deadline = time.monotonic() + 300
    while True:
        page = client.get(url)
        assert page.status_code == 200, page.text
        if "Analysing the study" not in page.text:
            return page.text
        assert time.monotonic() < deadline, "the overview analysis did not finish"
        time.sleep(0.5)


def test_the_dashboard_filters_by_attribute_and_shows_them_on_the_set_up(
    airline: Airline,
) -> None:
    db, raw, url = airline
    add_user(db, "ann@example.com", organisation="Air Ltd", role="owner", password=PASSWORD)
    settings = Settings.load(database_url=url).model_copy(update={"secret_key": SECRET})
    with TestClient(create_app(settings, database=db)) as client:
        sign_in(client, "ann@example.com")
        setup = client.get("/dashboard/studies/air/setup").text
        assert "<code>attr.class</code>" in setup and "Business, Eco, Eco Plus" in setup
        page = _overview(client, "/dashboard/studies/air")
        assert '<select name="attr.class">' in page
        assert '<option value="Eco Plus">Eco Plus</option>' in page
        assert "Customers by Class" in page
        eco = _overview(client, "/dashboard/studies/air?attr.class=Eco")
        assert "Filtered: attr.class=Eco." in eco
        assert '<option value="Eco" selected>' in eco
        assert f"Customers n = {(raw['Class'] == 'Eco').sum()}" in eco
        assert "Customers by Class" not in eco  # no breakdown inside a narrowed view
        bad = client.get("/dashboard/studies/air?attr.class=First")
        assert bad.status_code == 422
        assert "Business, Eco, Eco Plus" in bad.text


def test_attribute_filters_that_would_show_a_withheld_level_are_refused() -> None:
    study = _study().model_copy(
        update={"attributes": [Attribute(key="plan", label="Plan"), TRAVEL]}
    )
    plans = ["Gold"] * 14 + ["Basic"] * 12 + ["Trial"] * 3 + [None]
    frame = pd.DataFrame(
        {
            "respondent_id": [f"c{i}" for i in range(30)] + ["s1"],
            "audience": ["customer"] * 30 + ["staff"],
            "wave": ["w1"] * 31,
            "attr.plan": [*plans, "Trial"],
            "attr.travel": ["Personal Travel"] * 31,
        }
    )
    check = check_attribute_filters
    check(frame, study, Filters(attributes=(("plan", "Gold"),)))
    with pytest.raises(CxgapError, match="Plan 'Trial' has fewer than 5 customers in wave w1"):
        check(frame, study, Filters(attributes=(("plan", "Trial"),)))
    # Gold (14) and the 4 hidden (3 on Trial and 1 with no plan) would give Basic's
    # 12 back as the total minus Gold: Basic is withheld with Trial.
    with pytest.raises(CxgapError, match="Plan 'Basic' is withheld in wave w1 so that"):
        check(frame, study, Filters(attributes=(("plan", "Basic"),)))
    with pytest.raises(CxgapError, match="one customer filter at a time"):
        check(frame, study, Filters(attributes=(("plan", "Gold"), ("travel", "Personal Travel"))))
    with pytest.raises(CxgapError, match="one customer filter at a time"):
        check(frame, study, Filters(segment="top", attributes=(("plan", "Gold"),)))
