"""The demo company's open answers, workshop sheets and interview notes.

Every text is composed from parts (an opener, one of several core phrasings of
a planted theme, an optional detail and an optional closer), so answers are
varied paraphrases, never one sentence repeated. Everything is drawn from the
``numpy.random.Generator`` passed in, so the same seed gives the same texts.

Planted themes (``PLANTED_THEMES``: question -> audience -> theme keys) and
the effects a test can check:

* ``improve``: customers mostly raise ``slow_resolution`` (tickets take weeks
  to resolve) and ``chasing_updates`` (having to chase for news, effort);
  leadership mostly ``pricing_packaging`` and ``product_features`` and only
  rarely ``slow_resolution``, so customers raise slow resolution several times
  more often than leadership does. Staff raise ``handoffs`` and ``tooling``.
  Defected customers mention ``slow_resolution`` and ``chasing_updates`` about
  twice as often as other customers. In wave ``"w2"`` those two themes (tied
  to the improved factors resolution, and time and effort) are half as
  frequent among customers.
* ``well``: customers praise ``knowledgeable_staff`` and ``reliable_product``;
  leadership believe in ``product_quality`` and ``customer_focus``; staff name
  ``teamwork`` and ``product_quality``.
* ``competitors``: ``competitor_faster_support`` (Northwind Systems is faster
  and more responsive: better), ``competitor_cheaper`` (Contoso Cloud is
  cheaper: better on price) and ``competitor_weaker_product`` (Globex Software's
  product is worse). Customers name all three, leadership mostly the last two,
  staff the first two.
* ``continue_start``: customers ``continue_account_manager`` and
  ``start_proactive_updates``; leadership ``start_customer_advisory`` and
  ``continue_product_investment``; staff ``start_training`` and
  ``continue_product_investment``.
* ``barriers`` (staff): ``handoffs`` (between sales and implementation),
  ``tooling`` (systems that do not talk to each other), ``workload``.
* ``levers`` (staff): ``shared_customer_record``, ``training``, ``empowerment``.
* ``future_needs`` (customers): ``integrations``, ``reporting``,
  ``proactive_advice``.

About one answer in five is skipped (``None``), and about one in twenty-five
mentions a person's name, an e-mail address or a phone number, to exercise
masking.

Answers are rough the way real ones are: about one in twenty is off-topic
("n/a", a greeting, a remark about the survey; planted theme ``None``); about
one customer improvement answer in seven opens with praise before its
complaint ("The product itself is solid, but ..."), and about one "well" answer
in ten ends with a caveat; about one answer in eight carries a typo (two
letters swapped, one dropped or doubled); about one in ten is written casually,
in lower case without a full stop.
"""

from __future__ import annotations

import bisect
import functools

import numpy as np

__all__ = [
    "COMPETITORS",
    "PLANTED_THEMES",
    "interview_note",
    "open_answer",
    "workshop_sheet",
]

COMPETITORS = ["Northwind Systems", "Contoso Cloud", "Globex Software"]

# theme key -> core phrasings; every phrasing of a theme carries its anchor
# words (e.g. "resolve" and "tickets"), the rest of the answer is shared noise
_CORES: dict[str, list[str]] = {
    # improve
    "slow_resolution": [
        "support tickets take weeks to resolve",
        "tickets stay open for weeks before support resolves them",
        "it takes far too long to resolve even simple tickets",
        "resolving our support tickets is painfully slow",
        "support is slow to resolve tickets once they are raised",
    ],
    "chasing_updates": [
        "we have to chase your team for updates",
        "nobody sends updates, so we keep chasing",
        "we spend a lot of effort chasing updates",
        "getting an update means chasing three different people",
        "we constantly chase for updates and answers",
    ],
    "pricing_packaging": [
        "our pricing and packaging confuse buyers",
        "the pricing tiers and packaging need simplifying",
        "we should make pricing and packaging clearer",
        "simpler pricing and packaging would win more deals",
    ],
    "product_features": [
        "the product needs more features on the roadmap",
        "we should ship new product features faster",
        "the product roadmap lags on features the market wants",
        "more product features for larger customers",
    ],
    "generic_service": [
        "the service feels generic, nobody knows our business",
        "every contact is generic and starts over, you do not know our business",
        "advice is generic rather than tailored to our business",
    ],
    "handoffs": [
        "the handoff between sales and implementation loses information",
        "sales hands off to implementation without the details",
        "handoffs between sales and implementation are messy",
        "details get lost in the handoff from sales to implementation",
    ],
    "tooling": [
        "our systems and tools do not talk to each other",
        "the internal tools are clunky and the systems disconnected",
        "we re-enter the same data in several systems and tools",
        "outdated tools and disconnected systems",
    ],
    "workload": [
        "there are too few people for the workload",
        "the team is understaffed and the workload keeps growing",
        "the workload is too high to give every customer proper time",
    ],
    # well
    "knowledgeable_staff": [
        "your staff really know the product and our industry",
        "the staff we deal with are knowledgeable about the product",
        "staff have deep product knowledge and understand our industry",
        "your staff know the product and our industry inside out",
    ],
    "reliable_product": [
        "the platform is reliable and rarely goes down",
        "the platform is stable and reliable day to day",
        "the platform is reliable, uptime has been excellent",
    ],
    "product_quality": [
        "we build a high quality product",
        "our product quality beats anything else on the market",
        "the quality of the product we deliver is high",
    ],
    "customer_focus": [
        "we put customers first in everything we do",
        "the whole company is focused on customers and their success",
        "we are genuinely focused on customers",
    ],
    "teamwork": [
        "colleagues help each other and teamwork is strong",
        "teamwork across the office is great, colleagues pitch in",
        "a friendly team of colleagues that works well together",
    ],
    # competitors
    "competitor_faster_support": [
        "Northwind Systems answers support requests faster, which is better",
        "Northwind Systems support is more responsive, better than yours",
        "Northwind Systems support responds within the hour, that is better",
    ],
    "competitor_cheaper": [
        "Contoso Cloud is cheaper and their pricing is better",
        "Contoso Cloud offers a lower price, better value",
        "Contoso Cloud is cheaper on price for the same licence, which is better",
    ],
    "competitor_weaker_product": [
        "Globex Software has a weaker product, worse than yours",
        "the Globex Software product is worse and less stable",
        "the Globex Software product is clunky and worse in every demo",
    ],
    # continue / start
    "continue_account_manager": [
        "continue the regular meetings with our account manager",
        "keep our account manager, the account reviews are valuable",
        "continue the account reviews with the same account manager",
    ],
    "start_proactive_updates": [
        "start telling us proactively about incidents before we notice",
        "start proactive updates when incidents happen",
        "please start warning us proactively about incidents and outages",
    ],
    "start_customer_advisory": [
        "start a customer advisory board",
        "we should start an advisory board with key customers",
        "launch a customer advisory board to hear key accounts",
    ],
    "continue_product_investment": [
        "continue investing in the product roadmap",
        "keep investing in product development and the roadmap",
        "continue the investment in the product and engineering",
    ],
    "start_training": [
        "start proper training for new starters",
        "we should start regular training on the product",
        "start a training programme so new starters learn the product",
    ],
    # levers
    "shared_customer_record": [
        "one shared customer record that every team can see",
        "a single shared customer record across sales and support",
        "a shared customer record with the full history of each account",
    ],
    "training": [
        "more training on the product and on handling difficult calls",
        "regular training sessions and coaching",
        "better training for new starters and refresher training",
    ],
    "empowerment": [
        "authority to fix things for customers without asking a manager",
        "the authority to make decisions for the customer on the spot",
        "authority to offer a credit or a fix without a manager approving it",
    ],
    # future needs
    "integrations": [
        "integrations with our ERP and finance systems",
        "an API and integrations with the ERP we use",
        "better ERP integrations so data flows between systems",
    ],
    "reporting": [
        "better reporting and dashboards for our management",
        "reporting dashboards we can share with the board",
        "dashboards and reporting on usage and outcomes",
    ],
    "proactive_advice": [
        "proactive advice on how to get more value from the platform",
        "advice on best practice from other customers, proactively",
        "someone to advise us proactively on how to use it better",
    ],
}

# remarks any answer to a question may carry, whatever its theme (noise)
_REMARKS: dict[str, list[str]] = {
    "well": ["over the past year", "most of the time", "compared with other vendors", ""],
    "improve": [
        "it costs us time every month",
        "we raised this at the last review",
        "this affects our whole team",
        "",
    ],
    "competitors": ["from what we have seen", "in the last tender", "according to peers", ""],
    "continue_start": ["over the next year", "as a priority", "if possible", ""],
    "barriers": ["most weeks", "especially at month end", "for most customers", ""],
    "levers": ["above all", "to start with", "more than anything", ""],
    "future_needs": ["over the next year", "as we grow", "for the new region", ""],
}

# question -> audience -> {theme: relative weight}
_WEIGHTS: dict[str, dict[str, dict[str, float]]] = {
    "well": {
        "customer": {"knowledgeable_staff": 3, "reliable_product": 2},
        "leadership": {"product_quality": 3, "customer_focus": 3},
        "staff": {"teamwork": 3, "product_quality": 2},
    },
    "improve": {
        "customer": {"slow_resolution": 4, "chasing_updates": 3, "generic_service": 1.5},
        "leadership": {"pricing_packaging": 3, "product_features": 3, "slow_resolution": 0.4},
        "staff": {"handoffs": 3, "tooling": 2.5, "slow_resolution": 1},
    },
    "competitors": {
        "customer": {
            "competitor_faster_support": 3,
            "competitor_cheaper": 2,
            "competitor_weaker_product": 1.5,
        },
        "leadership": {"competitor_cheaper": 2, "competitor_weaker_product": 3},
        "staff": {"competitor_faster_support": 2, "competitor_cheaper": 2},
    },
    "continue_start": {
        "customer": {"continue_account_manager": 2, "start_proactive_updates": 3},
        "leadership": {"start_customer_advisory": 2, "continue_product_investment": 3},
        "staff": {"start_training": 3, "continue_product_investment": 1.5},
    },
    "barriers": {"staff": {"handoffs": 3, "tooling": 3, "workload": 2}},
    "levers": {"staff": {"shared_customer_record": 3, "training": 2, "empowerment": 2}},
    "future_needs": {"customer": {"integrations": 3, "reporting": 2, "proactive_advice": 2}},
}

PLANTED_THEMES: dict[str, dict[str, list[str]]] = {
    q: {aud: list(weights) for aud, weights in by_audience.items()}
    for q, by_audience in _WEIGHTS.items()
}
"""Question name -> audience -> the theme keys planted in its answers."""

# themes tied to the factors the demo company improves between waves
_IMPROVED_IN_W2 = frozenset({"slow_resolution", "chasing_updates"})
_DEFECTOR_THEMES = frozenset({"slow_resolution", "chasing_updates"})

_OPENERS: dict[str, list[str]] = {
    "customer": ["", "", "Honestly, ", "For us, ", "In our experience ", "Mainly that "],
    "staff": ["", "", "From where I sit, ", "Day to day, ", "Honestly, "],
    "leadership": ["", "", "I think ", "In my view ", "Clearly "],
}
_CLOSERS = [
    "",
    "",
    "",
    ".",
    ". That would make a real difference.",
    ". It has been like this for a while.",
    ". This matters a lot to us.",
    ", and it shows.",
]
_PII = [
    " Ask Sarah Jones if you need details.",
    " Contact me at j.miller@example.com to discuss.",
    " Call me on +44 20 7946 0958 if useful.",
    " Our contact Emma Clarke agrees.",
]


# answers that speak of nothing the question asked (no planted theme)
_OFF_TOPIC = [
    "n/a",
    "No comment.",
    "Nothing to add.",
    "see my previous answer",
    "-",
    "Happy new year to the whole team!",
    "Filling this in between two meetings, sorry for being brief.",
    "Why does this survey ask so many questions?",
    "Our office moved to a new building last month.",
    "Not sure, ask my colleague.",
    "I already answered this in the last survey.",
    "ok",
]
# praise before an improvement answer's complaint (mixed sentiment)
_PRAISE_FIRST = [
    "The product itself is solid, but ",
    "We like working with you overall, but ",
    "Your account manager is great, however ",
    "Generally a good partner, although ",
]
# a caveat after a "well" answer's praise (mixed sentiment, no planted theme)
_CAVEATS = [
    ", although the portal could look more modern",
    ", even if the onboarding took a while",
    "; not everything is perfect though",
    ", though the invoices can be confusing",
]


def _pick(rng: np.random.Generator, options: list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _typo(rng: np.random.Generator, text: str) -> str:
    """``text`` with one typo in a word of five or more lower-case letters:
    two neighbouring letters swapped, one dropped or one doubled (the three
    commonest kinds of typing error; Damerau 1964, "A technique for computer
    detection and correction of spelling errors", CACM 7(3))."""
    words = text.split(" ")
    at = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha() and w.islower()]
    if not at:
        return text
    i = at[int(rng.integers(len(at)))]
    w = words[i]
    j = int(rng.integers(1, len(w) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


@functools.cache
def _theme_cdf(
    question: str, audience: str, defected: bool, second_wave: bool
) -> tuple[tuple[str, ...], list[float]]:
    """The themes one kind of respondent may raise and their cumulative
    probabilities, computed as ``Generator.choice(len(keys), p=p)`` computes
    them (``p.cumsum()``, divided by its last value)."""
    weights = dict(_WEIGHTS[question][audience])
    for theme in weights:
        if audience == "customer" and defected and theme in _DEFECTOR_THEMES:
            weights[theme] *= 2.0
        if audience == "customer" and second_wave and theme in _IMPROVED_IN_W2:
            weights[theme] *= 0.5
    keys = tuple(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    cdf = (p / p.sum()).cumsum()
    cdf /= cdf[-1]
    return keys, cdf.tolist()


def _theme_for(
    rng: np.random.Generator,
    question: str,
    audience: str,
    segment: str | None,
    wave: str,
) -> str:
    # the draw of rng.choice(len(keys), p=p), without its per-call checks:
    # one uniform number, placed in the cumulative probabilities
    keys, cdf = _theme_cdf(question, audience, segment == "defected", wave == "w2")
    return keys[bisect.bisect_right(cdf, rng.random())]


def open_answer(
    rng: np.random.Generator,
    *,
    question: str,
    audience: str,
    segment: str | None,
    team: str | None,
    wave: str,
) -> tuple[str | None, str | None]:
    """One open answer: ``(text, planted theme key)``, or ``(None, None)`` when
    the respondent skipped the question.

    ``question`` is an open-question name (``well``, ``improve``,
    ``competitors``, ``continue_start``, ``barriers``, ``levers``,
    ``future_needs``). A question not asked of ``audience`` is always skipped.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> text, theme = open_answer(rng, question="improve", audience="customer",
    ...                           segment="top", team=None, wave="w1")
    >>> theme in PLANTED_THEMES["improve"]["customer"] + [None]
    True
    """
    if question not in _WEIGHTS:
        raise ValueError(f"unknown open question {question!r}; expected one of {list(_WEIGHTS)}")
    if audience not in _WEIGHTS[question]:
        return None, None
    if rng.random() < 0.2:
        return None, None
    if rng.random() < 0.05:
        return _pick(rng, _OFF_TOPIC), None
    theme = _theme_for(rng, question, audience, segment, wave)
    core = _pick(rng, _CORES[theme])
    opener = _pick(rng, _OPENERS[audience])
    if question == "improve" and audience == "customer" and rng.random() < 0.15:
        opener = _pick(rng, _PRAISE_FIRST)
    text = core[0].upper() + core[1:] if not opener else opener + core
    remark = _pick(rng, _REMARKS[question])
    if remark:
        text += ", " + remark
    if rng.random() < 0.25:
        # a second phrasing of the same theme, for longer answers
        other = _pick(rng, _CORES[theme])
        if other != core:
            text += "; " + other
    if question == "well" and rng.random() < 0.1:
        text += _pick(rng, _CAVEATS)
    closer = _pick(rng, _CLOSERS)
    text += closer if closer else "."
    if not text.endswith("."):
        text += "."
    if rng.random() < 0.12:
        text = _typo(rng, text)
    if rng.random() < 0.1:
        text = text.rstrip(".").lower()
    if team and audience != "customer" and rng.random() < 0.15:
        text += f" (I work in {team.replace('_', ' ')}.)"
    if rng.random() < 0.04:
        text += _pick(rng, _PII)
    return text, theme


def workshop_sheet(rng: np.random.Generator, *, question: str) -> str:
    """A leadership workshop group's answer to ``question``: two bullet points
    agreed by a table of 6-8 people, drawn from the leadership themes with the
    same weights as individual answers."""
    if question not in _WEIGHTS or "leadership" not in _WEIGHTS[question]:
        raise ValueError(f"no leadership workshop answer for question {question!r}")
    weights = _WEIGHTS[question]["leadership"]
    themes = list(weights)
    p = np.array([weights[t] for t in themes], dtype=float)
    n_points = min(len(themes), 2)
    chosen = rng.choice(len(themes), size=n_points, replace=False, p=p / p.sum())
    points = []
    for i in chosen:
        core = _pick(rng, _CORES[themes[int(i)]])
        points.append(f"- {core[0].upper()}{core[1:]}.")
    return "Our table agreed:\n" + "\n".join(points)


_WHY_BUY = [
    (
        "They chose us for the depth of product knowledge in the sales process; "
        "the consultants understood their industry from the first meeting.",
        ["personalisation", "knowledge", "sales"],
    ),
    (
        "Implementation went live on the date promised, which was the main reason they renewed.",
        ["integrity", "implementation", "implementation"],
    ),
    (
        "The account manager brings ideas from other customers and they value the "
        "quarterly reviews.",
        ["expectations", "adding_value", "account_management"],
    ),
]
_PAIN = [
    (
        "Support tickets took weeks to resolve during the storming phase after go-live, "
        "and they had to chase for every update.",
        ["resolution", "time_effort", "problem_resolution", "support"],
    ),
    (
        "Invoices were wrong twice and fixing them took a lot of effort on their side.",
        ["time_effort", "routine", "billing"],
    ),
    (
        "They felt nobody listened when an outage hit their busiest week; the tone "
        "was defensive rather than understanding.",
        ["empathy", "problem_resolution", "support"],
    ),
    (
        "Features promised in the sales process arrived a year late.",
        ["integrity", "expectations", "sales", "product"],
    ),
]
_LEFT = [
    (
        "They left for Northwind Systems after a third unresolved incident; the "
        "final straw was waiting two weeks for a fix nobody owned.",
        ["resolution", "time_effort", "problem_resolution", "support"],
    ),
    (
        "They moved to Contoso Cloud at renewal: cheaper, and our account team had "
        "not been in touch for months.",
        ["personalisation", "proactive", "account_management"],
    ),
]


def interview_note(
    rng: np.random.Generator, *, account_name: str, segment: str
) -> tuple[str, list[str]]:
    """A discovery interview with one account: ``(Markdown text, keys)``.

    The text has several paragraphs (why they buy, what hurts, and for
    defected accounts why they left); ``keys`` are the factor, moment and
    touchpoint keys the note is about, sorted.
    """
    keys: set[str] = set()
    buy_text, buy_keys = _WHY_BUY[int(rng.integers(len(_WHY_BUY)))]
    pain_text, pain_keys = _PAIN[int(rng.integers(len(_PAIN)))]
    keys.update(buy_keys)
    keys.update(pain_keys)
    parts = [
        f"# Discovery interview: {account_name}",
        f"Segment: {segment}.",
        "## Why they buy\n\n" + buy_text,
        "## What hurts\n\n" + pain_text,
    ]
    if segment == "defected":
        left_text, left_keys = _LEFT[int(rng.integers(len(_LEFT)))]
        parts.append("## Why they left\n\n" + left_text)
        keys.update(left_keys)
    else:
        parts.append(
            "## What would make them stay\n\n"
            + _pick(
                rng,
                [
                    "Faster resolution of support tickets and one named contact.",
                    "Being told about problems before they notice them.",
                    "A roadmap they can plan around, delivered as promised.",
                ],
            )
        )
    return "\n\n".join(parts) + "\n", sorted(keys)
