"""A process's copy of study definitions, keyed by (study id, revision).

Loading a study definition takes about ten queries; a survey link needs it on
every request. Every :func:`cxgap.store.studies.save_study` bumps
``study.revision`` in the same transaction as the change, so a request that
reads the revision of its study (the survey link query joins the study row
anyway) knows whether the copy kept here is still the one in the database:
an edit is seen by the very next request, in every process.

The key also holds the study's ``created_at``, so a study deleted and another
created under a reused id (SQLite reuses the highest id) is not mistaken for
the old one. A cached definition is shared by every request of the process:
callers read it and never change it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from cxgap.study.model import StudyDefinition

__all__ = ["CachedDefinition", "DefinitionCache", "DefinitionKey"]

#: (study id, revision, created_at) of one stored definition (no
#: created_at for a definition that was never stored, as in the example below).
DefinitionKey = tuple[int, int, datetime | None]

T = TypeVar("T")


@dataclass
class CachedDefinition:
    """One study definition and what was derived from it (sections per
    audience, question lookups), computed once per revision."""

    study: StudyDefinition
    _derived: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def derived(self, name: Hashable, build: Callable[[StudyDefinition], T]) -> T:
        """``build(study)``, computed on first use and kept with the definition."""
        try:
            value: T = self._derived[name]
        except KeyError:
            value = self._derived[name] = build(self.study)
        return value


class DefinitionCache:
    """The definitions one process has loaded from one database (least
    recently used dropped beyond ``size``). Safe to share between threads.

    >>> from cxgap.study.defaults import default_study
    >>> cache = DefinitionCache()
    >>> loads = []
    >>> def load():
    ...     loads.append(1)
    ...     return default_study("acme", organisation="Acme"), 1
    >>> cache.get((1, 1, None), load).study.slug
    'acme'
    >>> _ = cache.get((1, 1, None), load)
    >>> len(loads)
    1
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[DefinitionKey, CachedDefinition] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, key: DefinitionKey, load: Callable[[], tuple[StudyDefinition, int]]
    ) -> CachedDefinition:
        """The definition stored under ``key``, loaded with ``load`` when this
        process does not hold that revision. ``load`` returns the definition
        and the revision it read; a definition read at another revision than
        asked for (an edit committed meanwhile) is used once and not kept
        under the wrong key."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        study, revision = load()
        entry = CachedDefinition(study)
        if revision == key[1]:
            with self._lock:
                entry = self._entries.setdefault(key, entry)
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        """Forget every definition (after this process changed or deleted one)."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
