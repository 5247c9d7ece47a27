"""The named errors of cxgap.

Every error a user can cause (a bad file, a missing study, an unreachable
database) is a :class:`CxgapError`. The CLI prints its message on one line and
exits with status 2; the web app renders it as a 4xx page or JSON body. Any
other exception is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CxgapError(Exception):
    """Base class of every expected failure."""


class ConfigError(CxgapError):
    """A setting is missing or invalid."""


class DatabaseError(CxgapError):
    """The database cannot be reached or is not at the expected schema."""


class NotFoundError(CxgapError):
    """A named object (study, wave, account, ...) does not exist."""


class AccessDeniedError(CxgapError):
    """The user's role does not allow what they asked (a viewer editing)."""


class ConflictError(CxgapError):
    """Someone else changed the object since it was read: nothing was saved."""


class StudyFileError(CxgapError):
    """A study definition file is invalid.

    The message names the file, the key path inside it and what was expected.
    """

    def __init__(self, file: str, path: str, expected: str) -> None:
        self.file = file
        self.path = path
        self.expected = expected
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {expected}")


class StudyInUseError(StudyFileError):
    """A change would remove a wave or question that holds answers.

    ``section`` is ``"waves"`` or ``"questions"``, ``key`` the wave or
    question and ``count`` its responses or answers.
    """

    def __init__(self, file: str, section: str, key: str, count: int, what: str) -> None:
        self.section = section
        self.key = key
        self.count = count
        super().__init__(file, section, what)


@dataclass(frozen=True)
class Problem:
    """One problem in one cell of an input file.

    ``row`` is the 1-based line number a spreadsheet program shows (the header
    is row 1 for a CSV with one header row); ``None`` when the problem is about
    the whole file or a whole column.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        where = ", ".join(parts)
        if self.value is None:
            return f"{where}: {self.expected}"
        return f"{where}: got {self.value!r}, expected {self.expected}"


class InputError(CxgapError):
    """An input file has problems; nothing from it was written.

    ``problems`` lists every problem found (file, row, column, value, expected);
    the message shows the first few and the total count. A plain sentence is
    one problem, and the message.
    """

    def __init__(self, problems: Sequence[Problem] | str, shown: int = 5) -> None:
        if isinstance(problems, str):
            # One problem told in a sentence (a command's option, a case's
            # change): the message is the sentence itself.
            self.problems = [Problem("input", None, None, None, problems)]
            super().__init__(problems)
            return
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[:shown]]
        more = len(self.problems) - shown
        if more > 0:
            lines.append(f"... and {more} more problem(s)")
        super().__init__("; ".join(lines) if len(lines) == 1 else "\n".join(lines))


class FieldError(InputError):
    """One field of a form, a request or a command cannot take the value
    given. ``problems`` holds it (its ``column`` is the field), so a form
    shows it beside the field; the message is the sentence itself."""

    def __init__(self, field: str, message: str, *, value: object = None) -> None:
        super().__init__([Problem(field, None, field, value, message)])
        self.field = field
        self.args = (message,)


class AnalysisError(CxgapError):
    """The data cannot support the requested analysis (too few rows, a
    constant or collinear column, a non-numeric outcome, ...)."""
