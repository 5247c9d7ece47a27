"""Generate the demo company: Brightwell Systems, a B2B software supplier.

Everything is drawn from one ``numpy.random.Generator`` seeded by the caller,
so the same seed gives the same company. The structure is realistic rather
than uniform noise: people belong to teams and accounts, account-level
effects make contacts of one account agree, the same people answer both waves,
and the effects listed in :mod:`cxgap.demo.effects` are planted for the
analyses to recover. ``scale`` multiplies respondents, accounts and events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from cxgap.contracts.records import INTERVIEW_COLUMNS
from cxgap.demo import effects as fx
from cxgap.demo import texts
from cxgap.store.actions import ActionItem
from cxgap.store.frames import question_columns
from cxgap.study.defaults import default_study
from cxgap.study.model import StudyDefinition, Wave

ORGANISATION = "Brightwell Systems"
SLUG = "demo"
EVENTS_START = pd.Timestamp("2025-05-01")
EVENTS_END = pd.Timestamp("2026-10-31")
WAVES = [
    Wave(key="w1", label="Autumn 2025", opens=date(2025, 10, 6), closes=date(2025, 10, 31)),
    Wave(key="w2", label="Autumn 2026", opens=date(2026, 10, 5), closes=date(2026, 10, 30)),
]
RESPONSE_RATES = {"leadership": 0.95, "staff": 0.85, "customer": 0.72}

_NAME_A = [
    "Alder",
    "Beacon",
    "Cobalt",
    "Dunmore",
    "Eastgate",
    "Fernhill",
    "Granite",
    "Harbour",
    "Ironbridge",
    "Juniper",
    "Kestrel",
    "Larkspur",
    "Meridian",
    "Northfield",
    "Oakridge",
    "Pinecrest",
    "Quayside",
    "Redwood",
    "Silverton",
    "Thornbury",
    "Upland",
    "Vantage",
    "Westbrook",
    "Yarrow",
]
_NAME_B = [
    "Foods",
    "Logistics",
    "Retail",
    "Pharma",
    "Distribution",
    "Wholesale",
    "Freight",
    "Manufacturing",
    "Healthcare",
    "Energy",
]
_NAME_C = ["Ltd", "Group", "plc", "& Co", "Holdings"]
_OWNERS = [
    "Priya Shah",
    "Tom Becker",
    "Aisha Okafor",
    "Liam O'Connor",
    "Mei Lin",
    "Carlos Ruiz",
    "Hannah Weiss",
    "Kwame Mensah",
]


@dataclass
class DemoData:
    """Everything the demo holds, as tidy frames ready to store."""

    study: StudyDefinition
    accounts: pd.DataFrame
    frame: pd.DataFrame
    interviews: pd.DataFrame
    events: pd.DataFrame
    people: pd.DataFrame
    actions: list[ActionItem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many of each thing the demo created (people invited, whether or
        not they answered)."""
        audience = self.people["audience"]
        return {
            "leaders": int((audience == "leadership").sum()),
            "staff": int((audience == "staff").sum()),
            "customer contacts": int((audience == "customer").sum()),
            "accounts": len(self.accounts),
            "responses": len(self.frame),
            "workshop sheets": int((self.frame["source"] == "workshop").sum()),
            "interview notes": len(self.interviews),
            "interaction events": len(self.events),
            "action items": len(self.actions),
        }


def demo_study() -> StudyDefinition:
    """The demo's study definition: the defaults plus the company's promise,
    competitors and two waves."""
    study = default_study(
        SLUG, organisation=ORGANISATION, name="Brightwell customer experience study"
    )
    return study.model_copy(
        update={
            "description": "Perception-gap study of Brightwell's warehouse software customers.",
            "promise": [
                "We get you live on the date we agreed, with no surprises.",
                "When something breaks, we fix it fast and tell you what happened.",
                "You deal with people who know your business.",
            ],
            "competitors": list(texts.COMPETITORS),
            "waves": list(WAVES),
        }
    )


def _accounts(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    segs = [s for s, n in fx.ACCOUNTS_PER_SEGMENT.items() for _ in range(n * scale)]
    n = len(segs)
    segment = np.array(segs, dtype=object)
    rng.shuffle(segment)
    names = [
        f"{_NAME_A[i % len(_NAME_A)]} {_NAME_B[(i // len(_NAME_A)) % len(_NAME_B)]} "
        f"{_NAME_C[(i // (len(_NAME_A) * len(_NAME_B))) % len(_NAME_C)]}"
        + (
            f" {i // (len(_NAME_A) * len(_NAME_B) * len(_NAME_C)) + 1}"
            if i >= len(_NAME_A) * len(_NAME_B) * len(_NAME_C)
            else ""
        )
        for i in rng.permutation(n)
    ]
    revenue = np.where(
        segment == "top",
        rng.lognormal(np.log(600_000), 0.45, n),
        rng.lognormal(np.log(85_000), 0.6, n),
    ).round(-2)
    acquired = pd.to_datetime("2018-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), unit="D")
    new_acq = pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    acquired_at = np.where(segment == "new", new_acq, acquired)
    defected = pd.Timestamp("2025-09-01") + pd.to_timedelta(rng.integers(0, 390, n), unit="D")
    defected_at = pd.Series(pd.to_datetime(defected)).where(segment == "defected")
    return pd.DataFrame(
        {
            "account_id": [f"ACC-{i + 1:05d}" for i in range(n)],
            "name": names,
            "segment": segment,
            "annual_revenue": revenue,
            "owner": rng.choice(_OWNERS, n),
            "acquired_at": pd.to_datetime(acquired_at),
            "defected_at": pd.to_datetime(defected_at),
        }
    )


def _people(rng: np.random.Generator, accounts: pd.DataFrame, scale: int) -> pd.DataFrame:
    leaders = pd.DataFrame(
        {
            "respondent_id": [f"L{i + 1:04d}" for i in range(10 * scale)],
            "audience": "leadership",
            "segment": None,
            "team": None,
            "account_id": None,
        }
    )
    teams = [t for t, n in fx.STAFF_TEAMS.items() for _ in range(n * scale)]
    staff = pd.DataFrame(
        {
            "respondent_id": [f"S{i + 1:05d}" for i in range(len(teams))],
            "audience": "staff",
            "segment": None,
            "team": teams,
            "account_id": None,
        }
    )
    # Contacts per account: top accounts have more people in the study.
    per = np.where(
        accounts["segment"] == "top",
        rng.integers(3, 6, len(accounts)),
        rng.choice([1, 2, 3, 4], len(accounts), p=[0.25, 0.4, 0.25, 0.1]),
    )
    idx = np.repeat(np.arange(len(accounts)), per)
    customers = pd.DataFrame(
        {
            "respondent_id": [f"C{i + 1:06d}" for i in range(len(idx))],
            "audience": "customer",
            "segment": accounts["segment"].to_numpy()[idx],
            "team": None,
            "account_id": accounts["account_id"].to_numpy()[idx],
        }
    )
    return pd.concat([leaders, staff, customers], ignore_index=True)


def _clip_round(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.rint(x), low, high)


def _responses(
    rng: np.random.Generator, study: StudyDefinition, people: pd.DataFrame, accounts: pd.DataFrame
) -> pd.DataFrame:
    n = len(people)
    aud = people["audience"].to_numpy()
    seg = people["segment"].to_numpy()
    factors = [f.key for f in study.factors]
    tps = [t.key for t in study.touchpoints]
    acc_index = {a: i for i, a in enumerate(accounts["account_id"])}
    acc_effect = rng.normal(0, 0.35, len(accounts))
    person_acc = np.array(
        [acc_effect[acc_index[a]] if a is not None else 0.0 for a in people["account_id"]]
    )
    person_effect = rng.normal(0, 0.35, n) + person_acc
    uplift = np.array([fx.AUDIENCE_UPLIFT[a] for a in aud])
    cust = aud == "customer"

    rows = []
    for wave_no, wave in enumerate(study.wave_keys()[:2]):
        responded = rng.random(n) < np.array([RESPONSE_RATES[a] for a in aud])
        data: dict[str, np.ndarray] = {}
        latent_perf = {}
        for f in factors:
            base = fx.CUSTOMER_FACTOR_MEANS[f] + uplift
            seg_off = np.array(
                [
                    fx.SEGMENT_OFFSETS.get(s, {}).get(
                        f, fx.SEGMENT_OFFSETS.get(s, {}).get("*", 0.0)
                    )
                    if s
                    else 0.0
                    for s in seg
                ]
            )
            improve = fx.WAVE2_IMPROVEMENT.get(f, 0.0) * wave_no
            # Staff see part of the improvement; leadership believed it was fine already.
            improve_by_aud = np.where(cust, improve, np.where(aud == "staff", improve / 2, 0.0))
            latent = base + seg_off + improve_by_aud + person_effect + rng.normal(0, 0.55, n)
            latent_perf[f] = latent
            data[f"perf.{f}"] = _clip_round(latent, 1, 5)
        imp_mean = np.array([fx.CUSTOMER_STATED_IMPORTANCE[f] for f in factors])
        imp_latent = imp_mean[None, :] + rng.normal(0, 0.6, (n, len(factors)))
        for j, f in enumerate(factors):
            data[f"imp.{f}"] = _clip_round(imp_latent[:, j], 1, 5)
        order = (
            np.argsort(
                np.argsort(-(imp_latent + rng.normal(0, 0.3, imp_latent.shape)), axis=1), axis=1
            )
            + 1
        )
        ranked = rng.random(n) < 0.8  # the ranking is optional
        for j, f in enumerate(factors):
            data[f"rank.{f}"] = np.where(ranked, order[:, j], np.nan)
        for tkey in tps:
            latent = (
                fx.CUSTOMER_TOUCHPOINT_MEANS[tkey]
                + uplift
                + person_effect
                + (0.3 * wave_no if tkey == "support" else 0.0) * cust
                + rng.normal(0, 0.6, n)
            )
            if tkey in ("support", "implementation"):
                latent = latent - 0.6 * (seg == "defected")
            data[f"tp.{tkey}"] = _clip_round(latent, 1, 5)
        # Excellent: the top-box share per audience is planted; lower boxes follow perf.
        mean_perf = np.mean([latent_perf[f] for f in factors], axis=0)
        p_top = np.array([fx.EXCELLENT_TOP_BOX[a] for a in aud])
        p_top = np.where(seg == "top", p_top * 1.8, p_top)
        p_top = np.where(seg == "defected", p_top * 0.2, p_top)
        top = rng.random(n) < p_top
        data["excellent"] = np.where(top, 5, _clip_round(np.minimum(mean_perf, 4.4), 1, 4))
        # Likelihood to recommend (customers only): empathy is the hidden driver.
        ltr = 6.6 + rng.normal(0, 1.0, n)
        for f, w in fx.LTR_WEIGHTS.items():
            ltr = ltr + w * (latent_perf[f] - fx.CUSTOMER_FACTOR_MEANS[f] - uplift)
        data["ltr"] = np.where(cust, _clip_round(ltr, 0, 10), np.nan)
        for a, (prom, det) in fx.EXPECTED_NPS_SHARES.items():
            mask = aud == a
            data.setdefault("expected_promoters", np.full(n, np.nan))
            data.setdefault("expected_detractors", np.full(n, np.nan))
            data["expected_promoters"][mask] = np.clip(
                np.rint(rng.normal(prom, 10, mask.sum()) / 5) * 5, 0, 100
            )
            data["expected_detractors"][mask] = np.clip(
                np.rint(rng.normal(det, 6, mask.sum()) / 5) * 5, 0, 100
            )
        group = np.where(cust, seg, aud)
        for r in study.defection_reasons:
            p = np.array([fx.LEAVE_PROBABILITIES[g].get(r.key, 0.04) for g in group])
            data[f"leave.{r.key}"] = (rng.random(n) < p).astype(float)
        frame = people.copy()
        frame["wave"] = wave
        frame["source"] = "individual"
        for k, v in data.items():
            frame[k] = v
        for q in (
            "well",
            "improve",
            "competitors",
            "continue_start",
            "barriers",
            "levers",
            "future_needs",
        ):
            col = f"open.{q}"
            qobj = study.question(col)
            answers: list[str | None] = []
            for a, s, tm in zip(aud, seg, people["team"], strict=True):
                if a not in qobj.audiences:
                    answers.append(None)
                    continue
                text, _theme = texts.open_answer(
                    rng, question=q, audience=a, segment=s, team=tm, wave=wave
                )
                answers.append(text)
            frame[col] = answers
        rows.append(frame[responded])
        # Leadership workshops: group sheets answering the four open questions.
        sheets = []
        for g in range(2):
            sheet = {
                "respondent_id": f"WS-{wave}-{g + 1}",
                "audience": "leadership",
                "segment": None,
                "team": None,
                "account_id": None,
                "wave": wave,
                "source": "workshop",
            }
            for q in ("well", "improve", "competitors", "continue_start"):
                sheet[f"open.{q}"] = texts.workshop_sheet(rng, question=q)
            sheets.append(sheet)
        rows.append(pd.DataFrame(sheets))
    frame = pd.concat(rows, ignore_index=True)
    cols = [c for c, *_ in question_columns(study)]
    for c in cols:
        if c not in frame.columns:
            frame[c] = np.nan
    meta = ["respondent_id", "audience", "segment", "team", "account_id", "wave", "source"]
    frame = frame[meta + cols]
    for c in ("segment", "team", "account_id"):
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def _interviews(rng: np.random.Generator, accounts: pd.DataFrame, scale: int) -> pd.DataFrame:
    picks: list[int] = []
    for segment, k in (("top", 6), ("new", 4), ("defected", 6), ("other", 4)):
        pool = accounts.index[accounts["segment"] == segment].to_numpy()
        picks.extend(rng.choice(pool, min(k * scale, len(pool)), replace=False))
    rows = []
    for i in picks:
        acc = accounts.loc[i]
        text, tags = texts.interview_note(
            rng, account_name=str(acc["name"]), segment=str(acc["segment"])
        )
        day = WAVES[0].opens or date(2025, 10, 1)
        rows.append(
            {
                "account_id": acc["account_id"],
                "segment": acc["segment"],
                "date": pd.Timestamp(day) - pd.Timedelta(days=int(rng.integers(10, 40))),
                "interviewer": rng.choice(["Dana Fox (CX lead)", "Sam Patel (consultant)"]),
                "text": text,
                "tags": tags,
            }
        )
    return pd.DataFrame(rows, columns=list(INTERVIEW_COLUMNS))


def _actions() -> list[ActionItem]:
    return [
        ActionItem(
            title="One escalation path for critical support tickets",
            description="A named duty manager owns every severity-1 ticket until the "
            "customer confirms the fix.",
            factor="resolution",
            touchpoint="support",
            baseline_wave="w1",
            owner="Head of Support",
            due_on=date(2026, 3, 31),
            status="done",
        ),
        ActionItem(
            title="Response-time promise on tickets",
            description="First human reply within 4 working hours, published and reported monthly.",
            factor="time_effort",
            touchpoint="support",
            baseline_wave="w1",
            owner="Support operations lead",
            due_on=date(2026, 6, 30),
            status="in_progress",
        ),
        ActionItem(
            title="Single hand-off from sales to implementation",
            description="The implementation lead joins the last sales meeting; scope "
            "and go-live date are signed off together.",
            factor="expectations",
            touchpoint="implementation",
            baseline_wave="w1",
            owner="VP Delivery",
            due_on=date(2026, 9, 30),
            status="accepted",
        ),
        ActionItem(
            title="Quarterly business reviews for top accounts",
            factor="personalisation",
            touchpoint="account_management",
            baseline_wave="w1",
            owner="Head of Account Management",
            due_on=date(2026, 12, 15),
            status="proposed",
        ),
    ]


def generate_demo(seed: int = 7, scale: int = 1) -> DemoData:
    """Generate the demo company.

    Parameters
    ----------
    seed
        Seed of the random generator: the same seed gives the same data.
    scale
        Multiplies respondents, accounts and events (1 = about 10 leaders,
        120 staff, 300 customer contacts in 120 accounts).

    Examples
    --------
    >>> demo = generate_demo(seed=1)
    >>> demo.counts()["leaders"], demo.counts()["accounts"]
    (10, 120)
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    from cxgap.demo.events import generate_events

    rng = np.random.default_rng(seed)
    study = demo_study()
    accounts = _accounts(rng, scale)
    people = _people(rng, accounts, scale)
    frame = _responses(rng, study, people, accounts)
    interviews = _interviews(rng, accounts, scale)
    events = generate_events(rng, accounts, study, start=EVENTS_START, end=EVENTS_END)
    return DemoData(
        study=study,
        accounts=accounts,
        frame=frame,
        interviews=interviews,
        events=events,
        people=people,
        actions=_actions(),
    )
