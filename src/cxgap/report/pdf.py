"""The report as PDF, printed from the HTML report by WeasyPrint (the
optional extra ``cxgap[pdf]``). WeasyPrint needs Pango, HarfBuzz and
fontconfig from the system; when it cannot load, a :class:`CxgapError`
names what is missing and how to install it.

WeasyPrint prints with a URL fetcher that loads ``data:`` URLs only (the
report's charts): whatever a page names, a web address or a local file,
is never fetched, so a report can neither call out nor read files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cxgap.errors import CxgapError

__all__ = ["load_weasyprint", "offline_fetcher", "write_pdf"]

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


def offline_fetcher(weasyprint: Any) -> Any:
    """A WeasyPrint URL fetcher that loads ``data:`` URLs and refuses every
    other (WeasyPrint then leaves the resource out, with a warning). Every
    URL asked for is kept in its ``requested`` list."""
    urls = weasyprint.urls

    def check(url: str) -> None:
        if not url.startswith("data:"):
            raise ValueError(f"cxgap reports load nothing from outside: {url[:100]}")

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later

        class Offline(urls.URLFetcher):  # type: ignore[name-defined]
            requested: list[str]

            def fetch(self, url: str, headers: Any = None) -> Any:
                self.requested.append(url)
                check(url)
                return super().fetch(url, headers)

        fetcher = Offline(allowed_protocols=("data",))
        fetcher.requested = []
        return fetcher

    class OfflineFunction:  # earlier versions take a function returning a dict
        def __init__(self) -> None:
            self.requested: list[str] = []

        def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
            self.requested.append(url)
            check(url)
            return urls.default_url_fetcher(url, *args, **kwargs)

    return OfflineFunction()


def write_pdf(html: str, path: Path, *, url_fetcher: Any = None) -> Path:
    """Print an HTML report to a PDF file (A4, one section per page).

    ``url_fetcher`` defaults to :func:`offline_fetcher`: nothing outside the
    page is ever loaded.
    """
    weasyprint = load_weasyprint()
    fetcher = offline_fetcher(weasyprint) if url_fetcher is None else url_fetcher
    weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf(str(path))
    return path
