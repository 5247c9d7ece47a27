"""Reading zip files without being blown up by them.

:func:`check_unzipped_size` refuses a zip whose members declare more bytes
than a limit (and, for workbooks, members that unzip to too many times their
zipped size), from the zip's directory alone: nothing is unzipped.
:func:`open_member` then reads a member through :class:`BoundedReader`,
which refuses to give more bytes than the member declared, so a header that
lies about the size cannot get past the check. (Python's :mod:`zipfile`
stops at the declared size as well and then fails the CRC check; counting
here keeps the bound from depending on that.) The limits themselves are in
:mod:`cxgap.contracts.limits`.
"""

from __future__ import annotations

import io
import zipfile
from typing import IO

from cxgap.errors import InputError, Problem

__all__ = ["BoundedReader", "check_unzipped_size", "human_size", "open_member"]


def human_size(n: int) -> str:
    """``n`` bytes in words (binary units, as the limits are set).

    >>> human_size(62_914_560), human_size(186_000), human_size(10 * 2**30), human_size(80)
    ('60 MiB', '181.6 KiB', '10 GiB', '80 bytes')
    """
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _refuse(file: str, expected: str) -> InputError:
    return InputError([Problem(file, None, None, None, expected)])


def check_unzipped_size(
    archive: zipfile.ZipFile,
    file: str,
    *,
    max_bytes: int,
    what: str,
    max_ratio: float | None = None,
    ratio_free: int = 0,
) -> int:
    """The bytes ``archive`` unzips to, by its directory; an :class:`InputError`
    naming ``file`` (and the member) when they pass ``max_bytes``, or when a
    member over ``ratio_free`` bytes unzips to more than ``max_ratio`` times
    its zipped size. ``what`` names the kind of file in the message
    (``"an XLSX workbook"``).

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("sheet.xml", "a" * 5000)
    >>> check_unzipped_size(zipfile.ZipFile(buffer), "x.xlsx", max_bytes=10_000, what="a file")
    5000
    >>> try:
    ...     check_unzipped_size(zipfile.ZipFile(buffer), "x.xlsx", max_bytes=10_000,
    ...                         what="an XLSX workbook", max_ratio=100)
    ... except InputError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    x.xlsx: an XLSX workbook whose members unzip to at most 100 times their size (sheet.xml ...
    """
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > max_bytes:
            raise _refuse(
                file,
                f"{what} that unzips to at most {human_size(max_bytes)} "
                f"({info.filename} alone unzips to {human_size(info.file_size)})",
            )
        if total > max_bytes:
            raise _refuse(
                file,
                f"{what} that unzips to at most {human_size(max_bytes)} "
                f"(its members unzip to more, {human_size(total)} up to {info.filename})",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if max_ratio is not None and info.file_size > ratio_free and ratio > max_ratio:
            raise _refuse(
                file,
                f"{what} whose members unzip to at most {max_ratio:g} times their size "
                f"({info.filename} unzips to {ratio:,.0f} times its size, "
                f"{human_size(info.compress_size)} to {human_size(info.file_size)})",
            )
    return total


class BoundedReader(io.RawIOBase):
    """A binary stream that gives at most ``limit`` bytes of ``raw`` and
    raises an :class:`InputError` naming ``file`` and ``member`` when ``raw``
    has more.

    Examples
    --------
    >>> BoundedReader(io.BytesIO(b"abc"), 3, "x.zip", "m").read()
    b'abc'
    >>> try:
    ...     BoundedReader(io.BytesIO(b"abcd"), 3, "x.zip", "m").read()
    ... except InputError as exc:
    ...     print(exc)
    x.zip: a member m of the 3 bytes its header declares (it holds more)
    """

    def __init__(self, raw: IO[bytes], limit: int, file: str, member: str) -> None:
        super().__init__()
        self._raw = raw
        self._left = limit
        self._limit = limit
        self._file = file
        self._member = member

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        # Ask for one byte more than is left, to see whether the member holds more.
        data = self._raw.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise _refuse(
                self._file,
                f"a member {self._member} of the {human_size(self._limit)} its header "
                "declares (it holds more)",
            )
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_member(archive: zipfile.ZipFile, name: str, file: str) -> io.BufferedReader:
    """Member ``name`` of ``archive`` for reading, bounded by the size its
    header declares (see :class:`BoundedReader`); a ``KeyError`` when absent."""
    info = archive.getinfo(name)
    return io.BufferedReader(BoundedReader(archive.open(info), info.file_size, file, name))
