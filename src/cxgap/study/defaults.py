"""The default instrument and study set-up, as data.

Everything here is a starting point that a study file can change: the six
pillars, the touchpoints and moments of the product brief, the segments, the
defection reasons, and the questions asked of each audience.
"""

from __future__ import annotations

from cxgap.study.model import (
    AUDIENCES,
    Audience,
    CaseRule,
    CaseSettings,
    DefectionReason,
    Factor,
    Item,
    Moment,
    Question,
    StudyDefinition,
    Wave,
)

FACTORS: list[Factor] = [
    Factor(
        key="personalisation",
        label="Personalisation",
        description="Treating each customer as an individual, with knowledge of their business.",
        lexicon=[
            "personal",
            "tailor",
            "tailored",
            "individual",
            "know us",
            "our business",
            "generic",
            "one size",
            "remember",
            "relationship",
            "bespoke",
        ],
    ),
    Factor(
        key="integrity",
        label="Integrity",
        description="Being trustworthy: keeping promises, being honest and transparent.",
        lexicon=[
            "promise",
            "promised",
            "honest",
            "trust",
            "transparent",
            "overpromise",
            "kept their word",
            "mislead",
            "hidden",
            "reliable",
            "commitment",
        ],
    ),
    Factor(
        key="expectations",
        label="Expectations",
        description="Managing, meeting and exceeding what customers expect.",
        lexicon=[
            "expect",
            "expectation",
            "surprise",
            "exceed",
            "delivered",
            "set out",
            "as agreed",
            "scope",
            "roadmap",
            "clear about",
        ],
    ),
    Factor(
        key="resolution",
        label="Resolution",
        description="Turning a poor experience into a great one when problems arise.",
        lexicon=[
            "fix",
            "fixed",
            "resolve",
            "resolved",
            "resolution",
            "issue",
            "problem",
            "escalat",
            "ticket",
            "bug",
            "incident",
            "outage",
            "root cause",
        ],
    ),
    Factor(
        key="time_effort",
        label="Time and effort",
        description="Minimising the customer's effort and creating frictionless processes.",
        lexicon=[
            "slow",
            "fast",
            "quick",
            "wait",
            "waiting",
            "effort",
            "easy",
            "hassle",
            "chase",
            "chasing",
            "response time",
            "days",
            "weeks",
            "delay",
            "paperwork",
        ],
    ),
    Factor(
        key="empathy",
        label="Empathy",
        description="Understanding the customer's circumstances to build rapport.",
        lexicon=[
            "understand",
            "listen",
            "listened",
            "care",
            "caring",
            "empathy",
            "frustrat",
            "rapport",
            "patient",
            "pressure",
            "human",
        ],
    ),
]

TOUCHPOINTS: list[Item] = [
    Item(
        key="sales", label="Sales", description="Pre-sale conversations, proposals and contracts."
    ),
    Item(key="implementation", label="Implementation", description="Onboarding and go-live."),
    Item(key="support", label="Support", description="Help desk, tickets and incident handling."),
    Item(key="billing", label="Billing", description="Invoices, renewals and payments."),
    Item(
        key="account_management",
        label="Account management",
        description="The ongoing relationship owner.",
    ),
    Item(key="product", label="Product", description="The product itself and its roadmap."),
]

MOMENTS: list[Moment] = [
    Moment(
        key="knowledge",
        label="Product and industry knowledge",
        weight=1.0,
        description="Showing expertise in the product and the customer's industry.",
    ),
    Moment(
        key="implementation",
        label="Implementation",
        weight=3.0,
        description="Getting the customer live as promised.",
    ),
    Moment(
        key="problem_resolution",
        label="Problem resolution (storming)",
        weight=2.5,
        description="The phase when problems arrive and trust is tested.",
    ),
    Moment(
        key="adding_value",
        label="Adding value",
        weight=1.5,
        description="Bringing ideas and improvements beyond the contract.",
    ),
    Moment(
        key="proactive",
        label="Being proactive",
        weight=1.5,
        description="Raising risks and opportunities before the customer asks.",
    ),
    Moment(
        key="routine",
        label="Routine interaction",
        weight=0.5,
        description="Every everyday call, e-mail, invoice and meeting.",
    ),
]

SEGMENTS: list[Item] = [
    Item(key="top", label="Top customers", description="The largest or most valued accounts."),
    Item(key="new", label="Newly acquired", description="Customers in their first year."),
    Item(key="defected", label="Recently defected", description="Customers who left recently."),
    Item(key="other", label="Other customers", description="Everyone else."),
]

DEFECTION_REASONS: list[DefectionReason] = [
    DefectionReason(key="unresolved_problems", label="Problems not resolved", factor="resolution"),
    DefectionReason(
        key="slow_response", label="Slow responses and too much effort", factor="time_effort"
    ),
    DefectionReason(key="broken_promises", label="Promises not kept", factor="integrity"),
    DefectionReason(
        key="not_understood", label="Not understanding our business", factor="personalisation"
    ),
    DefectionReason(
        key="missed_expectations", label="Delivery below what was agreed", factor="expectations"
    ),
    DefectionReason(key="uncaring_staff", label="Staff who do not seem to care", factor="empathy"),
    DefectionReason(key="price", label="Price"),
    DefectionReason(key="competitor_offer", label="A better offer from a competitor"),
]

OPEN_QUESTIONS: list[tuple[str, str, tuple[Audience, ...]]] = [
    ("well", "What do we do well?", AUDIENCES),
    ("improve", "What could we improve?", AUDIENCES),
    (
        "competitors",
        "What do our competitors do differently, and is that better or worse?",
        AUDIENCES,
    ),
    ("continue_start", "What should we continue doing, or start doing?", AUDIENCES),
    ("barriers", "What stops you meeting customers' expectations?", ("staff",)),
    ("levers", "What would help you meet customers' expectations better?", ("staff",)),
    ("future_needs", "What will you need from us over the next year?", ("customer",)),
]


def factor_questions(f: Factor) -> tuple[Question, Question]:
    """The standard performance (``perf.<key>``) and importance (``imp.<key>``)
    questions of a factor, asked of every audience."""
    perf = Question(
        key=f"perf.{f.key}",
        kind="rating",
        audiences=list(AUDIENCES),
        section="factors",
        scale_min=1,
        scale_max=5,
        factor=f.key,
        required=True,
        text=f"How well does the company perform on {f.label.lower()}?"
        + (f" ({f.description})" if f.description else ""),
    )
    imp = Question(
        key=f"imp.{f.key}",
        kind="rating",
        audiences=list(AUDIENCES),
        section="importance",
        scale_min=1,
        scale_max=5,
        factor=f.key,
        text=f"How important is {f.label.lower()} to you?",
        internal_text=f"How important is {f.label.lower()} to our customers?",
    )
    return perf, imp


def touchpoint_question(t: Item) -> Question:
    """The standard rating question of a touchpoint (``tp.<key>``)."""
    return Question(
        key=f"tp.{t.key}",
        kind="rating",
        audiences=list(AUDIENCES),
        section="touchpoints",
        scale_min=1,
        scale_max=5,
        touchpoint=t.key,
        text=f"How well does {t.label.lower()} serve the customer?",
    )


def default_questions(
    factors: list[Factor],
    touchpoints: list[Item],
    reasons: list[DefectionReason],
) -> list[Question]:
    """The default instrument for the given factors, touchpoints and reasons.

    Leadership and staff answer the rating items as they believe customers
    experience the company. A question asked of customers too is worded for
    them; where it calls them "you", its ``internal_text`` is how leadership
    and staff read it ("to our customers?"). A question asked only inside
    (``open.barriers``, ``open.levers``) speaks to the person answering.
    """
    all_: list[Audience] = list(AUDIENCES)
    inside: list[Audience] = ["leadership", "staff"]
    pairs = [factor_questions(f) for f in factors]
    qs: list[Question] = [perf for perf, _ in pairs] + [imp for _, imp in pairs]
    qs.append(
        Question(
            key="rank",
            kind="rank",
            audiences=all_,
            section="importance",
            items=[f.key for f in factors],
            text="Rank the factors from most (1) to least important.",
        )
    )
    qs.extend(touchpoint_question(t) for t in touchpoints)
    qs.append(
        Question(
            key="excellent",
            kind="rating",
            audiences=all_,
            section="overall",
            scale_min=1,
            scale_max=5,
            required=True,
            text="Would you describe the service as excellent? "
            "(1 = not at all, 5 = yes, excellent)",
            internal_text="Would our customers describe the service as excellent? "
            "(1 = not at all, 5 = yes, excellent)",
        )
    )
    qs.append(
        Question(
            key="ltr",
            kind="nps",
            audiences=["customer"],
            section="overall",
            scale_min=0,
            scale_max=10,
            required=True,
            text="How likely are you to recommend us to a colleague? (0-10)",
        )
    )
    qs.append(
        Question(
            key="expected_promoters",
            kind="share",
            audiences=inside,
            section="overall",
            scale_min=0,
            scale_max=100,
            text="What share of customers (%) would score us 9 or 10 for likelihood to recommend?",
        )
    )
    qs.append(
        Question(
            key="expected_detractors",
            kind="share",
            audiences=inside,
            section="overall",
            scale_min=0,
            scale_max=100,
            text="What share of customers (%) would score us 0 to 6?",
        )
    )
    qs.append(
        Question(
            key="leave",
            kind="multi",
            audiences=all_,
            section="overall",
            items=[r.key for r in reasons],
            text="What would make a customer leave? (choose any)",
        )
    )
    for key, text, auds in OPEN_QUESTIONS:
        qs.append(
            Question(
                key=f"open.{key}", kind="text", audiences=list(auds), section="open", text=text
            )
        )
    return qs


CASE_RULES: list[CaseRule] = [
    CaseRule(
        key="detractor",
        trigger="detractor",
        label="A customer would not recommend us (0-6)",
        priority="high",
        sla_days=2,
    ),
    CaseRule(
        key="reason_to_leave",
        trigger="reason_to_leave",
        label="Far from excellent (3 or lower of 5), and a reason to leave named",
        priority="high",
        sla_days=2,
        max_excellent=3,
    ),
    CaseRule(
        key="below_threshold",
        trigger="below_threshold",
        label="The account fell below its threshold",
        priority="urgent",
        sla_days=1,
    ),
    CaseRule(
        key="failure_burst",
        trigger="failure_burst",
        label="Three failures within 30 days",
        priority="normal",
        sla_days=3,
        failures=3,
        within_days=30,
    ),
    CaseRule(
        key="negative_text",
        trigger="negative_text",
        label="A negative open answer about a touchpoint",
        priority="normal",
        sla_days=5,
    ),
]


def default_cases() -> CaseSettings:
    """The default case rules: every trigger on, detractors and reasons to
    leave answered within two days, an account below its threshold within one."""
    return CaseSettings(rules=[r.model_copy() for r in CASE_RULES])


def default_study(slug: str, *, organisation: str, name: str | None = None) -> StudyDefinition:
    """A new study with every default: six pillars, touchpoints, moments,
    segments, one wave and the default instrument."""
    return StudyDefinition(
        slug=slug,
        name=name or f"{organisation} customer experience study",
        organisation=organisation,
        promise=[],
        factors=[f.model_copy() for f in FACTORS],
        touchpoints=[t.model_copy() for t in TOUCHPOINTS],
        moments=[m.model_copy() for m in MOMENTS],
        segments=[s.model_copy() for s in SEGMENTS],
        waves=[Wave(key="w1", label="Wave 1")],
        defection_reasons=[r.model_copy() for r in DEFECTION_REASONS],
        competitors=[],
        questions=default_questions(FACTORS, TOUCHPOINTS, DEFECTION_REASONS),
        cases=default_cases(),
    )
