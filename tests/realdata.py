"""Real public data sets that nobody here wrote, found by name.

Those whose licence allows it are kept in ``tests/data/real/`` (see
``tests/data/SOURCES.md``), so a plain clone runs their tests. The others are
read from the shared folder beside the clone (``../shared/data``) where it
exists; without it their tests skip with a reason naming the file and where it
comes from.
"""

from __future__ import annotations

from pathlib import Path

from tests.skips import skip_optional

IN_REPOSITORY = Path(__file__).resolve().parent / "data" / "real"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

# Data sets kept here, with the SHA-256 of the source they were copied from.
KEPT = {
    "swiss.csv": "4d2bafe42b512ca2b6ac92cc48fd9323b68883bc2c004cad85bd706c2832a295",
    "mtcars.csv": "439ba335c3d28dd0c1871f75bdffb389d5a3b23cf703275566700140c9523ae5",
    "vader_amazon_review_snippets_ground_truth.tsv": (
        "11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2"
    ),
    "banking77_test_excerpt.csv": (
        "e22b897ffaab729f0738e941da773a9dd954bb5f15239e0b1a494ffba7290b89"
    ),
    "banking77_test_heldout_excerpt.csv": (
        "7cee9834d0665defb482c8c732a7e95dfc0670c53a18a2f17fef2f21159fa663"
    ),
    "vader_tweets_ground_truth.tsv": (
        "dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f"
    ),
}

# Data sets not copied into the repository: no licence is stated where they
# were found, so they are read only from ../shared/data.
NOT_COPIED = {
    "airline_passenger_satisfaction_test.csv": (
        "MachtaYassine/Uncovering-airline-passenger-satisfaction"
        " @ a0695ab94b8047a9d5c82aec13910da8e5276640, data/raw/test.csv"
    ),
    "amazon_alexa_reviews.tsv": (
        "NikhitaMethwani/Amazon-Alexa-Review-Using-Sentiment-Analysis"
        " @ ad38c3de1eea028a3ff0d88399e96f542bec358b, amazon_alexa.tsv"
    ),
    "telco_customer_churn.csv": (
        "aiplanethub/Datasets @ 9684febc4bade40e08af5eb3d0365a3907b27cbd,"
        " WA_Fn-UseC_-Telco-Customer-Churn.csv"
    ),
}


#: The 14 service items of the airline passenger satisfaction survey, each
#: rated 1-5 with 0 = "not applicable", as its header names them.
AIRLINE_RATINGS = [
    "Inflight wifi service",
    "Departure/Arrival time convenient",
    "Ease of Online booking",
    "Gate location",
    "Food and drink",
    "Online boarding",
    "Seat comfort",
    "Inflight entertainment",
    "On-board service",
    "Leg room service",
    "Baggage handling",
    "Checkin service",
    "Inflight service",
    "Cleanliness",
]


def real_data_path(name: str) -> Path:
    """The path of the real data set ``name``; skips the test where it is not here."""
    for folder in (IN_REPOSITORY, SHARED):
        path = folder / name
        if path.is_file():
            return path
    if name in NOT_COPIED:
        skip_optional(
            f"real data set {name} is not in this clone: it comes from {NOT_COPIED[name]}"
            f" (no licence stated, so not copied into tests/data); put it in {SHARED}"
        )
    raise FileNotFoundError(
        f"real data set {name} is neither in {IN_REPOSITORY} nor in {SHARED}"
        " (a data set kept in the repository must not be missing)"
    )
