"""Infer a study and its mapping file from a survey export (``cxgap init --from``).

Every column of the export gets one *role*, decided from its header and its
values alone, with the reason shown to the user:

==============  ==============================================================
role            what the column becomes
==============  ==============================================================
``nps``         0-10 likelihood to recommend (header speaks of recommending):
                the ``ltr`` question
``rating``      whole numbers on a standard scale (1-5, 1-7, 1-10, 0-10), or
                the words of a known 5-point scale: ``perf.<key>``, a factor
                of its own named after the header (the six pillars are only
                *suggested*, where the header's words match a pillar's)
``outcome``     two levels that read as a result (``satisfied`` / ``neutral
                or dissatisfied``; a yes/no ``Churn``): ``outcome.<key>``, a
                0-1 rating coded 1 for the positive level (stated in the
                question text and the mapping's ``values:``)
``yes_no``      a yes/no question (the header asks something):
                ``yes.<key>``, a 0-1 rating, 1 = yes
``multi``       cells listing several options (``a; b``, or a header saying
                "choose any"): ``multi.<key>`` (or ``leave``, the reasons to
                leave, when the header speaks of leaving), one item per option
``option``      one column per option (``Question - Option`` in Qualtrics
                and SurveyMonkey, the bare label in Typeform): the label or
                a tick where chosen; a run of them is one ``multi``/``leave``
                question, each column ``<key>.<item>``
``share``       a percentage (0-100) under a header with ``%``: ``share.<key>``
``text``        open answers: ``open.<key>``
``attribute``   a few short levels (``Class``, ``Region``, ``Gender``) or a
                whole number with few levels: ``attr.<key>``, a respondent
                attribute, never a driver
``respondent``  a column of unique ids named like one: ``respondent_id``
``response``    the tool's response id: ``response_id``
``metadata``    the tool's own columns, dates, e-mail and IP addresses,
                durations, row numbers: kept out (``null``)
``ignored``     anything else (a measurement such as a distance or a delay,
                a column with one value, short free text), with the reason
==============  ==============================================================

A 1-5 rating whose header speaks of *excellent* is the ``excellent``
headline item; a scale the header states (``(0-10)``, ``1 = ..., 5 = ...``)
wins over the one the values suggest; ranking columns (``Rank the ...``) are
left out with the reason (map them to ``rank.<item>`` by hand). Where rating
headers share their first words (``How well does the company perform on
...``), keys are made of the words that differ.

Missing-value codes: the scale of a numeric column is the smallest standard
scale (1-5, 1-7, 1-10, 0-10) that holds its values once the usual codes
outside it are set aside: 0 below a 1-5 or 1-7 scale, 9, 98, 99, 999 above
it, negative codes (-1, -9, -99). Those codes are declared in the mapping's
``missing:`` section for that column (the airline survey's 0 = "not
applicable" on its 1-5 service items). The rule follows the coding
conventions of survey data files (missing-value codes set outside the valid
range of a variable, e.g. the ICPSR *Guide to Social Science Data
Preparation and Archiving*, 6th ed., 2020, "missing data" codes), and is
tested against counts taken by hand from the files in
``tests/test_infer.py``.

The package is read in the order of the method: :mod:`.rules` (what
headers and values say: scales, codes, word scales, keys), :mod:`.columns`
(one column's role), :mod:`.choices` (the roles a user may give it
instead), :mod:`.plan` (the whole export's plan), :mod:`.study` (the study
definition and mapping made from the plan).
"""

from __future__ import annotations

from cxgap.ingest.infer.choices import CHOOSABLE
from cxgap.ingest.infer.plan import classify_columns
from cxgap.ingest.infer.rules import ColumnPlan, Role, slug_key
from cxgap.ingest.infer.study import InferredStudy, ignoring, infer_study

__all__ = [
    "CHOOSABLE",
    "ColumnPlan",
    "InferredStudy",
    "Role",
    "classify_columns",
    "ignoring",
    "infer_study",
    "slug_key",
]
