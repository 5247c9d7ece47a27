"""Part of the demo's ledger arrives as raw help-desk tickets, not labelled events.

A share of the support and implementation events (40%, at most 3,000) is
written out as a Zendesk
export (``Id``, ``Organization``, ``Created at``, ``Solved at``, ``Status``,
``Priority``, ``Ticket type``, ``SLA``, ``Satisfaction Score``, ``Subject``)
and read back through the ``zendesk`` import preset
(:func:`cxgap.ingest.event_presets.apply_preset`) and
:func:`cxgap.ingest.events.parse_events`, exactly as ``cxgap import events
--preset zendesk`` reads a real export. So those events' touchpoint, moment,
outcome and severity are the preset's reading of the ticket fields, not the
generator's labels:

* a failed event becomes a breached SLA (most), a bad satisfaction rating,
  or, for the worst, an escalated ticket; a ticket that exceeded gets a good
  rating; the rest are solved or closed with no rating (met);
* problem-resolution tickets are problems or incidents, or urgent / high
  priority; routine ones questions and tasks at normal or low priority;
  implementation tickets are of type "Onboarding";
* about 3% are still open or pending: the preset leaves them out (they have
  no outcome yet), as it does with a real export.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxgap.contracts.records import EVENT_COLUMNS
from cxgap.ingest.event_presets import apply_preset
from cxgap.ingest.events import parse_events, vocabulary
from cxgap.study.model import StudyDefinition

__all__ = ["RAW_SHARE", "through_preset"]

#: Share of support and implementation events that arrive as raw tickets,
#: and at most this many (the preset reads row by row: a bounded cost at
#: ``--scale 250``, where the share would be 275,000 tickets).
RAW_SHARE = 0.4
RAW_MAX = 3_000
_OPEN_SHARE = 0.03
_STAMP = "%Y-%m-%d %H:%M:%S"


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def zendesk_export(rng: np.random.Generator, events: pd.DataFrame) -> pd.DataFrame:
    """The events as rows of a Zendesk tickets export (all text)."""
    n = len(events)
    failed = (events["outcome"] == "failed").to_numpy()
    exceeded = (events["outcome"] == "exceeded").to_numpy()
    severity = events["severity"].fillna(0).to_numpy()
    problem = (events["moment"] == "problem_resolution").to_numpy()
    onboarding = (events["touchpoint"] == "implementation").to_numpy()
    u = rng.random(n)
    escalated = failed & (severity >= 3) & (u < 0.5)
    breached = failed & ~escalated & (u < 0.75)
    bad = failed & ~escalated & ~breached
    status = np.where(
        escalated, "Escalated", np.where(rng.random(n) < 0.7, "Solved", "Closed")
    ).astype(object)
    still_open = rng.random(n) < _OPEN_SHARE
    status[still_open] = _pick(rng, ("Open", "Pending", "On-hold"), int(still_open.sum()))
    kind = np.where(
        onboarding,
        _pick(rng, ("Onboarding", "Implementation task"), n),
        np.where(
            problem,
            _pick(rng, ("Problem", "Incident"), n),
            _pick(rng, ("Question", "Task"), n),
        ),
    )
    priority = np.where(
        problem & ~onboarding,
        _pick(rng, ("Urgent", "High", "High", "Normal"), n),
        _pick(rng, ("Normal", "Normal", "Low"), n),
    )
    # a problem ticket at normal priority still reads as a problem by its type;
    # a routine one must not look urgent
    sla = np.where(breached, _pick(rng, ("Breached", "SLA breached"), n), "Achieved")
    sla = np.where(rng.random(n) < 0.15, "", sla)  # no SLA policy on some tickets
    sla = np.where(breached, np.where(sla == "", "Breached", sla), sla)
    satisfaction = np.where(
        bad,
        "Bad",
        np.where(exceeded, "Good", np.where(rng.random(n) < 0.2, "Offered", "")),
    )
    solved = pd.to_datetime(events["timestamp"])
    open_hours = rng.gamma(2.0, np.where(failed, 40.0, 10.0))
    created = solved - pd.to_timedelta(open_hours, unit="h")
    solved_text = solved.dt.strftime(_STAMP).where(~still_open, "")
    return pd.DataFrame(
        {
            "Id": (np.arange(n) + 40_001).astype(str),
            "Organization": events["account_id"].astype(str).to_numpy(),
            "Created at": created.dt.strftime(_STAMP).to_numpy(),
            "Solved at": solved_text.to_numpy(),
            "Status": status,
            "Priority": priority,
            "Ticket type": kind,
            "SLA": sla,
            "Satisfaction Score": satisfaction,
            "Subject": events["note"].astype(str).to_numpy(),
        }
    ).astype(object)


def through_preset(
    rng: np.random.Generator,
    events: pd.DataFrame,
    study: StudyDefinition,
    *,
    as_of: pd.Timestamp,
    share: float = RAW_SHARE,
) -> pd.DataFrame:
    """``events`` with a ``share`` of the support and implementation events
    replaced by what the Zendesk preset reads from their raw tickets (the
    costs stay the generator's), in time order."""
    eligible = events["touchpoint"].isin(["support", "implementation"]).to_numpy()
    raw = eligible & (rng.random(len(events)) < share)
    if raw.sum() > RAW_MAX:
        keep = rng.choice(np.flatnonzero(raw), RAW_MAX, replace=False)
        raw = np.zeros(len(events), dtype=bool)
        raw[keep] = True
    if not raw.any():
        return events
    picked = events.loc[raw].reset_index(drop=True)
    export = zendesk_export(rng, picked)
    table, mapping = apply_preset(export, "zendesk")
    parsed = parse_events(
        table,
        mapping=mapping,
        as_of=as_of,
        moments=vocabulary((m.key, m.label) for m in study.moments),
        touchpoints=vocabulary((t.key, t.label) for t in study.touchpoints),
        accounts=set(events["account_id"]),
    )
    # the ticket's cost is the generator's (a help desk has none)
    cost = pd.Series(picked["cost"].to_numpy(), index="zendesk:" + export["Id"])
    parsed["cost"] = parsed["source_id"].map(cost).to_numpy()
    parsed.loc[parsed["outcome"] != "failed", "cost"] = 0.0
    parsed = parsed[list(EVENT_COLUMNS)]
    out = pd.concat([events.loc[~raw], parsed], ignore_index=True)
    out["timestamp"] = pd.to_datetime(out["timestamp"])
    out = out.sort_values(["timestamp", "account_id"], kind="stable").reset_index(drop=True)
    return out[list(EVENT_COLUMNS)]
