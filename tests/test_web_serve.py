"""``cxgap serve``: the real command in a subprocess answers on loopback;
a database without the schema is one clear line and exit 2."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cxgap.cli import app
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.study.defaults import default_study


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def test_serve_answers_survey_links_on_loopback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    with Database.open(Settings.load(database_url=url)) as db:
        upgrade(db)
        save_study(db, default_study("acme", organisation="Acme", name="Acme study"))
        [link] = create_invitations(
            db, "acme", audience="customer", wave="w1", contacts=[Contact(email="a@b.example")]
        ).links
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxgap", "serve", "--db", url, "--port", str(port), "--dev"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _ = _get(port, "/api/v1/health")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "cxgap serve did not start"
                time.sleep(0.1)
        assert status == 200
        status, page = _get(port, f"/s/{link.token}")
        assert status == 200 and "Section 1 of 5" in page and "Acme study" in page
        status, css = _get(port, "/static/survey.css")
        assert status == 200 and "--accent" in css
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log = proc.stdout.read().decode() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
    # Respondent links carry their token in the path: the server log never does.
    assert "Uvicorn running" in log or "Application startup" in log
    assert link.token not in log


def test_serve_refuses_a_database_without_the_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 2
    assert "has no cxgap schema" in result.stderr and "cxgap db upgrade" in result.stderr


@pytest.mark.parametrize("secret", [None, "changeme", "short-but-random-3f9a"])
def test_every_worker_refuses_an_insecure_secret_key(
    secret: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxgap.errors import ConfigError
    from cxgap.web.server import app_from_environment

    monkeypatch.setenv("CXGAP_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    if secret is None:
        monkeypatch.delenv("CXGAP_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("CXGAP_SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="CXGAP_SECRET_KEY"):
        app_from_environment()


def test_a_worker_builds_its_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxgap.web.server import app_from_environment

    url = f"sqlite:///{tmp_path / 'w.db'}"
    monkeypatch.setenv("CXGAP_DATABASE_URL", url)
    monkeypatch.setenv("CXGAP_SECRET_KEY", "3f9a1c0e5b7d2468ace13579bdf02468a1b2c3d4")
    app = app_from_environment()
    assert app.state.settings.database_url == url
