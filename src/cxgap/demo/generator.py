"""Generate the demo company: Brightwell Systems, a B2B software supplier.

Everything is drawn from ``numpy.random.Generator`` streams spawned from the
caller's seed (one per part: numbers, texts, interviews, events), so the same
seed gives the same company. The company is built from mechanisms
(:mod:`cxgap.demo.effects`):

* each account has a latent experience per factor (segment mean, a general
  account effect, a factor-specific one); each contact adds a halo and a view
  of their own. It drives the contact's ratings, an experience index behind
  "excellent" (ordered probit) and likelihood to recommend (logistic link,
  noise, a ceiling some contacts never pass), and the account's ledger
  (failure rate) and defection (the pool's accounts with the worst experience
  of resolution and time and effort are the ones that leave);
* leadership and staff answer what they believe customers experience: the
  customers' mean plus a bias per item (accurate, blind or more critical);
* customers answer by satisfaction (detractors and accounts on their way out
  answer less) and never in a wave that opens after their account left.

:attr:`DemoData.expected` keeps, for every invited person and wave, whether
they answered and the expected value of each answer: the planted truth that
:mod:`cxgap.demo.truth` summarises. ``scale`` multiplies respondents,
accounts and events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import special

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
EVENTS_END = pd.Timestamp("2026-11-30")
WAVES = [
    Wave(key="w1", label="Autumn 2025", opens=date(2025, 10, 6), closes=date(2025, 10, 31)),
    Wave(key="w2", label="Autumn 2026", opens=date(2026, 10, 5), closes=date(2026, 10, 30)),
]
#: The first actions of the plan took effect here (support's failure rate falls).
ACTION_DATE = pd.Timestamp("2026-04-01")

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
    #: every invited person x wave: responded, response probability and the
    #: expected value of each answer given the latent experience (see
    #: :mod:`cxgap.demo.truth`)
    expected: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: cases opened and closed by the study's rules once stored
    #: (:mod:`cxgap.demo.cases`); empty until then
    case_counts: dict[str, int] = field(default_factory=dict)

    def invited(self) -> pd.DataFrame:
        """The people invited to each wave (rows of :attr:`expected`):
        everyone but the contacts of an account that had left before the wave
        opened."""
        e = self.expected
        if e.empty:
            return e
        return e[(e["audience"] != "customer") | (e["p_response"] > 0)]

    def counts(self) -> dict[str, int]:
        """How many of each thing the demo created (people invited, whether or
        not they answered)."""
        audience = self.people["audience"]
        return {
            "leaders": int((audience == "leadership").sum()),
            "staff": int((audience == "staff").sum()),
            "customer contacts": int((audience == "customer").sum()),
            "accounts": len(self.accounts),
            "invitations": len(self.invited()),
            "responses": len(self.frame),
            "workshop sheets": int((self.frame["source"] == "workshop").sum()),
            "interview notes": len(self.interviews),
            "interaction events": len(self.events),
            "action items": len(self.actions),
            **self.case_counts,
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


@dataclass
class Latent:
    """The latent experience behind the demo: per account and per contact."""

    #: account x factor experience (1-5 scale, wave 1), in ``factors`` order
    account: np.ndarray
    #: general account effect plus segment "*" offset, per account
    general: np.ndarray
    #: the account's mean deviation on the defection factors (drives events)
    risk: np.ndarray
    factors: list[str]


def _segment_offsets(segment: np.ndarray, factors: list[str]) -> np.ndarray:
    out = np.zeros((len(segment), len(factors)))
    for s, off in fx.SEGMENT_OFFSETS.items():
        rows = segment == s
        for j, f in enumerate(factors):
            out[rows, j] = off.get(f, off.get("*", 0.0))
    return out


def _accounts(rng: np.random.Generator, scale: int) -> tuple[pd.DataFrame, Latent]:
    segs = [s for s, n in fx.ACCOUNTS_PER_SEGMENT.items() for _ in range(n * scale)]
    n = len(segs)
    segment = np.array(segs, dtype=object)
    rng.shuffle(segment)
    # Defected and other accounts are one pool until their experience decides
    # which of them leave.
    pool = (segment == "defected") | (segment == "other")
    n_defected = int((segment == "defected").sum())
    segment[pool] = "other"
    factors = list(fx.CUSTOMER_FACTOR_MEANS)
    mu = np.array([fx.CUSTOMER_FACTOR_MEANS[f] for f in factors])
    sd = np.array([fx.ACCOUNT_FACTOR_SD[f] for f in factors])
    general = rng.normal(0, fx.ACCOUNT_GENERAL_SD, n)
    specific = rng.normal(0, 1, (n, len(factors))) * sd
    # Accounts vary around their segment's mean, which is exactly as planted
    # (top, new, and the pool that defected and other accounts come from):
    # a null segment difference is null in this company, not only on average.
    for group in (segment == "top", segment == "new", pool):
        if group.any():
            general[group] -= general[group].mean()
            specific[group] -= specific[group].mean(axis=0)
    offsets = _segment_offsets(segment, factors)
    account = mu + offsets + general[:, None] + specific
    cols = [factors.index(f) for f in fx.DEFECTION_FACTORS]
    risk = (account[:, cols] - mu[cols]).mean(axis=1)
    # Who leaves: Gumbel top-k over the log hazard (sampling without
    # replacement with weights exp(hazard x deviation)).
    keys = fx.DEFECTION_HAZARD * risk + rng.gumbel(size=n)
    keys[~pool] = -np.inf
    leavers = np.argsort(-keys, kind="stable")[:n_defected]
    segment[leavers] = "defected"
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
    # When they left: before wave 1, between the waves, or in the month after
    # wave 2 closed (those answered wave 2 while still customers).
    timing = rng.choice(3, n, p=list(fx.DEFECTION_TIMING.values()))
    starts = np.array(["2025-08-01", "2025-11-10", "2026-11-02"], dtype="datetime64[D]")
    widths = np.array([60, 300, 26])
    defected = pd.to_datetime(starts[timing] + rng.integers(0, widths[timing]))
    defected_at = pd.Series(defected).where(segment == "defected")
    accounts = pd.DataFrame(
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
    star = np.array([fx.SEGMENT_OFFSETS[s].get("*", 0.0) for s in segment])
    return accounts, Latent(account, general + star, risk, factors)


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


def expected_rating(mean: np.ndarray, sd: float, low: int = 1, high: int = 5) -> np.ndarray:
    """E[clip(round(mean + N(0, sd)), low, high)]: the expected answer of a
    latent mean on a rounded, clipped scale (what a group's mean estimates)."""
    mean = np.asarray(mean, dtype=float)
    out = np.full(mean.shape, float(low))
    for k in range(low, high):
        out += special.ndtr((mean - k - 0.5) / sd)
    return out


def _expit(x: np.ndarray) -> np.ndarray:
    return np.asarray(special.expit(x), dtype=float)


def _responses(
    rng: np.random.Generator,
    study: StudyDefinition,
    people: pd.DataFrame,
    accounts: pd.DataFrame,
    latent: Latent,
    text_rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers frame, and the latent expectation behind every invited
    person's answers in each wave (the planted truth, row by row). Open
    answers are drawn from ``text_rng``, so changing the texts leaves the
    numbers alone."""
    n = len(people)
    aud = people["audience"].to_numpy()
    seg = people["segment"].to_numpy()
    factors = latent.factors
    nf = len(factors)
    tps = [t.key for t in study.touchpoints]
    mu = np.array([fx.CUSTOMER_FACTOR_MEANS[f] for f in factors])
    cust = aud == "customer"
    internal = ~cust
    acc_index = {a: i for i, a in enumerate(accounts["account_id"])}
    acc_of = np.array([acc_index[a] if a is not None else -1 for a in people["account_id"]])
    acc_safe = np.where(acc_of >= 0, acc_of, 0)
    left_ns = pd.to_datetime(accounts["defected_at"]).dt.as_unit("ns").to_numpy().view(np.int64)
    left_at = np.where(cust, left_ns[acc_safe], np.iinfo(np.int64).max)
    left_at = np.where(left_at == np.iinfo(np.int64).min, np.iinfo(np.int64).max, left_at)
    defected_acc = cust & (seg == "defected")

    # persistent person-level draws (the same people in both waves)
    halo = rng.normal(0, fx.CONTACT_HALO_SD, n) * cust
    view = rng.normal(0, fx.CONTACT_FACTOR_SD, (n, nf)) * cust[:, None]
    belief_person = rng.normal(0, fx.BELIEF_PERSON_SD, n) * internal
    # centred, so each audience's mean belief is exactly the planted one
    for a in ("leadership", "staff"):
        rows = aud == a
        if rows.any():
            belief_person[rows] -= belief_person[rows].mean()
    propensity = rng.normal(0, fx.RESPONSE_PERSON_SD, n)
    capped = rng.random(n) < fx.LTR_CEILING_SHARE
    experience0 = np.where(cust[:, None], latent.account[acc_safe] + view, mu)
    general = np.where(cust, latent.general[acc_safe], 0.0)
    weights = np.array([fx.LTR_WEIGHTS[f] for f in factors])
    # What customers who answer experience in wave 1 (each contact weighted by
    # their chance of answering): the anchor of leadership's and staff's
    # beliefs, who hear from the same customers the survey hears from.
    index0 = (experience0 - mu) @ weights + fx.INDEX_HALO * halo
    heard = _expit(fx.RESPONSE_INTERCEPT + fx.RESPONSE_SLOPE * index0 + propensity)
    heard = np.where(cust, heard * np.where(defected_acc, fx.RESPONSE_DEFECTED, 1.0), 0.0)
    heard = heard / heard.sum()
    perf_anchor = heard @ (experience0 + halo[:, None])
    tp_anchor: dict[str, float] = {}
    excellent_cuts = np.array(fx.EXCELLENT_CUTS)

    def tp_mean(tkey: str, experience: np.ndarray) -> np.ndarray:
        share = fx.TOUCHPOINT_FACTORS.get(tkey, {})
        dev = experience - mu
        m = fx.CUSTOMER_TOUCHPOINT_MEANS[tkey] + (1 - sum(share.values())) * general
        for f, c in share.items():
            m = m + c * dev[:, factors.index(f)]
        return np.asarray(m + halo, dtype=float)

    for tkey in tps:
        tp_anchor[tkey] = float(heard @ tp_mean(tkey, experience0))

    bias_lead = fx.BELIEF_BIAS["leadership"]
    bias_staff = fx.BELIEF_BIAS["staff"]

    def belief(item: str, anchor: float, staff_sees: float) -> np.ndarray:
        bias = np.where(aud == "leadership", bias_lead[item], bias_staff[item])
        seen = np.where(aud == "staff", staff_sees, 0.0)
        return np.asarray(anchor + bias + seen + belief_person, dtype=float)

    rows = []
    truth_rows = []
    for wave_no, wave in enumerate(study.wave_keys()[:2]):
        wave_obj = study.waves[wave_no]
        opens_ns = int(pd.Timestamp(wave_obj.opens or date(2025 + wave_no, 10, 1)).value)
        improve = np.array([fx.WAVE2_IMPROVEMENT.get(f, 0.0) * wave_no for f in factors])
        experience = experience0 + improve * cust[:, None]
        # the contact's experience index: the same for answers and outcomes
        index = (experience - mu) @ weights + fx.INDEX_HALO * halo
        data: dict[str, np.ndarray] = {}
        truth: dict[str, np.ndarray] = {}
        for j, f in enumerate(factors):
            item = f"perf.{f}"
            m_cust = experience[:, j] + halo
            m = np.where(cust, m_cust, belief(item, perf_anchor[j], improve[j] / 2))
            sd = np.where(cust, fx.RATING_NOISE_SD, fx.BELIEF_NOISE_SD)
            data[item] = _clip_round(m + rng.normal(0, 1, n) * sd, 1, 5)
            truth[item] = np.where(
                cust,
                expected_rating(m, fx.RATING_NOISE_SD),
                expected_rating(m, fx.BELIEF_NOISE_SD),
            )
        imp_mean = np.array([fx.CUSTOMER_STATED_IMPORTANCE[f] for f in factors])
        imp_latent = imp_mean[None, :] + rng.normal(0, 0.6, (n, nf))
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
            item = f"tp.{tkey}"
            m = np.where(cust, tp_mean(tkey, experience), belief(item, tp_anchor[tkey], 0.0))
            sd = np.where(cust, fx.RATING_NOISE_SD, fx.BELIEF_NOISE_SD)
            data[item] = _clip_round(m + rng.normal(0, 1, n) * sd, 1, 5)
            truth[item] = np.where(
                cust,
                expected_rating(m, fx.RATING_NOISE_SD),
                expected_rating(m, fx.BELIEF_NOISE_SD),
            )
        # Excellent: an ordered-probit reading of the experience index
        # (customers) or of the belief (leadership, staff: their mean bias
        # and their own optimism).
        bias_mean = {
            a: float(np.mean([fx.BELIEF_BIAS[a][f"perf.{f}"] for f in factors]))
            for a in ("leadership", "staff")
        }
        believed = np.where(
            aud == "leadership",
            bias_mean["leadership"],
            np.where(aud == "staff", bias_mean["staff"], 0.0),
        ) + np.where(
            internal, belief_person + np.array([fx.EXCELLENT_PRIDE.get(a, 0.0) for a in aud]), 0.0
        )
        z_mean = np.where(cust, index, believed) / fx.EXCELLENT_SCALE
        z = z_mean + rng.normal(0, 1, n)
        data["excellent"] = 1.0 + (z[:, None] > excellent_cuts[None, :]).sum(axis=1)
        truth["excellent_top"] = 1 - special.ndtr(excellent_cuts[-1] - z_mean)
        # Likelihood to recommend (customers): a logistic link of the same
        # index, with noise and a ceiling some contacts never pass.
        ltr_mean = 10 * _expit(fx.LTR_INTERCEPT + fx.LTR_SLOPE * index)
        cap = np.where(capped, fx.LTR_CEILING, 10)
        ltr = np.minimum(_clip_round(ltr_mean + rng.normal(0, fx.LTR_NOISE_SD, n), 0, 10), cap)
        data["ltr"] = np.where(cust, ltr, np.nan)
        p_promoter = np.where(cap >= 9, 1 - special.ndtr((8.5 - ltr_mean) / fx.LTR_NOISE_SD), 0)
        p_detractor = special.ndtr((6.5 - ltr_mean) / fx.LTR_NOISE_SD)
        truth["p_promoter"] = np.where(cust, p_promoter, np.nan)
        truth["p_detractor"] = np.where(cust, np.minimum(p_detractor, 1.0), np.nan)
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
        # Who answers: customers by satisfaction (detractors and accounts on
        # their way out answer less), never after their account left.
        p_cust = _expit(fx.RESPONSE_INTERCEPT + fx.RESPONSE_SLOPE * index + propensity)
        p_cust = p_cust * np.where(defected_acc, fx.RESPONSE_DEFECTED, 1.0)
        p_cust = np.where(left_at > opens_ns, p_cust, 0.0)
        p_resp = np.where(
            cust, p_cust, np.array([fx.RESPONSE_RATES_INTERNAL.get(a, 0.0) for a in aud])
        )
        responded = rng.random(n) < p_resp
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
                    text_rng, question=q, audience=a, segment=s, team=tm, wave=wave
                )
                answers.append(text)
            frame[col] = answers
        rows.append(frame[responded])
        expected = people[["respondent_id", "audience", "segment", "team", "account_id"]].copy()
        expected["wave"] = wave
        expected["responded"] = responded
        expected["p_response"] = p_resp
        expected["index"] = np.where(cust, index, np.nan)
        for k, v in truth.items():
            expected[k] = v
        truth_rows.append(expected)
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
                sheet[f"open.{q}"] = texts.workshop_sheet(text_rng, question=q)
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
    return frame, pd.concat(truth_rows, ignore_index=True)


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
    from cxgap.demo.tickets import through_preset

    # one independent stream per part: changing one part (say the texts)
    # leaves the others' draws as they were
    rng, text_rng, interview_rng, event_rng, ticket_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    study = demo_study()
    accounts, latent = _accounts(rng, scale)
    people = _people(rng, accounts, scale)
    frame, expected = _responses(rng, study, people, accounts, latent, text_rng)
    interviews = _interviews(interview_rng, accounts, scale)
    events = generate_events(
        event_rng,
        accounts,
        study,
        start=EVENTS_START,
        end=EVENTS_END,
        experience=latent.risk,
        improvement_from=ACTION_DATE,
        improvement=float(np.mean(list(fx.WAVE2_IMPROVEMENT.values()))),
    )
    # a share of the help-desk events arrives as raw Zendesk tickets, read
    # through the import preset rather than labelled by the generator
    events = through_preset(ticket_rng, events, study, as_of=EVENTS_END + pd.Timedelta(days=1))
    return DemoData(
        study=study,
        accounts=accounts,
        frame=frame,
        interviews=interviews,
        events=events,
        people=people,
        actions=_actions(),
        expected=expected,
    )
