"""Hostile text is stored as text and shown as text in every output: the
survey pages, the dashboard pages, the HTML report, the PDF and the slides.

The demo company is given real XSS payloads (script tags, event handlers,
attribute and style breakouts, ``javascript:`` URLs, template syntax) in
respondents' answers, account names, action titles and owners, interview
notes, the study's name and promise and the organisation's name. Each HTML
output is parsed and must hold no element, attribute or URL that the app did
not put there itself, while the payloads appear, literally, as text. The PDF
is read back with ``pdftotext`` and must have loaded nothing; the slides are
read back with python-pptx and must carry the payloads as plain text, never
as a link or an action.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import html5lib
import pytest
from fastapi.testclient import TestClient
from pptx import Presentation
from sqlalchemy import select, update

from cxgap.demo.install import install_demo
from cxgap.report import load_report_data
from cxgap.report.data import ReportData
from cxgap.report.html import render_html
from cxgap.report.pptx import write_pptx
from cxgap.settings import Settings
from cxgap.store import schema as t
from cxgap.store.actions import ActionItem, add_action
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.survey import open_survey, save_answers
from cxgap.store.users import add_user
from cxgap.web import create_app, iter_routes
from cxgap.web.auth import current_user

#: Real payloads, each able to run script if it were written into a page raw.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "</style><style>*{background:url(//evil.test)}",
    "' style='x:url(//evil.test)' onfocus='alert(1)",
    "</title><iframe src=//evil.test>",
    "{{7*7}}",
]
#: Kinds stored in 200 characters: they carry the first five payloads.
SHORT = {"org", "owner"}


def hostile(kind: str) -> str:
    """One text of each kind, carrying the payloads."""
    chosen = [*PAYLOADS[:5], PAYLOADS[-1]] if kind in SHORT else PAYLOADS
    return f"{kind}-mark {' '.join(chosen)}"


KINDS = ["study", "org", "promise", "account", "action", "owner", "answer", "interview"]
PASSWORD = "correct horse battery"
SECRET = "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo company with a payload in each kind of user text."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'demo.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        install_demo(db, seed=7)
        with db.begin() as conn:
            conn.execute(
                update(t.study).values(name=hostile("study"), revision=t.study.c.revision + 1)
            )
            conn.execute(update(t.organisation).values(name=hostile("org")))
            first = conn.execute(select(t.promise_statement.c.id).limit(1)).scalar_one()
            conn.execute(
                update(t.promise_statement)
                .where(t.promise_statement.c.id == first)
                .values(text=hostile("promise"))
            )
            conn.execute(update(t.account).values(name=hostile("account")))
            conn.execute(
                update(t.interview_note).values(
                    text=hostile("interview") + " " + t.interview_note.c.text
                )
            )
            conn.execute(
                update(t.answer)
                .where(t.answer.c.value_text.is_not(None))
                .values(value_text=hostile("answer") + " " + t.answer.c.value_text)
            )
        add_action(
            db,
            "demo",
            ActionItem(title=hostile("action"), factor="resolution", owner=hostile("owner")),
        )
        add_user(
            db, "lead@brightwell.test", organisation=hostile("org"), role="owner", password=PASSWORD
        )
    return url


@pytest.fixture(scope="module")
def data(hostile_url: str) -> ReportData:
    with Database.open(Settings.load(database_url=hostile_url)) as db:
        return load_report_data(db, "demo", bootstrap=50)


@pytest.fixture(scope="module")
def report_html(data: ReportData) -> str:
    return render_html(data)


# --- what an inert page looks like ------------------------------------------------

_URL_ATTRS = {"href", "src", "action", "formaction", "srcset", "poster", "xlink:href", "data"}
_FORBIDDEN = {"iframe", "object", "embed", "base", "frame", "frameset", "applet", "svg", "math"}


def _inert_svg(svg: bytes, where: str) -> None:
    """A chart's SVG: no script, no handler, no link out."""
    root = ET.fromstring(svg)
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        assert tag not in ("script", "foreignObject", "a", "iframe"), (where, tag)
        for name, value in el.attrib.items():
            local = name.rsplit("}", 1)[-1]
            assert not local.lower().startswith("on"), (where, name)
            if local == "href":
                assert value.startswith(("#", "data:")), (where, value)


def page_text(html: str, where: str, *, scripts: tuple[str, ...] = ()) -> str:
    """Check that ``html`` holds nothing active beyond what the app writes, and
    return its text (what a reader sees)."""
    doc = html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)
    texts: list[str] = []
    styles = 0
    for el in doc.iter():
        tag = str(el.tag).lower()
        assert tag not in _FORBIDDEN, (where, tag)
        if tag == "script":
            assert el.get("src") in scripts and not (el.text or "").strip(), (where, el.attrib)
        if tag == "style":
            styles += 1
            assert "evil.test" not in (el.text or ""), where
        if tag == "meta" and el.get("http-equiv", "").lower() == "refresh":
            assert el.get("content", "").isdigit(), (where, el.attrib)  # never to a URL
        for name, value in el.attrib.items():
            low = name.lower()
            assert not low.startswith("on"), (where, tag, name)
            assert low not in ("style", "autofocus", "formaction", "srcdoc"), (where, tag, name)
            if low in _URL_ATTRS:
                v = value.strip().lower()
                assert not v.startswith(("javascript:", "vbscript:", "//", "http:", "https:")), (
                    where,
                    tag,
                    value,
                )
                assert v.startswith(("/", "#", "data:image/", "?")) or v == "", (where, tag, value)
                if v.startswith("data:image/svg+xml;base64,"):
                    _inert_svg(base64.b64decode(value.split(",", 1)[1]), where)
        if tag == "link":
            assert el.get("href", "").startswith("/"), (where, el.attrib)
        texts.append(el.text or "")
        texts.append(el.tail or "")
        if tag in ("input", "textarea", "option"):
            texts.append(el.get("value", ""))
        if tag == "img":
            texts.append(el.get("alt", ""))
    assert styles <= 1, (where, styles)
    return re.sub(r"\s+", " ", " ".join(texts))


def _inert_csv(response: Any, where: str) -> None:
    """A CSV download: served as an attachment the browser will not sniff into
    a page, the payloads kept whole as text, no cell a formula."""
    import csv
    import io

    assert response.headers["content-type"].startswith("text/csv"), where
    assert response.headers["x-content-type-options"] == "nosniff", where
    assert response.headers["content-disposition"].startswith("attachment"), where
    cells = [c for row in csv.reader(io.StringIO(response.text)) for c in row]
    assert hostile("account") in cells, where
    assert not any(c.startswith(("=", "+", "@")) for c in cells), where
    assert not any(
        c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit() for c in cells
    )


def assert_shown_as_text(text: str, kinds: list[str], where: str) -> None:
    """Each kind's payload is in the reader's text, whole and literal."""
    for kind in kinds:
        assert hostile(kind) in text, (where, kind)
    assert "{{7*7}}" in text, where  # no template ran on it
    assert "&lt;" not in text and "&#" not in text, where  # escaped once, not twice


def test_interview_notes_are_stored_as_text(hostile_url: str) -> None:
    """Interview notes are analysed (tags, sentiment, themes) but their text is
    in none of the outputs; they are kept exactly as written."""
    from cxgap.store.accounts import load_interviews

    with Database.open(Settings.load(database_url=hostile_url)) as db:
        notes = load_interviews(db, "demo")
    assert len(notes) == 20
    assert all(str(n).startswith(hostile("interview") + " # Discovery") for n in notes["text"])


# --- the HTML report --------------------------------------------------------------


def test_report_html_shows_every_payload_as_text(report_html: str) -> None:
    text = page_text(report_html, "report")
    assert_shown_as_text(text, ["study", "org", "promise", "account", "action", "owner"], "report")
    # Open answers are quoted in the voice section and as evidence, whole.
    assert hostile("answer") in text
    for raw in PAYLOADS[:3]:
        assert raw not in report_html  # never written raw


# --- the PDF ----------------------------------------------------------------------


def test_pdf_prints_the_payloads_as_text_and_loads_nothing(
    report_html: str, tmp_path: Path
) -> None:
    from cxgap.errors import CxgapError
    from cxgap.report.pdf import load_weasyprint, offline_fetcher, write_pdf

    try:
        weasyprint = load_weasyprint()
    except CxgapError as exc:
        pytest.skip(str(exc))
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    fetcher = offline_fetcher(weasyprint)
    path = write_pdf(report_html, tmp_path / "report.pdf", url_fetcher=fetcher)
    assert fetcher.requested, "the charts go through the fetcher: it must have been asked"
    assert all(u.startswith("data:image/") for u in fetcher.requested), [
        u[:60] for u in fetcher.requested if not u.startswith("data:")
    ]
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for kind in ("study", "promise"):
        assert re.sub(r"\s+", "", hostile(kind)) in flat, kind
    for payload in PAYLOADS:
        assert re.sub(r"\s+", "", payload) in flat, payload
    # {{7*7}} evaluated would print a bare 49 where the payload stood (not the
    # end of a number such as a revenue of 749 beside an account's name).
    evaluated = re.findall(r"\{\{7\*7\}\}|(?<![\d.,])49(?=\s*[a-z])", text)
    assert "&lt;" not in text and "49" not in evaluated
    raw = path.read_bytes()
    assert b"/JavaScript" not in raw and b"/JS " not in raw and b"/Launch" not in raw
    assert b"/URI" not in raw  # no link out of the document, only its own anchors


def test_a_pdf_of_a_page_naming_outside_resources_fetches_none(tmp_path: Path) -> None:
    """Defence in depth: even markup that names a server or a file loads nothing."""
    import http.server
    import threading

    from cxgap.errors import CxgapError
    from cxgap.report.pdf import load_weasyprint, offline_fetcher, write_pdf

    try:
        weasyprint = load_weasyprint()
    except CxgapError as exc:
        pytest.skip(str(exc))
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    page = (
        f'<html><head><link rel="stylesheet" href="{base}/a.css"><style>@import url({base}/b.css);'
        f' body{{background:url({base}/c.png)}}</style></head><body><img src="{base}/d.png">'
        '<img src="file:///etc/hostname"><img src="relative.png"><p>text</p></body></html>'
    )
    fetcher = offline_fetcher(weasyprint)
    try:
        write_pdf(page, tmp_path / "x.pdf", url_fetcher=fetcher)
        assert write_pdf(page, tmp_path / "y.pdf").exists()  # the default fetcher is the same
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert any(u.startswith(base) for u in fetcher.requested)  # asked, and refused


# --- the slides ---------------------------------------------------------------------


def test_slides_carry_the_payloads_as_plain_text_never_as_links(
    data: ReportData, tmp_path: Path
) -> None:
    from pptx.enum.action import PP_ACTION

    path = write_pptx(data, tmp_path / "deck.pptx")
    texts: list[str] = []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            assert shape.click_action.action == PP_ACTION.NONE
            assert shape.click_action.hyperlink.address is None
            frames = []
            if shape.has_text_frame:
                frames.append(shape.text_frame)
            if shape.has_table:
                frames += [c.text_frame for row in shape.table.rows for c in row.cells]
            for frame in frames:
                texts.append(frame.text)
                for paragraph in frame.paragraphs:
                    for run in paragraph.runs:
                        assert run.hyperlink.address is None, run.text
        texts.append(slide.notes_slide.notes_text_frame.text)
    joined = "\n".join(texts)
    for kind in ("study", "org", "promise", "action", "owner"):
        assert hostile(kind) in joined, kind
    with zipfile.ZipFile(path) as deck:
        for name in deck.namelist():
            if name.endswith((".xml", ".rels")):
                body = deck.read(name)
                for marker in (b"hlinkClick", b"hlinkHover", b"hlinkMouseOver", b"/hyperlink"):
                    assert marker not in body, (name, marker)
                assert b'TargetMode="External"' not in body, name
                assert b"<script" not in body, name


# --- the survey pages -----------------------------------------------------------------


def _full_answers(state: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in state.sections:
        for q in section.questions:
            if q.kind in ("rating", "nps", "share"):
                out[q.key] = q.scale_max
            elif q.kind == "rank":
                out.update({f"{q.key}.{i}": n + 1 for n, i in enumerate(q.items)})
            elif q.kind == "multi":
                out[q.key] = [q.items[0]]
            elif q.kind == "choice":
                out[q.key] = q.items[0]
            else:
                out[q.key] = hostile("answer")
    return out


def test_survey_pages_show_the_payloads_as_text(hostile_url: str) -> None:
    with Database.open(Settings.load(database_url=hostile_url)) as db:
        batch = create_invitations(
            db,
            "demo",
            audience="customer",
            wave=open_wave(db),
            contacts=[Contact(email="mallory@example.com", segment="top")],
        )
        token = batch.links[0].token
        state = open_survey(db, token)
        app = create_app(Settings.load(database_url=hostile_url), database=db)
        with TestClient(app) as client:
            last = len(state.sections) - 1
            form = {"section": str(last), "action": "back"}
            form |= {
                q.key: hostile("answer") for q in state.sections[last].questions if q.kind == "text"
            }
            assert client.post(f"/s/{token}", data=form).status_code == 200
            page = client.get(f"/s/{token}", params={"section": last})
            text = page_text(page.text, "survey", scripts=("/static/survey.js",))
            assert_shown_as_text(text, ["study", "answer"], "survey")
            assert open_survey(db, token).answers  # stored as typed
            saved = [v for v in open_survey(db, token).answers.values() if isinstance(v, str)]
            assert saved and all(v == hostile("answer") for v in saved)
            save_answers(db, token, _full_answers(state))
            done = client.post(f"/s/{token}", data={"section": str(last), "action": "submit"})
            assert done.status_code == 200
            thanks = page_text(done.text, "thanks", scripts=("/static/survey.js",))
            assert_shown_as_text(thanks, ["study"], "thanks")
            again = page_text(
                client.get(f"/s/{token}").text, "answered", scripts=("/static/survey.js",)
            )
            assert_shown_as_text(again, ["study"], "answered")


def open_wave(db: Database) -> str:
    from cxgap.store.studies import load_study

    return load_study(db, "demo").wave_keys()[-1]


# --- the dashboard ------------------------------------------------------------------


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _calls(dependant: Any) -> set[Any]:
    found = {dependant.call}
    for d in dependant.dependencies:
        found |= _calls(d)
    return found


def test_every_dashboard_page_shows_the_payloads_as_text(hostile_url: str) -> None:
    with Database.open(Settings.load(database_url=hostile_url)) as db:
        with db.connect() as conn:
            account = conn.execute(select(t.account.c.external_id).limit(1)).scalar_one()
            action_id = conn.execute(
                select(t.action_item.c.id).where(t.action_item.c.title == hostile("action"))
            ).scalar_one()
        settings = Settings.load(database_url=hostile_url).model_copy(update={"secret_key": SECRET})
        app = create_app(settings, database=db)
        with TestClient(app) as client:
            login = client.get("/login")
            r = client.post(
                "/login",
                data={
                    "email": "lead@brightwell.test",
                    "password": PASSWORD,
                    "csrf_token": _csrf(login.text),
                },
                follow_redirects=False,
            )
            assert r.status_code == 303
            csrf = _csrf(client.get("/dashboard").text)
            # Hostile text typed into the dashboard's own forms.
            sheet = {"csrf_token": csrf, "group": hostile("owner")[:100], "wave": open_wave(db)}
            sheet |= {
                f: hostile("answer") for f in ("well", "improve", "competitors", "continue_start")
            }
            r = client.post("/dashboard/studies/demo/workshops", data=sheet, follow_redirects=False)
            assert r.status_code == 303, r.text[:500]
            r = client.post(
                f"/dashboard/studies/demo/actions/{action_id}",
                data={"csrf_token": csrf, "status": "in_progress", "owner": hostile("owner")},
                follow_redirects=False,
            )
            assert r.status_code == 303
            r = client.post(
                "/dashboard/studies/demo/cases/1",
                data={"csrf_token": csrf, "part": "note", "note": hostile("answer")},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text[:500]
            expected = {
                "/dashboard": ["study", "org"],
                "/dashboard/studies/{slug}": ["study", "account", "action", "answer"],
                "/dashboard/studies/{slug}/accounts": ["study", "account"],
                "/dashboard/studies/{slug}/accounts/{account}": ["study", "account"],
                "/dashboard/studies/{slug}/actions": ["study", "action", "owner"],
                "/dashboard/studies/{slug}/setup": ["study", "promise"],
                "/dashboard/studies/{slug}/responses": ["study"],
                "/dashboard/studies/{slug}/workshops": ["study", "answer"],
                "/dashboard/studies/{slug}/actions/candidates": ["study"],
                "/dashboard/studies/{slug}/actions/new": ["study"],
                "/dashboard/studies/{slug}/actions/{action_id}/edit": ["study", "action"],
                "/dashboard/studies/{slug}/setup/new-question": ["study"],
                "/dashboard/studies/{slug}/setup/questions/{key}": ["study"],
                "/dashboard/studies/{slug}/import": ["study"],
                "/dashboard/import": ["org"],
                "/dashboard/studies/{slug}/cases": ["study", "account"],
                "/dashboard/studies/{slug}/cases/{number}": ["study", "account", "answer"],
                "/dashboard/studies/{slug}/notifications": ["study"],
            }
            pages = 0
            for route in iter_routes(app):
                api = route.api
                if api is None or "GET" not in route.methods:
                    continue
                if current_user not in _calls(api.dependant) or route.path.endswith(".css"):
                    continue
                url = (
                    route.path.replace("{slug}", "demo")
                    .replace("{account}", str(account))
                    .replace("{action_id}", str(action_id))
                    .replace("{key}", "ltr")
                    .replace("{number}", "1")
                )
                page = client.get(url)
                if route.path == "/dashboard/studies/{slug}":
                    deadline = time.monotonic() + 300
                    while "Analysing the study" in page.text and time.monotonic() < deadline:
                        time.sleep(2)
                        page = client.get(url)
                    assert "Analysing the study" not in page.text, "the overview never finished"
                assert page.status_code == 200, (url, page.status_code)
                if route.path.endswith(".csv"):  # a download, never rendered as a page
                    _inert_csv(page, url)
                    continue
                text = page_text(page.text, url, scripts=("/static/dashboard.js",))
                assert route.path in expected, f"{route.path}: say which texts it shows"
                assert_shown_as_text(text, expected[route.path], url)
                pages += 1
            assert pages == len(expected)
