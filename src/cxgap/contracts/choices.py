"""The fixed choices a user picks from, written once for the layer that acts on
them and for the command line that offers them.

They live here, and not beside the code that uses them, so that a command can
name them in its options and help without importing that code (and, with it,
SQLAlchemy, pandas or scikit-learn) before it runs.
"""

from __future__ import annotations

from typing import Literal, get_args

#: The status of an action item (:mod:`cxgap.store.actions`).
Status = Literal["proposed", "accepted", "in_progress", "done", "dropped"]
STATUSES: tuple[str, ...] = get_args(Status)

#: The role of a user of the web app (:mod:`cxgap.store.users`).
Role = Literal["owner", "analyst", "viewer"]
ROLES: tuple[str, ...] = get_args(Role)
#: The shortest password accepted (NIST SP 800-63B asks for at least 8).
MIN_PASSWORD = 10

#: The survey tools whose exports cxgap reads (:mod:`cxgap.ingest.formats`).
ExportFormat = Literal[
    "qualtrics",
    "surveymonkey",
    "google_forms",
    "typeform",
    "limesurvey",
    "ms_forms",
    "cxgap",
    "generic",
]
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)

#: The help-desk and CRM exports ``cxgap import events --preset`` reads
#: (:mod:`cxgap.ingest.event_presets`).
EventPreset = Literal["zendesk", "freshdesk", "hubspot", "salesforce"]
EVENT_PRESETS: tuple[str, ...] = get_args(EventPreset)

#: How themes are found (:mod:`cxgap.analysis.voice.themes`).
Engine = Literal["tfidf-nmf", "embeddings"]
ENGINES: tuple[str, ...] = ("tfidf-nmf", "embeddings")
