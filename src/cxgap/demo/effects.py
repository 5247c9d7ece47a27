"""The mechanisms of the demo company and their parameters, in one place.

The demo is the shop window and the test bed of every analysis. It is built
from mechanisms, not outcomes: a latent experience per account (and per
contact around it) drives the account's ledger events, whether it leaves,
its contacts' ratings, "excellent" and likelihood to recommend, and whether
they answer at all. Numbers here are the generator's parameters, not the
results; :mod:`cxgap.demo.truth` turns them (and the latent draws) into the
expected value of what each analysis estimates, and the tests check that the
analyses recover it and find nothing where nothing was planted.
"""

from __future__ import annotations

#: Mean of each factor in the customers' latent experience (1-5 scale,
#: segment "other", wave 1). An account's experience of factor f is this mean
#: plus its segment offset, a general account effect shared by every factor
#: (sd ``ACCOUNT_GENERAL_SD``) and a factor-specific account effect (sd
#: ``ACCOUNT_FACTOR_SD``); each contact adds a halo shared by all their answers
#: (sd ``CONTACT_HALO_SD``) and a small factor-specific view
#: (``CONTACT_FACTOR_SD``); each answer adds rating noise (``RATING_NOISE_SD``)
#: and is rounded and clipped to 1-5.
CUSTOMER_FACTOR_MEANS: dict[str, float] = {
    "personalisation": 3.3,
    "integrity": 3.4,
    "expectations": 3.1,
    "resolution": 2.5,
    "time_effort": 2.5,
    "empathy": 3.2,
}
ACCOUNT_GENERAL_SD = 0.3
ACCOUNT_FACTOR_SD: dict[str, float] = {
    "personalisation": 0.25,
    "integrity": 0.25,
    "expectations": 0.25,
    "resolution": 0.45,
    "time_effort": 0.45,
    "empathy": 0.45,
}
CONTACT_HALO_SD = 0.3
CONTACT_FACTOR_SD = 0.2
RATING_NOISE_SD = 0.55

#: Segment offsets on the accounts' experience. Defected accounts have no
#: offset: they are the accounts of the pool (defected + other) whose
#: experience of resolution and time and effort was worst, drawn through
#: ``DEFECTION_HAZARD``, so their low scores are a consequence, not a label.
#: New accounts are planted equal to top accounts on every factor but
#: expectations (a null effect on the other five, on purpose).
SEGMENT_OFFSETS: dict[str, dict[str, float]] = {
    "top": {"*": 0.35},
    "new": {"expectations": -0.35, "*": 0.35},
    "defected": {},
    "other": {},
}

#: Log-odds of leaving per point of the account's experience of the
#: ``DEFECTION_FACTORS`` (their mean deviation from the factor means), and of
#: the general account effect. Accounts with the worst experience leave.
DEFECTION_FACTORS = ("resolution", "time_effort")
DEFECTION_HAZARD = -6.0

#: When defected accounts left: share leaving before wave 1 opens, between the
#: waves, and in the month after wave 2 closes (so some of the defected
#: segment answered wave 2 while still customers). Nobody answers a wave that
#: opens after their account left.
DEFECTION_TIMING: dict[str, float] = {"before_w1": 0.1, "between": 0.4, "after_w2": 0.5}

#: What leadership and staff believe customers experience, per item: the
#: mean experience of the customers who answer (each contact weighted by their
#: chance of answering, wave 1) plus this bias,
#: on the latent 1-5 scale. Accurate (about 0), blind (a large overestimate)
#: or more critical than customers (negative), item by item.
BELIEF_BIAS: dict[str, dict[str, float]] = {
    "leadership": {
        "perf.personalisation": -0.7,  # more critical than customers
        "perf.integrity": 1.2,  # blind
        "perf.expectations": 0.0,  # accurate
        "perf.resolution": 1.5,  # blind
        "perf.time_effort": 1.3,  # blind
        "perf.empathy": 0.0,  # accurate: no leadership-customer gap (null)
        "tp.sales": 0.3,
        "tp.implementation": 1.0,
        "tp.support": 1.4,
        "tp.billing": 0.0,
        "tp.account_management": 0.8,
        "tp.product": 0.0,
    },
    "staff": {
        "perf.personalisation": 0.0,  # accurate
        "perf.integrity": -0.5,  # more critical: staff see the backstage
        "perf.expectations": 0.0,  # accurate
        "perf.resolution": 0.7,
        "perf.time_effort": 0.6,
        "perf.empathy": 0.9,  # blind
        "tp.sales": 0.2,
        "tp.implementation": 0.5,
        "tp.support": 0.4,
        "tp.billing": 0.0,
        "tp.account_management": 0.6,
        "tp.product": 0.3,
    },
}
#: Leadership and staff beliefs: a person effect (sd) and per-answer noise.
BELIEF_PERSON_SD = 0.35
BELIEF_NOISE_SD = 0.5

#: Likelihood to recommend comes from the contact's experience index
#: S = sum of weight x (experience - factor mean) + halo (the contact's halo
#: counts once more here), through a logistic link onto 0-10:
#: ltr = round(10 / (1 + exp(-(LTR_INTERCEPT + LTR_SLOPE x S))) + noise),
#: capped at the contact's ceiling (``LTR_CEILING_SHARE`` of contacts never
#: give more than ``LTR_CEILING``). Not the linear model the driver analysis
#: fits. Empathy is the hidden driver: it drives recommendation most, yet
#: customers state it is the least important factor and rank it last.
#: Expectations has weight 0: a null driver, on purpose.
LTR_WEIGHTS: dict[str, float] = {
    "empathy": 0.6,
    "resolution": 0.2,
    "integrity": 0.1,
    "time_effort": 0.08,
    "personalisation": 0.02,
    "expectations": 0.0,
}
HIDDEN_DRIVER = "empathy"
NULL_DRIVER = "expectations"
#: Weight of the contact's halo in the experience index.
INDEX_HALO = 0.6
LTR_INTERCEPT = 0.25
LTR_SLOPE = 2.6
LTR_NOISE_SD = 1.1
LTR_CEILING = 8
LTR_CEILING_SHARE = 0.2

#: "Is the service excellent?" (1-5): an ordered-probit reading of the same
#: index, z = S / EXCELLENT_SCALE + N(0, 1), with these cut points (5 =
#: excellent above the last). Leadership and staff read their belief
#: instead: (the mean of their factor biases + their own optimism
#: ``EXCELLENT_PRIDE`` + their person effect) / EXCELLENT_SCALE. So the
#: shares are consequences, not parameters: about 80% of leadership, 40% of
#: staff and 5-10% of customers (more after wave 2's improvement).
EXCELLENT_SCALE = 0.5
#: Leadership's and staff's own optimism about excellence, on the index scale.
EXCELLENT_PRIDE: dict[str, float] = {"leadership": 1.35, "staff": 0.95}
EXCELLENT_CUTS = (-1.2, -0.2, 0.8, 2.8)

#: Survey response: customers answer with probability
#: expit(RESPONSE_INTERCEPT + RESPONSE_SLOPE x S + r) with a persistent
#: propensity r (sd RESPONSE_PERSON_SD: the same people tend to answer both
#: waves), times RESPONSE_DEFECTED for contacts of accounts that later leave,
#: and 0 for a wave that opens after their account left. Leadership and staff
#: answer at fixed rates.
RESPONSE_INTERCEPT = -0.8
RESPONSE_SLOPE = 1.2
RESPONSE_PERSON_SD = 0.8
RESPONSE_DEFECTED = 0.85
RESPONSE_RATES_INTERNAL: dict[str, float] = {"leadership": 0.95, "staff": 0.85}

#: Customers' stated importance (mean on 1-5) of each factor.
CUSTOMER_STATED_IMPORTANCE: dict[str, float] = {
    "resolution": 4.6,
    "time_effort": 4.4,
    "integrity": 4.3,
    "expectations": 4.0,
    "personalisation": 3.6,
    "empathy": 2.9,
}

#: Expected promoter / detractor shares (%) that leadership and staff give:
#: both predict a far higher NPS than customers give.
EXPECTED_NPS_SHARES: dict[str, tuple[float, float]] = {
    "leadership": (55.0, 10.0),
    "staff": (42.0, 18.0),
}

#: Between wave 1 and wave 2 the action plan targeted these factors; customers'
#: experience of them rises by this much (partial improvement). The other four
#: factors do not change at all (null effects, on purpose). Staff see half the
#: improvement; leadership believed it was fine already and see none.
WAVE2_IMPROVEMENT: dict[str, float] = {"resolution": 0.5, "time_effort": 0.4}

#: Customer touchpoint means (latent, 1-5): support is the weakest. A
#: contact's touchpoint experience is this mean plus the account's general
#: effect, the touchpoint's share of factor experience in
#: ``TOUCHPOINT_FACTORS`` and the contact's halo.
CUSTOMER_TOUCHPOINT_MEANS: dict[str, float] = {
    "sales": 3.8,
    "implementation": 3.0,
    "support": 2.6,
    "billing": 3.4,
    "account_management": 3.5,
    "product": 3.6,
}

TOUCHPOINT_FACTORS: dict[str, dict[str, float]] = {
    "support": {"resolution": 0.7, "time_effort": 0.5},
    "implementation": {"expectations": 0.6, "time_effort": 0.3},
    "account_management": {"personalisation": 0.6, "empathy": 0.3},
    "sales": {"integrity": 0.5},
}

#: Staff headcount per team (the billing team is under the anonymity threshold).
STAFF_TEAMS: dict[str, int] = {
    "sales": 22,
    "implementation": 25,
    "support": 35,
    "billing": 4,
    "account_management": 20,
    "product": 14,
}
SMALL_TEAM = "billing"

#: Accounts per segment.
ACCOUNTS_PER_SEGMENT: dict[str, int] = {"top": 20, "new": 25, "defected": 20, "other": 55}

#: What each audience says would make a customer leave: probability of
#: ticking each reason. Leadership believes customers leave on price and
#: competitors' offers; defected customers say unresolved problems and effort.
LEAVE_PROBABILITIES: dict[str, dict[str, float]] = {
    "leadership": {
        "price": 0.8,
        "competitor_offer": 0.7,
        "missed_expectations": 0.2,
        "unresolved_problems": 0.15,
        "slow_response": 0.1,
    },
    "staff": {
        "price": 0.45,
        "competitor_offer": 0.4,
        "unresolved_problems": 0.35,
        "slow_response": 0.35,
        "broken_promises": 0.2,
        "missed_expectations": 0.2,
    },
    "top": {
        "unresolved_problems": 0.35,
        "not_understood": 0.3,
        "price": 0.25,
        "slow_response": 0.25,
        "broken_promises": 0.15,
    },
    "new": {
        "missed_expectations": 0.45,
        "broken_promises": 0.35,
        "slow_response": 0.3,
        "unresolved_problems": 0.25,
        "price": 0.15,
    },
    "defected": {
        "unresolved_problems": 0.85,
        "slow_response": 0.75,
        "uncaring_staff": 0.4,
        "broken_promises": 0.3,
        "price": 0.1,
    },
    "other": {
        "unresolved_problems": 0.45,
        "slow_response": 0.4,
        "price": 0.25,
        "uncaring_staff": 0.2,
        "not_understood": 0.2,
        "competitor_offer": 0.1,
    },
}
