"""The accounts pages of the dashboard on the demo company, through the app
(TestClient): the list sorted, searched and filtered, its CSV, the account
page's debits and state, and the owner form (CSRF, roles, bad input)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.service.accounts_view import filter_accounts, load_accounts_list
from cxgap.service.ledger import account_ledger
from cxgap.settings import Settings
from cxgap.store.accounts import load_accounts, write_accounts
from cxgap.store.db import Database
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app

from .test_dashboard import PASSWORD, SECRET, _accounts, csrf_of, sign_in

BASE = "/dashboard/studies/demo/accounts"
ORG = "Brightwell Systems"


@pytest.fixture
def demo(demo_copy_url: str) -> Iterator[tuple[TestClient, Database]]:
    """The app on a private copy of the demo: priya (owner, named like the
    demo's account owner Priya Shah), val (viewer)."""
    settings = Settings.load(database_url=demo_copy_url).model_copy(update={"secret_key": SECRET})
    db = Database.open(settings)
    add_user(
        db,
        "priya@example.com",
        organisation=ORG,
        role="owner",
        password=PASSWORD,
        name="Priya Shah",
    )
    add_user(db, "val@example.com", organisation=ORG, role="viewer", password=PASSWORD)
    with TestClient(create_app(settings, database=db)) as client:
        yield client, db
    db.close()


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr data-account="([^"]+)"', html)


def _cells(html: str, account: str) -> list[str]:
    row = re.search(rf'<tr data-account="{re.escape(account)}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, account
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


def test_the_list_has_every_column_and_sorts_by_balance(demo: Any) -> None:
    client, db = demo
    sign_in(client, "priya@example.com")
    page = client.get(BASE, params={"sort": "balance", "dir": "asc"})
    assert page.status_code == 200
    for head in (
        "Balance", "Distance to threshold", "Trend 90 days", "Annual revenue", "Owner",
        "Open cases", "Last NPS answer", "Segment", "Defected",
    ):  # fmt: skip
        assert f">{head}" in page.text, head
    listing = load_accounts_list(db, "demo", {})
    ids = _ids(page.text)
    assert len(ids) == len(listing.rows) == len(load_accounts(db, "demo"))
    balances = {r.account: r.balance for r in listing.rows}
    gone = {r.account for r in listing.rows if r.defected}
    assert gone and set(ids[-len(gone) :]) == gone  # those that left come last
    for part in (ids[: -len(gone)], ids[-len(gone) :]):
        values = [balances[i] for i in part]
        assert values == sorted(values)  # type: ignore[type-var]
    assert 'aria-sort="ascending"' in page.text
    down = client.get(BASE, params={"sort": "balance", "dir": "desc"})
    values = [balances[i] for i in _ids(down.text)[: -len(gone)]]
    assert values == sorted(values, reverse=True)  # type: ignore[type-var]
    assert 'aria-sort="descending"' in down.text
    first = _ids(client.get(BASE, params={"sort": "defected", "dir": "desc"}).text)[0]
    assert first in gone
    # the cells of one account say what the builder computed
    row = next(r for r in listing.rows if r.last_ltr is not None and r.revenue)
    cells = _cells(page.text, row.account)
    assert cells[0] == f"{row.balance:.1f}"
    assert cells[3] == f"{row.revenue:,.0f}" and cells[4] == row.owner
    assert cells[6].startswith(str(int(row.last_ltr or 0)))


def test_near_mine_and_search_filter_the_rows(demo: Any) -> None:
    client, db = demo
    sign_in(client, "priya@example.com")
    listing = load_accounts_list(db, "demo", {})
    near = client.get(BASE, params={"near": "1"})
    expected = [r.account for r in filter_accounts(listing.rows, near=True)]
    assert expected and sorted(_ids(near.text)) == sorted(expected)
    assert len(expected) < len(listing.rows)
    mine = client.get(BASE, params={"mine": "1"})
    owned = [r.account for r in listing.rows if (r.owner or "").lower() == "priya shah"]
    assert owned and sorted(_ids(mine.text)) == sorted(owned)
    assert f"{len(owned)} of {len(listing.rows)} accounts" in mine.text
    some = listing.rows[3]
    found = client.get(BASE, params={"q": some.name.upper()})
    assert some.account in _ids(found.text)
    none = client.get(BASE, params={"q": "no such account anywhere"})
    assert _ids(none.text) == [] and "No account matches" in none.text


def test_the_csv_holds_the_same_filtered_rows(demo: Any) -> None:
    client, _ = demo
    sign_in(client, "priya@example.com")
    query = {"near": "1", "sort": "revenue", "dir": "desc"}
    page = client.get(BASE, params=query)
    assert "accounts.csv?" in page.text
    got = client.get(f"{BASE}.csv", params=query)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert [r["account_id"] for r in rows] == _ids(page.text)
    assert all(r["near_threshold"] == "yes" for r in rows)


def test_an_owner_that_looks_like_a_formula_is_neutralised_in_the_csv(demo: Any) -> None:
    client, _ = demo
    sign_in(client, "priya@example.com")
    here = f"{BASE}/ACC-00002"
    token = csrf_of(client.get(here).text)
    r = client.post(f"{here}/owner", data={"csrf_token": token, "owner": "=HYPERLINK(1)"})
    assert r.status_code == 200  # after the redirect
    rows = list(csv.DictReader(io.StringIO(client.get(f"{BASE}.csv").text)))
    [row] = [x for x in rows if x["account_id"] == "ACC-00002"]
    assert row["owner"] == "'=HYPERLINK(1)"


def test_bad_sort_direction_and_flags_are_clear_errors(demo: Any) -> None:
    client, _ = demo
    sign_in(client, "priya@example.com")
    for params in ({"sort": "size"}, {"dir": "up"}, {"near": "yes"}):
        r = client.get(BASE, params=params)
        assert r.status_code == 422, params
        assert "Expected one of" in r.text or "one of" in r.text
        assert client.get(f"{BASE}.csv", params=params).status_code == 422


def _debit_rows(html: str) -> list[list[str]]:
    table = re.search(r'<table class="dash-debits">(.*?)</table>', html, re.S)
    assert table
    body = table[1].split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_the_debits_show_the_events_contributions_and_their_value_today(demo: Any) -> None:
    client, db = demo
    sign_in(client, "priya@example.com")
    listing = load_accounts_list(db, "demo", {})
    below = next(r for r in listing.rows if r.below_threshold)
    page = client.get(f"{BASE}/{below.account}")
    assert page.status_code == 200
    detail = account_ledger(db, "demo", below.account)
    shown = _debit_rows(page.text)
    assert len(shown) == len(detail.largest_debits) > 0
    by_time = {e.timestamp.strftime("%Y-%m-%d"): e for e in detail.events}
    for cells, debit in zip(shown, detail.largest_debits, strict=True):
        event = by_time[cells[0]]
        # the contribution of the event itself, negative, never multiplied by its weight
        assert cells[4] == f"{event.contribution:+.2f}" == f"{debit.contribution:+.2f}"
        assert cells[5].startswith(f"{debit.weight_now:+.2f}")
        assert float(cells[4]) < 0 and float(cells[5].split()[0]) < 0
        assert abs(float(cells[5].split()[0])) <= abs(float(cells[4]))
        assert cells[6] == ("yes" if debit.compounded else "no")
    assert "Suggested action" in page.text and "Below the defection threshold" in page.text
    assert "weights decay with time" in page.text  # the as-of date is after its last event


def test_a_defected_account_says_so(demo: Any) -> None:
    client, db = demo
    sign_in(client, "priya@example.com")
    gone = next(r for r in load_accounts_list(db, "demo", {}).rows if r.defected)
    page = client.get(f"{BASE}/{gone.account}")
    assert f"This account defected on {gone.defected_at:%Y-%m-%d}" in page.text
    assert "exit conversation" in page.text


def test_owners_set_an_account_owner_viewers_cannot(demo: Any) -> None:
    client, db = demo
    here = f"{BASE}/ACC-00004"
    sign_in(client, "val@example.com")
    viewer_page = client.get(here)
    assert 'action="' + here + '/owner"' not in viewer_page.text
    token = csrf_of(viewer_page.text)
    r = client.post(f"{here}/owner", data={"csrf_token": token, "owner": "Val"})
    assert r.status_code == 403 and "viewers cannot change an account" in r.text
    client.post("/logout", data={"csrf_token": token})

    sign_in(client, "priya@example.com")
    form = client.get(here)
    assert f'action="{here}/owner"' in form.text
    token = csrf_of(form.text)
    assert client.post(f"{here}/owner", data={"owner": "Priya Shah"}).status_code == 403
    r = client.post(
        f"{here}/owner", data={"csrf_token": token, "owner": " priya shah "}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?saved=owner#owner")
    assert "Owner saved." in client.get(r.headers["location"]).text
    owners = load_accounts(db, "demo").set_index("account_id")["owner"]
    assert owners["ACC-00004"] == "priya shah"
    # now one of "mine" (case-insensitive)
    assert "ACC-00004" in _ids(client.get(BASE, params={"mine": "1"}).text)
    bad = client.post(f"{here}/owner", data={"csrf_token": token, "owner": "x" * 201})
    assert bad.status_code == 200 and 'id="acc-owner-error"' in bad.text
    assert "at most 200 characters" in bad.text
    assert load_accounts(db, "demo").set_index("account_id")["owner"]["ACC-00004"] == "priya shah"


def test_a_study_without_events_lists_its_accounts_and_says_why(
    fresh_db: Database, db_url: str
) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme", name="Acme study"))
    write_accounts(fresh_db, "acme", _accounts("ACME", "top"))
    add_user(fresh_db, "ann@example.com", organisation="Acme", role="owner", password=PASSWORD)
    settings = Settings.load(database_url=db_url).model_copy(update={"secret_key": SECRET})
    with TestClient(create_app(settings, database=fresh_db)) as client:
        sign_in(client, "ann@example.com")
        page = client.get("/dashboard/studies/acme/accounts")
        assert page.status_code == 200 and "ACME Holdings" in page.text
        assert "No balances yet" in page.text and "no interaction events" in page.text
        account = client.get("/dashboard/studies/acme/accounts/ACME1")
        assert account.status_code == 200 and "No ledger for this account yet" in account.text
        assert "Sam" in account.text  # its owner
        assert client.get("/dashboard/studies/acme/accounts/NOPE").status_code == 404
