"""The accounts list an account manager triages (service.accounts_view): the
90-day trend against a hand computation on a tiny ledger, sorting, search,
the "near the threshold" and "mine" filters, the CSV, the account page's
debits and suggested action, and the store functions behind them."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import date, datetime

import pandas as pd
import pytest

from cxgap.analysis.ledger.balance import balance_change, score_events
from cxgap.analysis.ledger.risk import account_detail
from cxgap.errors import InputError, NotFoundError
from cxgap.report.charts import timeline_chart, to_svg
from cxgap.service.accounts_view import (
    NEAR_MARGIN,
    AccountRow,
    DebitLine,
    accounts_csv,
    build_account_page,
    build_accounts,
    filter_accounts,
    load_account_page,
    load_accounts_list,
    sort_accounts,
    suggest_action,
)
from cxgap.service.ledger import AccountsLedger, accounts_ledger
from cxgap.store.accounts import (
    last_account_answers,
    load_accounts,
    set_account_owner,
    write_accounts,
    write_events,
)
from cxgap.store.db import Database
from cxgap.store.frames import write_frame
from cxgap.store.studies import save_study
from cxgap.study.defaults import default_study
from cxgap.study.model import LedgerParameters, Wave

WEIGHTS = {"routine": 1.0, "implementation": 2.0}


def _events() -> pd.DataFrame:
    """A: a credit long ago, a failure within the last 90 days; B: a credit
    two weeks before the as-of date; C: no events."""
    return pd.DataFrame(
        {
            "account_id": ["A", "A", "B"],
            "timestamp": pd.to_datetime(["2025-01-01", "2025-03-02", "2025-03-18"]),
            "touchpoint": ["support", "implementation", "sales"],
            "moment": ["routine", "implementation", "routine"],
            "outcome": ["exceeded", "failed", "met"],
            "severity": [None, 3, None],
        }
    )


AS_OF = pd.Timestamp("2025-04-01")


def _accounts(**owners: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A", "B", "C"],
            "name": ["Acme", "Beta", "Cobalt"],
            "segment": ["top", "new", None],
            "annual_revenue": [1000.0, None, 250.0],
            "owner": [owners.get("A"), owners.get("B"), owners.get("C")],
            "acquired_at": pd.to_datetime(["2024-01-01"] * 3),
            "defected_at": pd.to_datetime(pd.Series([None, None, "2025-02-01"])),
        }
    )


def _ledger(threshold: float) -> AccountsLedger:
    scored = score_events(_events(), LedgerParameters(), WEIGHTS)
    table = balance_change(scored, AS_OF, days=90, accounts=pd.Index(["A", "B", "C"]))
    return AccountsLedger(
        as_of=AS_OF, threshold=threshold, threshold_method="given", trend_days=90, balances=table
    )


def _answers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": ["A"],
            "value": [3.0],
            "answered_on": pd.to_datetime(["2025-02-10"]),
            "wave": ["w1"],
        }
    )


def test_the_trend_is_the_balance_now_minus_90_days_before_by_hand() -> None:
    # L = 2, severity 3, implementation weight 2: the failure contributes -12;
    # exceeded (2) x routine (1) = +2; met (1) x routine = +1.
    # Credit half-life 90 days, debit half-life 365 days.
    ledger = _ledger(-5.0)
    rows = {r.account: r for r in build_accounts(_accounts(), ledger, _answers(), {}).rows}
    # 2025-04-01 is 90 days after 2025-01-01, 30 after 2025-03-02, 14 after 2025-03-18
    a_now = 2 * 0.5 ** (90 / 90) - 12 * 0.5 ** (30 / 365)
    a_before = 2.0  # on 2025-01-01 itself: the credit, undecayed; the failure not yet
    b_now = 1 * 0.5 ** (14 / 90)
    assert rows["A"].balance == pytest.approx(a_now)
    assert rows["A"].trend == pytest.approx(a_now - a_before)
    assert rows["A"].distance == pytest.approx(a_now + 5.0)
    assert rows["B"].trend == pytest.approx(b_now)  # nothing 90 days before
    assert rows["C"].balance == 0.0 and rows["C"].trend == 0.0 and rows["C"].events == 0
    assert rows["A"].last_event == datetime(2025, 3, 2)
    assert rows["C"].last_event is None


def test_rows_carry_revenue_owner_last_nps_segment_and_defection() -> None:
    listing = build_accounts(_accounts(A="Priya Shah"), _ledger(-5.0), _answers(), {"B": 2})
    a, b, c = listing.rows
    assert (a.name, a.segment, a.owner, a.revenue) == ("Acme", "top", "Priya Shah", 1000.0)
    assert (a.last_ltr, a.last_ltr_on, a.last_ltr_wave) == (3.0, date(2025, 2, 10), "w1")
    assert b.last_ltr is None and b.revenue is None and b.open_cases == 2 and a.open_cases == 0
    assert c.defected and c.defected_at == date(2025, 2, 1) and not a.defected
    assert listing.as_of == datetime(2025, 4, 1) and listing.threshold == -5.0
    assert listing.margin == pytest.approx(NEAR_MARGIN * 5.0)


def test_near_the_threshold_is_within_the_margin_above_or_below_and_never_defected() -> None:
    a_now = 2 * 0.5 - 12 * 0.5 ** (30 / 365)  # about -10.07
    margin = NEAR_MARGIN * 10.0
    # threshold -10 - margin/2: A is above it, within the margin
    rows = build_accounts(_accounts(), _ledger(a_now - margin / 2), _answers(), {}).rows
    assert [r.account for r in rows if r.near_threshold] == ["A"]
    assert not rows[0].below_threshold
    # threshold far below: A is not near
    rows = build_accounts(_accounts(), _ledger(a_now - 3 * margin), _answers(), {}).rows
    assert not any(r.near_threshold for r in rows)
    # threshold above every balance: A and B below (so near), C defected: neither
    rows = build_accounts(_accounts(), _ledger(5.0), _answers(), {}).rows
    assert [(r.account, r.below_threshold, r.near_threshold) for r in rows] == [
        ("A", True, True),
        ("B", True, True),
        ("C", False, False),
    ]
    near = filter_accounts(rows, near=True)
    assert [r.account for r in near] == ["A", "B"]


def test_without_events_the_rows_have_no_ledger_figures_and_say_why() -> None:
    listing = build_accounts(_accounts(), None, _answers(), {}, reason="no events")
    assert listing.reason == "no events" and listing.threshold is None
    assert all(r.balance is None and not r.near_threshold for r in listing.rows)
    assert [r.account for r in sort_accounts(listing.rows, "balance")] == ["A", "B", "C"]


ROWS = [
    AccountRow("A", "acme", owner="Priya Shah", balance=-3.0, revenue=10.0, segment="top"),
    AccountRow("B", "Beta", owner="tom@example.com", balance=5.0, segment="new"),
    AccountRow("C", "Cobalt", balance=None, revenue=30.0, last_ltr=9.0),
    AccountRow("D", "delta", owner="priya shah", balance=5.0, revenue=20.0, last_ltr=2.0),
]


@pytest.mark.parametrize(
    ("key", "descending", "expected"),
    [
        ("balance", False, ["A", "B", "D", "C"]),  # ties keep the accounts' order
        ("balance", True, ["B", "D", "A", "C"]),  # missing last either way
        ("revenue", True, ["C", "D", "A", "B"]),
        ("name", False, ["A", "B", "C", "D"]),  # ignoring case
        ("owner", False, ["A", "D", "B", "C"]),
        ("ltr", False, ["D", "C", "A", "B"]),
        ("segment", True, ["A", "B", "C", "D"]),
    ],
)
def test_sorting(key: str, descending: bool, expected: list[str]) -> None:
    assert [r.account for r in sort_accounts(ROWS, key, descending=descending)] == expected


def test_defected_accounts_follow_the_others_unless_sorting_by_defection() -> None:
    rows = [*ROWS, AccountRow("E", "Echo", balance=-50.0, defected_at=date(2025, 1, 1))]
    assert [r.account for r in sort_accounts(rows, "balance")] == ["A", "B", "D", "C", "E"]
    by_defection = sort_accounts(rows, "defected", descending=True)
    assert by_defection[0].account == "E"
    assert sort_accounts(rows, "balance", defected_last=False)[0].account == "E"


def test_an_unknown_sort_key_is_refused() -> None:
    with pytest.raises(ValueError, match="sort by one of"):
        sort_accounts(ROWS, "size")


def test_search_and_mine() -> None:
    assert [r.account for r in filter_accounts(ROWS, q="  PRIYA ")] == ["A", "D"]
    assert [r.account for r in filter_accounts(ROWS, q="new")] == ["B"]  # the segment
    assert [r.account for r in filter_accounts(ROWS, q="c")] == ["A", "B", "C"]
    mine = filter_accounts(ROWS, mine=["Priya Shah", "priya@example.com"])
    assert [r.account for r in mine] == ["A", "D"]
    assert [r.account for r in filter_accounts(ROWS, mine=["", "TOM@example.com"])] == ["B"]
    assert filter_accounts(ROWS, mine=["", " "]) == []  # a user without a name owns nothing
    assert [r.account for r in filter_accounts(ROWS, q="priya", mine=["tom@example.com"])] == []


def test_the_csv_has_the_rows_and_neutralises_formulas() -> None:
    rows = [
        AccountRow("A", '=HYPERLINK("http://x")', owner="@evil", balance=-1.23456),
        AccountRow("B", "Beta", last_ltr=7.0, last_ltr_on=date(2025, 2, 1)),
    ]
    text = accounts_csv(rows)
    assert text.endswith("\r\n")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [t["account_id"] for t in table] == ["A", "B"]
    assert table[0]["name"].startswith("'=") and table[0]["owner"] == "'@evil"
    assert table[0]["balance"] == "-1.23" and table[0]["below_threshold"] == "no"
    assert (table[1]["last_ltr"], table[1]["last_ltr_on"]) == ("7.0", "2025-02-01")


def test_debits_show_each_events_contribution_and_its_value_today() -> None:
    scored = score_events(_events(), LedgerParameters(), WEIGHTS)
    detail = account_detail(scored, "A", AS_OF, -5.0)
    row = build_accounts(_accounts(), _ledger(-5.0), _answers(), {}).rows[0]
    view = build_account_page(row, detail, {"implementation": "Implementation"}, [])
    [debit] = view.debits
    failed = [e for e in detail.events if e.outcome == "failed"]
    assert [d.contribution for d in view.debits] == [e.contribution for e in failed] == [-12.0]
    assert debit.value_today == pytest.approx(-12.0 * 0.5 ** (30 / 365))
    assert 0 < debit.share_today < 1 and not debit.compounded
    # what the page used to show: contribution x value today, a positive number
    assert debit.contribution * debit.value_today > 0
    assert view.balance_note == (
        "Balance on 2025-04-01, 30 days after the last interaction on 2025-03-02: "
        "weights decay with time, so the balance changes without new events."
    )


def test_no_balance_note_on_the_day_of_the_last_event() -> None:
    scored = score_events(_events(), LedgerParameters(), WEIGHTS)
    detail = account_detail(scored, "B", "2025-03-18", -5.0)
    row = AccountRow("B", "Beta", balance=detail.balance)
    assert build_account_page(row, detail, {}, []).balance_note is None


def _debit(touchpoint: str, value: float) -> DebitLine:
    return DebitLine(datetime(2025, 3, 2), touchpoint, "implementation", 3, -12.0, value, False)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            AccountRow("A", "A", owner="Ann", balance=-20.0, distance=-10.0, below_threshold=True),
            "Below the defection threshold: call the customer (owner: Ann) and agree a recovery "
            "plan; start with Support (Implementation), the largest debit still weighing "
            "(2025-03-02).",
        ),
        (
            AccountRow("A", "A", balance=-9.0, distance=1.0, near_threshold=True),
            "Near the defection threshold: check in with the customer (set an owner first) "
            "before the next failure; start with Support (Implementation)",
        ),
        (
            AccountRow("A", "A", balance=9.0, distance=19.0, trend=-4.0),
            "Above the threshold but falling (-4.0 over 90 days)",
        ),
        (AccountRow("A", "A", balance=9.0, distance=19.0, trend=1.0), "routine contact"),
        (AccountRow("A", "A", defected_at=date(2025, 2, 1)), "The account left on 2025-02-01"),
        (AccountRow("A", "A"), "No interactions recorded yet"),
    ],
)
def test_the_suggested_action_follows_the_state(row: AccountRow, expected: str) -> None:
    debits = [_debit("sales", -3.0), _debit("support", -11.0)]
    labels = {"support": "Support", "implementation": "Implementation"}
    assert expected in suggest_action(row, debits, labels)


# --- the store behind the list ------------------------------------------------


@pytest.fixture
def study_db(fresh_db: Database) -> Database:
    """Acme (accounts A, B, C; events of A and B; two waves) and Beta (the
    same account ids, no events)."""
    waves = [
        Wave(key="w1", label="Wave 1", opens=date(2025, 1, 6), closes=date(2025, 1, 31)),
        Wave(key="w2", label="Wave 2", opens=date(2025, 3, 3), closes=date(2025, 3, 28)),
    ]
    acme = default_study("acme", organisation="Acme", name="Acme study")
    save_study(fresh_db, acme.model_copy(update={"waves": waves}))
    save_study(fresh_db, default_study("beta", organisation="Beta", name="Beta study"))
    write_accounts(fresh_db, "acme", _accounts(A="Priya Shah"))
    write_accounts(fresh_db, "beta", _accounts())
    ev = _events().assign(source_id=["e1", "e2", "e3"], source_system=None, cost=None, note=None)
    write_events(fresh_db, "acme", ev)
    return fresh_db


def test_last_nps_is_the_latest_customer_answer_of_the_account(study_db: Database) -> None:
    frame = pd.DataFrame(
        {
            "respondent_id": ["c1", "c2", "c3", "s1", "c4"],
            "audience": ["customer", "customer", "customer", "staff", "customer"],
            "team": [None, None, None, "support", None],
            "account_id": ["A", "A", "B", "B", "C"],
            "wave": ["w2", "w1", "w1", "w2", "w2"],
            "ltr": [4.0, 9.0, 7.0, 1.0, math.nan],
        }
    )
    write_frame(study_db, "acme", frame)
    last = last_account_answers(study_db, "acme")
    assert last[["account_id", "value", "wave"]].values.tolist() == [
        ["A", 4.0, "w2"],  # the later wave, though stored first
        ["B", 7.0, "w1"],  # C answered nothing
    ]
    # no submission day: the wave's closing day
    assert list(last["answered_on"].dt.date) == [date(2025, 3, 28), date(2025, 1, 31)]
    assert last_account_answers(study_db, "beta").empty
    listing = load_accounts_list(study_db, "acme", {})
    assert [r.last_ltr for r in listing.rows] == [4.0, 7.0, None]


def test_the_list_from_the_store(study_db: Database) -> None:
    listing = load_accounts_list(study_db, "acme", {})
    assert [r.account for r in listing.rows] == ["A", "B", "C"]
    assert listing.threshold == accounts_ledger(study_db, "acme").threshold
    assert listing.rows[0].owner == "Priya Shah" and listing.reason is None
    # a study without events: rows, no figures, the reason
    empty = load_accounts_list(study_db, "beta", {})
    assert [r.balance for r in empty.rows] == [None, None, None]
    assert empty.reason and "no interaction events" in empty.reason


def test_the_account_page_from_the_store(study_db: Database) -> None:
    view = load_account_page(study_db, "acme", "A", {}, [])
    assert view.detail is not None and view.row.trend is not None
    failed = [e.contribution for e in view.detail.events if e.outcome == "failed"]
    assert [d.contribution for d in view.debits] == failed  # the study's own weights
    # an account without events: its page, without a ledger
    view = load_account_page(study_db, "acme", "C", {}, [])
    assert view.detail is None and view.reason and view.row.defected
    with pytest.raises(NotFoundError):
        load_account_page(study_db, "acme", "ZZZ", {}, [])


def test_setting_an_owner(study_db: Database) -> None:
    assert set_account_owner(study_db, "acme", "B", "  Tom Becker ") == "Tom Becker"
    assert set_account_owner(study_db, "acme", "A", "") is None
    owners = load_accounts(study_db, "acme").set_index("account_id")["owner"]
    assert owners["B"] == "Tom Becker" and pd.isna(owners["A"])
    # the other organisation's account of the same id is untouched
    assert pd.isna(load_accounts(study_db, "beta").set_index("account_id")["owner"]["B"])
    with pytest.raises(NotFoundError):
        set_account_owner(study_db, "acme", "ZZZ", "Tom")
    with pytest.raises(InputError, match="at most 200 characters"):
        set_account_owner(study_db, "acme", "B", "x" * 201)
    with pytest.raises(InputError):
        set_account_owner(study_db, "acme", "B", "Tom\nBecker")
    assert load_accounts(study_db, "acme").set_index("account_id")["owner"]["B"] == "Tom Becker"


def test_the_balance_timeline_dates_carry_the_year() -> None:
    scored = score_events(_events(), LedgerParameters(), WEIGHTS)
    detail = account_detail(scored, "A", AS_OF, -5.0)
    chart = timeline_chart([detail], -5.0, {"A": "Acme"})
    assert chart is not None
    spec = chart.to_dict()
    [axis] = [
        layer["encoding"]["x"]["axis"]
        for layer in spec["layer"]
        if "x" in layer.get("encoding", {})
    ]
    assert "%Y" in axis["format"]
    labels = re.findall(r">(\d{2} [A-Z][a-z]{2} \d{4})<", to_svg(chart) or "")
    assert labels and all(label.endswith("2025") for label in labels)
