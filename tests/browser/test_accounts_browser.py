"""The accounts list of the demo company in Debian's headless Chromium, as an
account manager uses it: filter "near the threshold", sort by balance, open
an account, read its debits and suggested action, set its owner. At laptop
(1400 px) and phone (390 px) width; no console errors, no request off
127.0.0.1, the page never scrolls sideways. Screenshots go to
``test-artifacts/browser/accounts-*.png``."""

from __future__ import annotations

from typing import Any

import pytest

from cxgap.store.accounts import load_accounts

from .live import Server, sign_in
from .test_dashboard_browser import _no_sideways_scroll
from .test_dashboard_browser import demo_server as demo_server  # the fixture, reused

pytestmark = pytest.mark.browser

SIZES = {"laptop": (1400, 900, False), "phone": (390, 844, True)}


def _number(text: str) -> float:
    return float(text.strip().replace("−", "-").replace(",", ""))


@pytest.mark.parametrize("size", list(SIZES))
def test_an_account_manager_triages_the_accounts(
    demo_server: Server, open_page: Any, size: str
) -> None:
    base = demo_server.base_url
    width, height, mobile = SIZES[size]
    w = open_page(width, height, mobile=mobile)
    page = w.page
    sign_in(page, base)
    page.goto(f"{base}/dashboard/studies/demo/accounts")
    total = page.locator("tbody tr").count()
    assert total == len(load_accounts(demo_server.db, "demo"))
    _no_sideways_scroll(page)
    w.shot(f"accounts-{size}-list")

    page.get_by_label("Near the threshold").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**near=1**")
    rows = page.locator("tbody tr")
    assert 0 < rows.count() < total
    classes = rows.evaluate_all("rows => rows.map(r => r.className)")
    assert set(classes) <= {"dash-below", "dash-near"}, classes

    page.locator("thead").get_by_role("link", name="Balance").click()
    page.wait_for_url("**sort=balance**")
    assert "near=1" in page.url  # the filter stays while sorting
    balances = [_number(t) for t in page.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert balances == sorted(balances) and len(balances) == rows.count()
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("Balance")
    _no_sideways_scroll(page)
    w.shot(f"accounts-{size}-near-by-balance")

    page.locator("tbody a").first.click()
    page.wait_for_selector("figure.dash-chart img")
    text = page.inner_text("#content")
    assert "Suggested action" in text and "Below the defection threshold" in text
    assert "Largest debits still weighing on the balance" in text
    debits = page.locator("table.dash-debits tbody tr")
    assert debits.count() > 0
    for cells in debits.evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText))"):
        contribution, today = _number(cells[4]), _number(cells[5].split()[0])
        assert contribution < 0 and contribution <= today < 0  # a debit, partly faded
    _no_sideways_scroll(page)
    w.shot(f"accounts-{size}-account")

    page.get_by_label("Set the owner").fill("Dana Ortiz")
    page.get_by_role("button", name="Save owner").click()
    page.wait_for_selector(".dash-ok")
    assert page.inner_text("#owner-now") == "Dana Ortiz"
    account = page.url.split("/accounts/", 1)[1].split("?", 1)[0]
    owners = load_accounts(demo_server.db, "demo").set_index("account_id")["owner"]
    assert owners[account] == "Dana Ortiz"
