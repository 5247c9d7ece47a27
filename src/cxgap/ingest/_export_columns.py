"""What each survey tool writes into its exports besides the answers.

A tool's own columns (dates, IP addresses, display order, timings, scores)
are *system* columns: never mapped onto questions. Most have fixed names;
some follow a pattern (Qualtrics ``Q3_DO`` display order and ``Q_*``
embedded data, LimeSurvey ``<code>Time`` timings), so the system columns of
an export are worked out from the names it has (:func:`system_columns`).

Sources, for each tool: Qualtrics support, "Understanding your dataset"
(metadata, embedded data ``Q_*``, display order ``_DO``, timing
``_First Click``/``_Last Click``/``_Page Submit``/``_Click Count``, scores
``SC0``); SurveyMonkey help, "Understanding exports"; LimeSurvey manual,
"Export responses" (``id``, ``submitdate``, ``lastpage``,
``startlanguage``, ``seed``, ``startdate``, ``datestamp``, ``ipaddr``,
``refurl``, ``token``, timings ``interviewtime``/``groupTime<n>``/
``<code>Time``); Microsoft Forms support, "View results in Excel" (``ID``,
``Start time``, ``Completion time``, ``Email``, ``Name``, ``Last modified
time``, and for quizzes ``Total points``, ``Quiz feedback``, ``Points -
<q>``, ``Feedback - <q>``); Google Forms help, "View & manage form
responses"; Typeform help, "Download your results".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cxgap.contracts.choices import ExportFormat

QUALTRICS_SYSTEM = frozenset(
    {
        "StartDate",
        "EndDate",
        "Status",
        "IPAddress",
        "Progress",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "ResponseID",
        "ResponseSet",
        "Name",
        "EmailAddress",
        "RecipientLastName",
        "RecipientFirstName",
        "RecipientEmail",
        "ExternalReference",
        "ExternalDataReference",
        "LocationLatitude",
        "LocationLongitude",
        "LocationAccuracy",
        "DistributionChannel",
        "UserLanguage",
    }
)
#: The legacy layout's system row: V1 (ResponseID) to V10 (Finished).
QUALTRICS_LEGACY_SYSTEM = frozenset(f"V{i}" for i in range(1, 11))
SURVEYMONKEY_SYSTEM = frozenset(
    {
        "Respondent ID",
        "RespondentID",
        "Collector ID",
        "CollectorID",
        "Start Date",
        "StartDate",
        "End Date",
        "EndDate",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        "Custom Data",
        "Custom Variable 1",
    }
)
GOOGLE_SYSTEM = frozenset({"Timestamp", "Email Address", "Email address", "Score", "Total score"})
TYPEFORM_SYSTEM = frozenset(
    {
        "#",
        "Response Type",
        "Start Date (UTC)",
        "Stage Date (UTC)",
        "Submit Date (UTC)",
        "Network ID",
        "Tags",
        "Ending",
    }
)
LIMESURVEY_SYSTEM = frozenset(
    {
        # "Question code" headings
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "startdate",
        "datestamp",
        "ipaddr",
        "refurl",
        "token",
        "interviewtime",
        # "Question text" headings
        "Response ID",
        "Date submitted",
        "Last page",
        "Start language",
        "Seed",
        "Date started",
        "Date last action",
        "IP address",
        "Referrer URL",
        "Access code",
        "Token",
        "Total time",
    }
)
MS_FORMS_SYSTEM = frozenset(
    {
        "ID",
        "Id",
        "Start time",
        "Completion time",
        "Email",
        "Name",
        "Last modified time",
        "Total points",
        "Quiz feedback",
        "Grade posted time",
    }
)
CXGAP_OWN = frozenset({"source_key", "response_id"})

_STATIC: dict[ExportFormat, frozenset[str]] = {
    "qualtrics": QUALTRICS_SYSTEM | QUALTRICS_LEGACY_SYSTEM,
    "surveymonkey": SURVEYMONKEY_SYSTEM,
    "google_forms": GOOGLE_SYSTEM,
    "typeform": TYPEFORM_SYSTEM,
    "limesurvey": LIMESURVEY_SYSTEM,
    "ms_forms": MS_FORMS_SYSTEM,
    "cxgap": CXGAP_OWN,
    "generic": frozenset(),
}

# Qualtrics: display order (Q3_DO, QID3_DO), embedded data and fraud scores
# (Q_RecaptchaScore, Q_TotalDuration), scores (SC0), timing sub-columns.
_QUALTRICS_PATTERN = re.compile(
    r"^(?:.+_DO|Q_\w+|SC\d+|.+_(?:First Click|Last Click|Page Submit|Click Count))$"
)
# LimeSurvey timings: groupTime12, and "<question code>Time" beside that question.
_LIME_GROUP_TIME = re.compile(r"^groupTime\d+$|^(?:Group|Question) time: ")
# Microsoft Forms quizzes: points and feedback of each question.
_MS_QUIZ = re.compile(r"^(?:Points|Feedback) - ")


def system_columns(fmt: ExportFormat, names: Iterable[str]) -> frozenset[str]:
    """The tool's own columns of an export of ``fmt`` with these column names.

    Examples
    --------
    >>> found = system_columns("qualtrics", ["Q1", "Q3_DO", "Q_TotalDuration", "SC0"])
    >>> sorted(found - QUALTRICS_SYSTEM - QUALTRICS_LEGACY_SYSTEM)
    ['Q3_DO', 'Q_TotalDuration', 'SC0']
    >>> lime = system_columns("limesurvey", ["id", "q1", "q1Time", "groupTime3"])
    >>> sorted(lime - LIMESURVEY_SYSTEM)
    ['groupTime3', 'q1Time']
    """
    names = list(names)
    found = set(_STATIC[fmt])
    if fmt == "qualtrics":
        found |= {n for n in names if _QUALTRICS_PATTERN.match(n)}
    elif fmt == "limesurvey":
        present = set(names)
        found |= {n for n in names if _LIME_GROUP_TIME.match(n)}
        found |= {n for n in names if n.endswith("Time") and n[: -len("Time")] in present}
    elif fmt == "ms_forms":
        found |= {n for n in names if _MS_QUIZ.match(n)}
    return frozenset(found)
