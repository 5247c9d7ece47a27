"""The effects planted in the demo company, in one place.

The demo is the shop window and the test bed of every analysis: each entry
below is something an analysis must recover from the generated data, and the
tests check that it does. Numbers are the generator's parameters, not the
results (which carry sampling noise).
"""

from __future__ import annotations

#: Mean of the latent 1-5 performance score customers give each factor
#: (segment "other", wave 1, before rounding).
CUSTOMER_FACTOR_MEANS: dict[str, float] = {
    "personalisation": 3.3,
    "integrity": 3.4,
    "expectations": 3.1,
    "resolution": 2.8,
    "time_effort": 2.7,
    "empathy": 3.2,
}

#: How much higher staff and leadership believe customers rate every factor.
AUDIENCE_UPLIFT: dict[str, float] = {"customer": 0.0, "staff": 0.6, "leadership": 1.25}

#: Segment offsets on customers' factor scores.
SEGMENT_OFFSETS: dict[str, dict[str, float]] = {
    "top": {"*": 0.35},
    "new": {"expectations": -0.3, "*": 0.1},
    "defected": {"resolution": -1.1, "time_effort": -1.0, "*": -0.3},
    "other": {},
}

#: Share of each audience answering 5 ("excellent") to the excellent item.
EXCELLENT_TOP_BOX: dict[str, float] = {"leadership": 0.8, "staff": 0.42, "customer": 0.08}

#: Customers' likelihood to recommend depends on their factor scores with
#: these weights (points of 0-10 per point of factor score). Empathy is the
#: hidden driver: it drives recommendation most, yet customers state it is
#: the least important factor and rank it last.
LTR_WEIGHTS: dict[str, float] = {
    "empathy": 1.5,
    "resolution": 0.9,
    "integrity": 0.5,
    "time_effort": 0.4,
    "personalisation": 0.2,
    "expectations": 0.2,
}
HIDDEN_DRIVER = "empathy"

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
    "staff": (38.0, 22.0),
}

#: Between wave 1 and wave 2 the action plan targeted these factors; customers'
#: scores on them rise by this much (partial improvement; the others stay).
WAVE2_IMPROVEMENT: dict[str, float] = {"resolution": 0.4, "time_effort": 0.3}

#: Customer touchpoint means (latent, 1-5): support is the weakest.
CUSTOMER_TOUCHPOINT_MEANS: dict[str, float] = {
    "sales": 3.8,
    "implementation": 3.0,
    "support": 2.6,
    "billing": 3.4,
    "account_management": 3.5,
    "product": 3.6,
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
