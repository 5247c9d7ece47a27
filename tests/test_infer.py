"""``cxgap init SLUG --from FILE``: column roles inferred from real exports,
the study and mapping made from them, and the three commands end to end.

The expected roles below were read off each file's header and its values by
hand (the value counts quoted come from ``pandas.Series.value_counts`` on the
raw file, not from cxgap).
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.errors import InputError
from cxgap.ingest.formats import read_export
from cxgap.ingest.infer import ColumnPlan, classify_columns, infer_study, slug_key
from cxgap.ingest.infer.rules import _scale_of
from cxgap.ingest.mapping import load_response_mapping
from tests.realdata import AIRLINE_RATINGS, real_data_path

runner = CliRunner()
AIRLINE = "airline_passenger_satisfaction_test.csv"

# How many 0s each item holds (pandas value_counts of the raw file); four items have none.
AIR_ZEROS = {
    "Inflight wifi service": 813,
    "Departure/Arrival time convenient": 1381,
    "Ease of Online booking": 1195,
    "Food and drink": 25,
    "Online boarding": 652,
    "Inflight entertainment": 4,
    "On-board service": 2,
    "Leg room service": 126,
    "Inflight service": 2,
    "Cleanliness": 2,
}
AIR_ROLES = {
    "column": "metadata",  # the unnamed row index 0..25975
    "id": "response",  # a unique passenger id per row
    "Gender": "attribute",
    "Customer Type": "attribute",
    "Age": "ignored",  # 7..85, 75 values: a measurement
    "Type of Travel": "attribute",
    "Class": "attribute",
    "Flight Distance": "ignored",
    **dict.fromkeys(AIRLINE_RATINGS, "rating"),
    "Departure Delay in Minutes": "ignored",
    "Arrival Delay in Minutes": "ignored",
    "satisfaction": "outcome",
}


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def airline() -> Path:
    return real_data_path(AIRLINE)


@pytest.fixture(scope="module")
def airline_plan(airline: Path) -> dict[str, object]:
    return {p.column: p for p in classify_columns(read_export(airline))}


def test_airline_every_column_gets_the_role_read_off_the_file(
    airline_plan: dict[str, object],
) -> None:
    assert {c: p.role for c, p in airline_plan.items()} == AIR_ROLES  # type: ignore[attr-defined]
    assert Counter(AIR_ROLES.values()) == {
        "rating": 14,
        "attribute": 4,
        "ignored": 4,
        "metadata": 1,
        "response": 1,
        "outcome": 1,
    }


def test_airline_ratings_keep_their_names_and_declare_zero_missing(
    airline_plan: dict[str, object],
) -> None:
    for item in AIRLINE_RATINGS:
        p = airline_plan[item]
        assert p.target == "perf." + slug_key(item)  # type: ignore[attr-defined]
        assert p.scale == "1-5"  # type: ignore[attr-defined]
        zeros = AIR_ZEROS.get(item, 0)
        assert p.missing == (("0",) if zeros else ())  # type: ignore[attr-defined]
        assert p.n_valid == 25976 - zeros  # type: ignore[attr-defined]
    assert airline_plan["Departure/Arrival time convenient"].target == (  # type: ignore[attr-defined]
        "perf.departure_arrival_time_convenient"
    )


def test_airline_outcome_is_coded_one_for_satisfied(airline_plan: dict[str, object]) -> None:
    p = airline_plan["satisfaction"]
    assert p.target == "outcome.satisfaction"  # type: ignore[attr-defined]
    assert p.values == {"satisfied": 1.0, "neutral or dissatisfied": 0.0}  # type: ignore[attr-defined]
    assert airline_plan["Class"].levels == ("Business", "Eco", "Eco Plus")  # type: ignore[attr-defined]
    assert airline_plan["Class"].target == "attr.class"  # type: ignore[attr-defined]


def test_airline_study_has_the_items_as_factors_and_the_attributes(airline: Path) -> None:
    inferred = infer_study(read_export(airline), "air", organisation="Air Co")
    study = inferred.study
    assert [f.label for f in study.factors] == AIRLINE_RATINGS
    assert [a.key for a in study.attributes] == [
        "gender",
        "customer_type",
        "type_of_travel",
        "class",
    ]
    assert study.attributes[1].values == ["Loyal Customer", "disloyal Customer"]
    outcome = study.question("outcome.satisfaction")
    assert (outcome.kind, outcome.scale_min, outcome.scale_max) == ("rating", 0, 1)
    assert "1 = satisfied, 0 = neutral or dissatisfied" in outcome.text
    assert {q.key for q in study.questions} == {
        *("perf." + slug_key(i) for i in AIRLINE_RATINGS),
        "outcome.satisfaction",
    }
    # The mapping file says the same, and reads back as a mapping.
    mapping = yaml.safe_load(inferred.mapping_yaml())
    assert mapping["columns"]["Age"] is None and mapping["columns"]["id"] == "response_id"
    assert mapping["missing"]["perf.inflight_wifi_service"] == ["0"]
    assert "perf.gate_location" not in mapping["missing"]


def test_telco_crm_export_roles(tmp_path: Path) -> None:
    """IBM's Telco churn file: a CRM export of yes/no and few-level columns."""
    plan = {
        p.column: p
        for p in classify_columns(read_export(real_data_path("telco_customer_churn.csv")))
    }
    categorical = [
        "gender", "SeniorCitizen", "Partner", "Dependents", "PhoneService", "MultipleLines",
        "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport",
        "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling", "PaymentMethod",
    ]  # fmt: skip
    expected = {
        "customerID": "response",
        **dict.fromkeys(categorical, "attribute"),
        "tenure": "ignored",  # months 0..72: a measurement
        "MonthlyCharges": "ignored",
        "TotalCharges": "ignored",
        "Churn": "outcome",
    }
    assert {c: p.role for c, p in plan.items()} == expected
    assert plan["Churn"].values == {"Yes": 1.0, "No": 0.0}
    assert plan["PaymentMethod"].levels == (
        "Bank transfer (automatic)", "Credit card (automatic)", "Electronic check", "Mailed check",
    )  # fmt: skip
    assert plan["PaperlessBilling"].target == "attr.paperless_billing"
    # 11 blank TotalCharges (tenure 0) are not counted as answers.
    assert plan["TotalCharges"].n_valid == 7043 - 11


def test_alexa_reviews_roles() -> None:
    """Amazon Alexa reviews: a 1-5 star rating, a date, 16 variants, review text."""
    export = read_export(real_data_path("amazon_alexa_reviews.tsv"))
    plan = {p.column: p for p in classify_columns(export)}
    assert {c: p.role for c, p in plan.items()} == {
        "rating": "rating",
        "date": "metadata",
        "variation": "attribute",
        "verified_reviews": "text",
        "feedback": "attribute",  # 0/1 under a name that does not read as an outcome
    }
    assert plan["rating"].scale == "1-5" and plan["rating"].missing == ()
    assert len(plan["variation"].levels) == 16
    raw = pd.read_csv(
        real_data_path("amazon_alexa_reviews.tsv"), sep="\t", dtype=str, keep_default_na=False
    )
    written = (raw["verified_reviews"].str.strip() != "").sum()  # "NA" is a review too
    assert plan["verified_reviews"].n_valid == written


REAL_EXPORTS = Path(__file__).parent / "data" / "real-exports"


def test_google_forms_export_roles() -> None:
    """A real Google Forms export (UVA hot-dog survey, spring 2024; MIT)."""
    export = read_export(REAL_EXPORTS / "infer-google-forms-sp24.csv")
    plan = [(p.column[:23], p.role) for p in classify_columns(export)]
    assert plan == [
        ("Timestamp", "metadata"),  # the tool's own column
        ("Do you believe that a h", "yes_no"),  # "...a sandwich?": Yes / No
        ("What is the rationale b", "text"),
        ("Are you currently enrol", "attribute"),  # Undergraduate / Graduate
        ("What is your field of s", "text"),
        ("If you are an undergrad", "attribute"),  # First .. Fourth year
        ("What state or country w", "ignored"),  # 42 short names, typed freely
    ]
    by = {p.column[:23]: p for p in classify_columns(export)}
    # 91 rows; 10 leave the rationale blank and 7 the academic year (counted in the file).
    assert by["What is the rationale b"].n_valid == 81
    assert by["If you are an undergrad"].n_valid == 84
    assert by["If you are an undergrad"].levels == (
        "First year", "Fourth year", "Second Year", "Third Year",
    )  # fmt: skip
    assert by["Do you believe that a h"].values == {"Yes": 1.0, "No": 0.0}


def test_microsoft_forms_export_roles() -> None:
    """A real Microsoft Forms export (UVA hot-dog survey, fall 2024; MIT)."""
    export = read_export(REAL_EXPORTS / "infer-ms-forms-fa24.csv")
    assert {p.column: p.role for p in classify_columns(export)} == {
        "Id": "response",  # 1..187, the form's response number
        "Start time": "metadata",
        "Completion time": "metadata",
        "Email": "metadata",  # "anonymous" throughout
        "Name": "metadata",  # empty throughout
        "Is a hotdog a sandwich": "yes_no",
        "Are you a UVA undergraduate student": "yes_no",
        "What is your major?": "text",
    }
    study = infer_study(export, "hotdog", organisation="UVA").study
    assert [q.key for q in study.questions] == [
        "yes.is_a_hotdog_a_sandwich",
        "yes.are_you_a_uva_undergraduate_student",
        "open.what_is_your_major",
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({0, 1, 2, 3, 4, 5}, (1, 5, [0])),  # 0 = not applicable on 1-5
        ({1, 2, 3, 4, 5, 9}, (1, 5, [9])),  # 9 = don't know
        ({1, 2, 3, 4, 5, 6, 7}, (1, 7, [])),
        ({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, (0, 10, [])),  # an NPS item keeps its 0
        ({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99}, (1, 10, [99])),
        ({7, 20, 85}, None),
        ({0, 1}, None),
    ],
)
def test_scale_and_missing_codes(values: set[int], expected: object) -> None:
    assert _scale_of(values) == expected


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_google_forms_layout_nps_multi_text_and_timestamp(tmp_path: Path) -> None:
    header = [
        "Timestamp",
        "Email address",
        "How likely are you to recommend us to a colleague?",
        "How would you rate our support?",
        "What would make you leave us?",
        "What could we improve?",
        "Region",
    ]
    rows = [header]
    regions = ["North", "South", "East"]
    reasons = ["Price", "Slow support", "Price; Slow support", "Missing features"]
    for i in range(30):
        rows.append(
            [
                f"2026/01/{i % 28 + 1:02d} 10:00:00",
                f"person{i}@example.com",
                str(i % 11),
                ["Poor", "Fair", "Good", "Very good", "Excellent"][i % 5],
                reasons[i % 4],
                f"Answer number {i} says something different each time",
                regions[i % 3],
            ]
        )
    export = read_export(_write_csv(tmp_path / "form.csv", rows))
    plan = {p.column: p for p in classify_columns(export)}
    assert {c: p.role for c, p in plan.items()} == {
        "Timestamp": "metadata",
        "Email address": "metadata",
        header[2]: "nps",
        header[3]: "rating",
        header[4]: "multi",
        header[5]: "text",
        "Region": "attribute",
    }
    assert plan[header[2]].target == "ltr"
    assert plan[header[3]].values["Excellent"] == 5.0
    assert plan[header[4]].target == "leave"
    assert plan[header[4]].levels == ("Missing features", "Price", "Slow support")
    study = infer_study(export, "form", organisation="Form Co").study
    assert [r.key for r in study.defection_reasons] == ["missing_features", "price", "slow_support"]
    assert study.question("leave").items == ["missing_features", "price", "slow_support"]


def test_a_file_with_no_question_column_is_refused_saying_what_it_found(tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "ids.csv", [["id", "Age"], ["a1", "34"], ["a2", "51"]] + [
        [f"a{i}", str(20 + i)] for i in range(3, 20)
    ])  # fmt: skip
    with pytest.raises(InputError) as err:
        infer_study(read_export(path), "x", organisation="X")
    assert "at least one column of ratings" in str(err.value)
    assert "ids.csv" in str(err.value)


# --- the command line ------------------------------------------------------


@pytest.fixture
def airline_slice(airline: Path, tmp_path: Path) -> Path:
    """The first 400 rows of the airline file, unchanged."""
    lines = airline.read_text(encoding="utf-8").splitlines(keepends=True)[:401]
    out = tmp_path / "air.csv"
    out.write_text("".join(lines), encoding="utf-8")
    return out


def test_init_from_dry_run_shows_the_plan_and_writes_nothing(
    airline_slice: Path, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "plan.yaml"
    code, stdout, err = _run(
        "init", "air", "--from", str(airline_slice), "--org", "Air Co", "--dry-run",
        "--mapping-out", str(out), "--db", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert "perf.inflight_wifi_service" in stdout and "attr.class" in stdout
    assert "outside the" in stdout and "row numbers" in stdout
    assert "Dry run" in stdout and not out.exists()
    code, listed, _ = _run("studies", "list", "--json", "--db", db_url)
    assert code != 0 or '"air"' not in listed  # no schema yet, or no study air


def test_init_from_then_import_then_reimport_with_a_changed_mapping(
    airline_slice: Path, db_url: str, tmp_path: Path
) -> None:
    """The three commands of the README (report aside), with the mapping the
    study keeps; end to end once attribute storage accepts ``attr.`` targets."""
    from cxgap.settings import Settings
    from cxgap.store.db import Database
    from cxgap.store.frames import load_frame
    from cxgap.store.studies import load_study

    mapping = tmp_path / "air.mapping.yaml"
    code, out, err = _run(
        "init", "air", "--from", str(airline_slice), "--org", "Air Co",
        "--mapping-out", str(mapping), "--db", db_url,
    )  # fmt: skip
    assert code == 0, err
    assert "Created study air" in out and mapping.is_file()
    load_response_mapping(mapping)  # a valid mapping file
    args = ["import", "responses", str(airline_slice), "--study", "air"]
    args += ["--audience", "customer", "--wave", "w1", "--db", db_url]
    code, out, err = _run(*args)
    assert code == 0, err
    assert "Mapping: the mapping stored with study air" in out
    assert "Imported 400 new response(s) into air" in out

    raw = pd.read_csv(airline_slice)
    with Database.open(Settings.load(database_url=db_url)) as db:
        frame = load_frame(db, "air")
        study = load_study(db, "air")
    assert len(frame) == 400
    assert study.question("perf.inflight_wifi_service").scale_max == 5
    # 0 = not applicable is no answer: the mean is that of the other answers.
    wifi = raw["Inflight wifi service"]
    assert frame["perf.inflight_wifi_service"].notna().sum() == (wifi != 0).sum()
    assert frame["perf.inflight_wifi_service"].mean() == pytest.approx(wifi[wifi != 0].mean())
    assert frame["outcome.satisfaction"].sum() == (raw["satisfaction"] == "satisfied").sum()
    # Categorical columns are attributes of each response, as the file has them.
    assert frame["attr.class"].value_counts().to_dict() == raw["Class"].value_counts().to_dict()

    # The report leads with the outcome the export holds (pandas counts it).
    html = tmp_path / "air.html"
    code, out, err = _run("report", "air", "--out", str(html), "--bootstrap", "0", "--db", db_url)
    assert code == 0, err
    page = html.read_text(encoding="utf-8")
    share = round(100 * (raw["satisfaction"] == "satisfied").mean())
    assert f"{share}% of customers are satisfied [" in page
    assert "Customers by Class" in page and "What moves" in page

    # Same file, same mapping: nothing to do.
    code, out, _ = _run(*args)
    assert code == 0 and "400 already stored, 0 skipped" in out
    # A changed mapping is refused, saying what differs and how to apply it.
    used = mapping
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        used.read_text(encoding="utf-8").replace(
            "satisfied: 1.0\n    neutral or dissatisfied: 0.0",
            "satisfied: 0.0\n    neutral or dissatisfied: 1.0",
        ),
        encoding="utf-8",
    )
    again = [a for a in args if a not in ("--mapping", str(used))] + ["--mapping", str(changed)]
    code, out, err = _run(*again)
    assert code == 2
    assert "400 response(s) already stored read differently" in err
    assert "outcome.satisfaction" in err and "--update" in err
    code, out, err = _run(*again, "--update")
    assert code == 0, err
    assert "400 of them updated" in out
    with Database.open(Settings.load(database_url=db_url)) as db:
        frame = load_frame(db, "air")
    assert frame["outcome.satisfaction"].sum() == (raw["satisfaction"] != "satisfied").sum()
    assert frame["perf.inflight_wifi_service"].mean() == pytest.approx(wifi[wifi != 0].mean())


def test_init_from_a_missing_file_is_one_clear_error(db_url: str, tmp_path: Path) -> None:
    code, _, err = _run(
        "init", "x", "--from", str(tmp_path / "nope.csv"), "--org", "X", "--db", db_url
    )
    assert code == 2 and err.startswith("Error: ") and "nope.csv" in err
    assert "Traceback" not in err


def test_init_from_refuses_an_unknown_audience(airline_slice: Path, db_url: str) -> None:
    code, _, err = _run(
        "init", "x", "--from", str(airline_slice), "--org", "X", "--audience", "board",
        "--db", db_url,
    )  # fmt: skip
    assert code == 2 and "customer, staff or leadership" in err


# --- the tools' layouts (cxgap's own fixture exports, tests/fixtures/exports) ----

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def test_surveymonkey_option_columns_make_one_leave_question_and_keys_drop_the_stem() -> None:
    export = read_export(FIXTURES / "surveymonkey_staff.csv")
    inferred = infer_study(export, "sm", organisation="X", audience="staff")
    by = {p.column: p for p in inferred.plan}
    perf = [p.target for p in inferred.plan if p.role == "rating"]
    # "How well does the company perform on <factor>?": keyed by what differs.
    assert perf == [
        "perf.personalisation", "perf.integrity", "perf.expectations", "perf.resolution",
        "perf.time_and_effort", "perf.empathy",
    ]  # fmt: skip
    options = [p for p in inferred.plan if p.role == "option"]
    assert len(options) == 8 and all(p.target.startswith("leave.") for p in options)  # type: ignore[union-attr]
    assert by["What would make a customer leave? (choose any) - Price"].target == "leave.price"
    shares = [p.target for p in inferred.plan if p.role == "share"]
    assert shares == ["share.what_share_of_customers_would_score_us_9",
                      "share.what_share_of_customers_would_score_us_0"]  # fmt: skip
    leave = inferred.study.question("leave")
    assert leave.kind == "multi" and "a_better_offer_from_a_competitor" in leave.items
    assert inferred.study.defection_reasons[0].label == "Problems not resolved"


def test_typeform_option_columns_nobody_chose_stay_in_the_question() -> None:
    export = read_export(FIXTURES / "typeform_leadership.csv")
    plan = classify_columns(export)
    options = [p.column for p in plan if p.role == "option"]
    assert (
        options[0] == "Problems not resolved" and options[-1] == "A better offer from a competitor"
    )
    assert len(options) == 8  # 4 of them empty in every row
    assert next(p for p in plan if p.column.startswith("Would you")).target == "excellent"


def test_google_forms_stated_scale_rank_grid_and_choose_any() -> None:
    plan = classify_columns(read_export(FIXTURES / "google_forms_customers.csv"))

    def by(start: str) -> ColumnPlan:
        return next(p for p in plan if p.column.startswith(start))

    assert (by("How likely").target, by("How likely").scale) == ("ltr", "0-10")
    assert by("Would you describe").target == "excellent"
    assert by("What would make").role == "multi"  # "(choose any)"
    ranks = [p for p in plan if p.column.startswith("Rank the factors")]
    assert len(ranks) == 6 and {p.role for p in ranks} == {"ignored"}
    assert "ranking" in ranks[0].reason


def test_inferred_mapping_imports_the_surveymonkey_export_whole(
    db_url: str, tmp_path: Path
) -> None:
    """Option columns, word ratings and shares read back as in the file."""
    from cxgap.settings import Settings
    from cxgap.store.db import Database
    from cxgap.store.frames import load_frame

    file = FIXTURES / "surveymonkey_staff.csv"
    code, _, err = _run("init", "sm", "--from", str(file), "--org", "X", "--audience", "staff",
                        "--mapping-out", str(tmp_path / "m.yaml"), "--db", db_url)  # fmt: skip
    assert code == 0, err
    code, _, err = _run("import", "responses", str(file), "--study", "sm", "--audience",
                          "staff", "--wave", "w1", "--db", db_url)  # fmt: skip
    assert code == 0, err
    with file.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, data = rows[0], rows[2:]
    price = next(i for i, h in enumerate(rows[1]) if h == "Price")
    assert header[price - 6].startswith("What would make")  # the question heads the block
    with Database.open(Settings.load(database_url=db_url)) as db:
        frame = load_frame(db, "sm")
    assert len(frame) == len(data)
    assert frame["leave.price"].sum() == sum(1 for r in data if r[price].strip())
    words = {"Poor": 1, "Fair": 2, "Good": 3, "Very good": 4, "Excellent": 5}
    col = header.index("How well does the company perform on empathy?")
    expected = [words[r[col].strip()] for r in data if r[col].strip()]
    assert frame["perf.empathy"].dropna().tolist() == expected


def test_cxgap_own_format_needs_no_inference() -> None:
    with pytest.raises(InputError) as err:
        infer_study(read_export(FIXTURES / "cxgap_mixed.csv"), "x", organisation="X")
    assert "cxgap's own format" in str(err.value) and "cxgap_mixed.csv" in str(err.value)


# Each real export of the corpus with every column given another role it may take.
CORPUS = sorted(
    p
    for p in (Path(__file__).parent / "data" / "real-exports").iterdir()
    if p.suffix in (".csv", ".xlsx", ".txt") and not p.name.startswith("events-")
)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_role_a_column_is_offered_is_honoured(path: Path) -> None:
    """For each column the last role offered other than ``ignored`` (or the
    inferred one), all at once: the plan takes it, the study validates, and
    the mapping sends each such column where its role says."""
    export = read_export(path)
    inferred = classify_columns(export)
    roles = {}
    for p in inferred:
        assert p.choices[0] == p.role and "ignored" in p.choices
        other = [r for r in p.choices if r not in (p.role, "ignored")]
        if other:
            roles[p.column] = other[-1]
    if not any(r != "ignored" for r in roles.values()):
        pytest.skip(f"{path.name}: no column may take another role than its own")
    study = infer_study(export, "x", organisation="x", roles=roles)
    prefix = {"rating": "perf.", "outcome": "outcome.", "yes_no": "yes.", "attribute": "attr.",
              "text": "open.", "nps": "ltr"}  # fmt: skip
    nps = [c for c, r in roles.items() if r == "nps"]
    for p in study.plan:
        if p.column in roles:
            assert p.role == roles[p.column], p.column
            if p.role == "nps" and p.column != nps[0]:
                assert p.target is None or p.target.startswith("perf.")  # one 0-10 score
            else:
                assert (p.target or "").startswith(prefix[p.role]), (p.column, p.target)
            assert study.mapping.columns[p.column] == p.target


def test_a_role_the_answers_do_not_fit_and_an_unknown_column_are_named() -> None:
    export = read_export(real_data_path("telco_customer_churn.csv"))
    with pytest.raises(InputError) as err:
        infer_study(export, "x", organisation="x", roles={"tenure": "rating"})
    # tenure runs 0..72 (73 values): no rating scale, no attribute (over 20 levels)
    assert "column 'tenure': got 'rating', expected a role the column's answers fit: ignored" in (
        str(err.value)
    )
    with pytest.raises(
        InputError, match="column 'Tenure': got 'text', expected a column of the file"
    ):
        infer_study(export, "x", organisation="x", roles={"Tenure": "text"})


def test_a_column_chosen_as_the_0_to_10_score_makes_the_inferred_one_a_rating(
    tmp_path: Path,
) -> None:
    rows = [("How likely are you to recommend us?", "Support score 0-10", "Region")]
    rows += [(str(i % 11), str((i * 7) % 11), "North" if i % 2 else "South") for i in range(40)]
    path = tmp_path / "two-scores.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    plan = {p.column: p for p in classify_columns(read_export(path))}
    assert plan[rows[0][0]].role == "nps" and plan[rows[0][1]].role == "rating"
    assert "nps" in plan[rows[0][1]].choices
    study = infer_study(read_export(path), "x", organisation="x", roles={rows[0][1]: "nps"})
    chosen = {p.column: p for p in study.plan}
    assert chosen[rows[0][1]].target == "ltr" and chosen[rows[0][1]].scale == "0-10"
    assert chosen[rows[0][0]].role == "rating" and chosen[rows[0][0]].target.startswith("perf.")
    assert [q.key for q in study.study.questions if q.kind == "nps"] == ["ltr"]


def test_init_from_takes_roles_from_the_command_line(airline_slice: Path, db_url: str) -> None:
    code, stdout, err = _run(
        "init", "air", "--from", str(airline_slice), "--org", "Air Co", "--db", db_url,
        "--role", "Class=ignored", "--role", "satisfaction=text",
        "--role", "Seat comfort=attribute",
        "--mapping-out", str(airline_slice.parent / "air.yaml"),
    )  # fmt: skip
    assert code == 0, err
    assert "chosen (inferred: attribute" in stdout
    mapping = yaml.safe_load((airline_slice.parent / "air.yaml").read_text(encoding="utf-8"))
    assert mapping["columns"]["Class"] is None
    assert mapping["columns"]["satisfaction"] == "open.satisfaction"
    assert mapping["columns"]["Seat comfort"] == "attr.seat_comfort"
    code, _, err = _run(
        "init", "air2", "--from", str(airline_slice), "--org", "Air Co", "--db", db_url,
        "--role", "Class",
    )  # fmt: skip
    assert code != 0 and "--role: got 'Class', expected COLUMN=ROLE" in err
    code, _, err = _run("init", "air3", "--org", "Air Co", "--db", db_url, "--role", "Class=text")
    assert code != 0 and "expected --from FILE with --role" in err
