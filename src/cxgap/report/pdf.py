"""The report as PDF, printed from the HTML report by WeasyPrint (the
optional extra ``cxgap[pdf]``). WeasyPrint needs Pango, HarfBuzz and
fontconfig from the system; when it cannot load, a :class:`CxgapError`
names what is missing and how to install it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cxgap.errors import CxgapError

__all__ = ["load_weasyprint", "write_pdf"]

_INSTALL = (
    "install the PDF extra (pip install 'cxgap[pdf]') and the system libraries "
    "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
    "libharfbuzz-subset0 fonts-dejavu-core)"
)


def load_weasyprint() -> Any:
    """Import WeasyPrint, or raise a CxgapError naming what is missing."""
    try:
        import weasyprint
    except ModuleNotFoundError as exc:
        raise CxgapError(
            f"PDF output needs WeasyPrint, which is not installed: {_INSTALL}"
        ) from exc
    except OSError as exc:  # a system library (Pango, GObject, HarfBuzz) cannot load
        lib = re.search(r"'([^']+)'", str(exc))
        name = lib.group(1) if lib else str(exc).splitlines()[0]
        raise CxgapError(
            f"PDF output needs the system library {name}, which cannot be loaded: {_INSTALL}"
        ) from exc
    return weasyprint


def write_pdf(html: str, path: Path) -> Path:
    """Print an HTML report to a PDF file (A4, one section per page)."""
    weasyprint = load_weasyprint()
    weasyprint.HTML(string=html, base_url=str(path.parent)).write_pdf(str(path))
    return path
