"""Which skips a full run may have.

A test may skip only for something the README's two commands do not install:
an optional extra (``cxgap[embeddings]``) or a real data set whose licence
keeps it out of the repository. Every other skip (no PostgreSQL, no Redis, no
Chromium, a missing test package) means the machine is not set up as the
README says, so a run with ``CXGAP_REQUIRE_ALL_TESTS=1`` (``.ci/run`` sets it)
turns it into a failure that names the test and its reason.

Mark such a test with ``@pytest.mark.optional("what it needs")``, or skip from
inside it with :func:`skip_optional`.

A server the tests use (PostgreSQL, Redis) is started by ``.ci/run``; a test
skips for it with :func:`skip_service`, which is allowed only where ``.ci/run``
could not start that server at all and said so in
``CXGAP_UNAVAILABLE_SERVICES`` (names separated by spaces).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import NoReturn

import pytest

REQUIRE_ALL = "CXGAP_REQUIRE_ALL_TESTS"
UNAVAILABLE = "CXGAP_UNAVAILABLE_SERVICES"


class OptionalSkip(pytest.skip.Exception):
    """A skip for something the README does not install."""


def skip_optional(reason: str) -> NoReturn:
    """Skip the running test because it needs something outside the README's
    install (an extra, a data set that may not be copied here)."""
    raise OptionalSkip(reason)


class ServiceSkip(pytest.skip.Exception):
    """A skip because a server does not answer."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(reason)
        self.service = service


def skip_service(service: str, reason: str) -> NoReturn:
    """Skip the running test because the server ``service`` does not answer."""
    raise ServiceSkip(service, reason)


# Doctests whose every example is ``+SKIP`` because it needs an extra.
OPTIONAL_DOCTESTS = {
    "cxgap.analysis.voice.embeddings.embed_texts": "the embeddings extra (a model on disk)",
}


def require_all() -> bool:
    """Whether this run turns every other skip into a failure."""
    return os.environ.get(REQUIRE_ALL, "") not in ("", "0")


def is_optional(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException] | None) -> bool:
    """Whether a skipped test skipped for an allowed reason."""
    if item.get_closest_marker("optional") is not None or item.name in OPTIONAL_DOCTESTS:
        return True
    if excinfo is None:
        return False
    if isinstance(excinfo.value, ServiceSkip):
        return excinfo.value.service in os.environ.get(UNAVAILABLE, "").split()
    return isinstance(excinfo.value, OptionalSkip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Under ``CXGAP_REQUIRE_ALL_TESTS=1`` a skip is a failure unless the test
    needs something the README does not install. An expected failure (xfail)
    is reported as skipped too, and is left alone."""
    report = yield
    unexpected = report.skipped and not hasattr(report, "wasxfail")
    if unexpected and require_all() and not is_optional(item, call.excinfo):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"skipped ({reason}), but {REQUIRE_ALL}=1: this test needs only what the"
            " README installs, so it must run"
        )
    return report
