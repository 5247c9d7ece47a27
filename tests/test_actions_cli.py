"""The action plan and priorities through the CLI, on the demo company."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cxgap.cli import app

runner = CliRunner()


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_list_shows_the_demo_plan_as_json(demo_db_url: str) -> None:
    items = json.loads(_ok("actions", "list", "demo", "--json", "--db", demo_db_url))
    assert {i["status"] for i in items} >= {"done", "in_progress", "accepted", "proposed"}
    assert all(i["title"] for i in items)


def test_propose_add_update_round_trip(demo_copy_url: str) -> None:
    db = ("--db", demo_copy_url)
    before = json.loads(_ok("actions", "list", "demo", "--json", *db))
    _ok("actions", "propose", "demo", "--top", "2", *db)
    after = json.loads(_ok("actions", "list", "demo", "--json", *db))
    proposed = [a for a in after if a["id"] not in {b["id"] for b in before}]
    assert len(proposed) == 2
    assert all(a["status"] == "proposed" and a["evidence"] for a in proposed)
    assert all(a["priority"] is not None for a in proposed)
    # proposing again does not duplicate the same factor x touchpoint
    _ok("actions", "propose", "demo", "--top", "2", *db)
    again = json.loads(_ok("actions", "list", "demo", "--json", *db))
    pairs = [(a["factor"], a["touchpoint"]) for a in again]
    assert len(pairs) == len(set(pairs))

    out = _ok(
        "actions",
        "add",
        "demo",
        "Call every defected account",
        "--factor",
        "empathy",
        "--owner",
        "CX lead",
        "--due",
        "2027-01-15",
        *db,
    )
    new_id = int(out.split("Added action ")[1].split(":")[0])
    _ok("actions", "update", "demo", str(new_id), "--status", "in_progress", *db)
    items = {a["id"]: a for a in json.loads(_ok("actions", "list", "demo", "--json", *db))}
    assert items[new_id]["status"] == "in_progress"
    assert items[new_id]["due_on"] == "2027-01-15"
    assert items[new_id]["owner"] == "CX lead"


def test_bad_action_input_is_one_line_exit_2(demo_copy_url: str) -> None:
    for args in (
        ["add", "demo", "x", "--due", "2027-02-30"],
        ["add", "demo", "x", "--factor", "nope"],
        ["update", "demo", "1", "--status", "bogus"],
        ["update", "demo", "999", "--status", "done"],
    ):
        result = runner.invoke(app, ["actions", *args, "--db", demo_copy_url])
        assert result.exit_code == 2, args
        assert result.stderr.startswith("Error: ")
        assert len(result.stderr.strip().splitlines()) == 1


def test_priorities_names_the_hidden_driver_and_quadrants(demo_db_url: str) -> None:
    out = json.loads(_ok("priorities", "demo", "--json", "--bootstrap", "100", "--db", demo_db_url))
    quadrants = {f["factor"]: f["quadrant"] for f in out["factors"]}
    assert quadrants["resolution"] == "Concentrate here"
    assert quadrants["time_effort"] == "Concentrate here"
    verdicts = {s["factor"]: s["verdict"] for s in out["stated_vs_derived"]}
    assert verdicts["empathy"] == "hidden driver"
    derived = json.loads(
        _ok(
            "priorities",
            "demo",
            "--json",
            "--importance",
            "derived",
            "--bootstrap",
            "100",
            "--db",
            demo_db_url,
        )
    )
    assert derived["importance"] == "derived"
    text = _ok("priorities", "demo", "--bootstrap", "50", "--db", demo_db_url)
    assert "Empathy: hidden driver" in text
