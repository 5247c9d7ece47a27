"""Rate limits: unknown survey links and wrong passwords, counted per client
address in memory or in Redis (shared by every worker), on every route that
takes a survey token (the list of routes taken from the app)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cxgap.errors import ConfigError
from cxgap.settings import Settings
from cxgap.store.db import Database
from cxgap.store.invitations import Contact, create_invitations
from cxgap.store.migrate import upgrade
from cxgap.store.studies import save_study
from cxgap.store.users import add_user
from cxgap.study.defaults import default_study
from cxgap.web import create_app, iter_routes
from cxgap.web.ratelimit import Limit, MemoryLimiter, RateLimiter, RedisLimiter, client_key
from tests.skips import skip_service

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "k3V9x0pQ7mZ2wL5tR8yB1nC4dF6gH0jS"
LIMIT = 3
ATTACKER = ("198.51.100.7", 40000)
NEIGHBOUR = ("203.0.113.9", 40000)
UNKNOWN = "Zq0unknown-token-that-opens-nothing-at-all-0000"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _redis_or_skip(prefix: str) -> RedisLimiter:
    try:
        limiter = RedisLimiter(REDIS_URL, prefix=prefix)
    except ConfigError as exc:
        pytest.skip(f"Redis tests need the redis package: {exc}")
    try:
        limiter.ping()
    except ConfigError as exc:
        limiter.close()
        skip_service("redis", f"no Redis server answers at {REDIS_URL}: {exc}")
    return limiter


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"cxgap-test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.close()
    except Exception:  # the test itself skipped: nothing to clean
        pass


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def limiter(request: pytest.FixtureRequest) -> Iterator[RateLimiter]:
    """A limiter of each backend (Redis: skipped, saying why, without a server)."""
    if request.param == "memory":
        yield MemoryLimiter()
        return
    lim = _redis_or_skip(request.getfixturevalue("redis_prefix"))
    yield lim
    lim.close()


# --- the limiters --------------------------------------------------------------


def test_memory_limiter_blocks_after_the_limit_until_the_oldest_attempt_leaves() -> None:
    clock = FakeClock()
    lim, limit = MemoryLimiter(clock=clock), Limit("t", 3, 60.0)
    assert lim.hit(limit, "192.0.2.1") is None
    clock.now += 10
    assert lim.hit(limit, "192.0.2.1") is None
    clock.now += 10
    assert lim.hit(limit, "192.0.2.1") == pytest.approx(40.0)  # first attempt + 60 - now
    assert lim.retry_after(limit, "192.0.2.1") == pytest.approx(40.0)
    assert lim.retry_after(limit, "192.0.2.2") is None  # another client
    assert lim.retry_after(Limit("other", 3, 60.0), "192.0.2.1") is None  # another limit
    clock.now += 40  # the first attempt leaves the window
    assert lim.retry_after(limit, "192.0.2.1") is None
    assert lim.hit(limit, "192.0.2.1") == pytest.approx(10.0)


def test_memory_limiter_forgets_clients_whose_window_passed() -> None:
    clock = FakeClock()
    lim, limit = MemoryLimiter(clock=clock), Limit("t", 5, 1.0)
    for i in range(1023):
        lim.hit(limit, f"10.0.{i // 250}.{i % 250}")
    clock.now += 2
    lim.hit(limit, "10.9.9.9")  # the 1024th attempt prunes
    assert list(lim._seen) == [client_key(limit, "10.9.9.9")]


def test_clients_are_kept_as_a_hash_and_ipv6_by_network() -> None:
    limit = Limit("survey-miss", 3, 60.0)
    key = client_key(limit, "198.51.100.7", secret=SECRET)
    assert "198.51.100.7" not in key and key != client_key(limit, "198.51.100.7")
    assert client_key(limit, "2001:db8:1:2::5") == client_key(limit, "2001:db8:1:2:ffff::1")
    assert client_key(limit, "2001:db8:1:2::5") != client_key(limit, "2001:db8:1:3::5")
    assert client_key(limit, "::ffff:192.0.2.1") == client_key(limit, "192.0.2.1")


def test_both_backends_count_the_same_way(limiter: RateLimiter) -> None:
    limit = Limit("same", 3, 30.0)
    assert [limiter.hit(limit, "192.0.2.10") is None for _ in range(3)] == [True, True, False]
    wait = limiter.retry_after(limit, "192.0.2.10")
    assert wait is not None and 29.0 <= wait <= 30.0
    assert limiter.retry_after(limit, "192.0.2.11") is None


@pytest.mark.redis
def test_redis_windows_slide_on_the_server_clock(redis_prefix: str) -> None:
    lim = _redis_or_skip(redis_prefix)
    limit = Limit("slide", 2, 0.6)
    lim.hit(limit, "192.0.2.20")
    assert lim.hit(limit, "192.0.2.20") is not None
    time.sleep(0.7)
    assert lim.retry_after(limit, "192.0.2.20") is None
    lim.close()


@pytest.mark.redis
def test_redis_counts_are_shared_by_every_process_and_hold_no_address(redis_prefix: str) -> None:
    import redis

    worker_a = _redis_or_skip(redis_prefix)
    worker_b = RedisLimiter(REDIS_URL, prefix=redis_prefix)  # another worker or server
    limit = Limit("shared", 4, 60.0)
    worker_a.hit(limit, "198.51.100.7")
    worker_b.hit(limit, "198.51.100.7")
    worker_a.hit(limit, "198.51.100.7")
    assert worker_b.retry_after(limit, "198.51.100.7") is None
    worker_b.hit(limit, "198.51.100.7")
    assert worker_a.retry_after(limit, "198.51.100.7") is not None
    raw = redis.Redis.from_url(REDIS_URL)
    keys = list(raw.scan_iter(redis_prefix + "*"))
    assert len(keys) == 1
    assert b"198.51.100.7" not in keys[0]
    members = raw.zrange(keys[0], 0, -1)
    assert len(members) == 4 and not any(b"198.51" in m for m in members)
    assert 0 < raw.pttl(keys[0]) <= 60_000  # gone with the window
    raw.close()
    worker_a.close()
    worker_b.close()


def test_a_redis_that_stops_answering_lets_attempts_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pytest.importorskip("redis", reason="the Redis limiter needs the redis package")
    lim = RedisLimiter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(ConfigError, match="does not answer"):
        lim.ping()
    with caplog.at_level(logging.WARNING):
        assert lim.hit(Limit("down", 1, 60.0), "192.0.2.1") is None
    assert "rate limit not applied" in caplog.text and "192.0.2.1" not in caplog.text
    lim.close()


def test_settings_declare_the_limits_with_defaults_and_read_the_environment() -> None:
    s = Settings.load(database_url="sqlite://", environ={})
    assert (s.survey_miss_limit, s.survey_miss_window) == (20, 600.0)
    assert (s.login_failure_limit, s.login_failure_window) == (10, 300.0)
    assert s.redis_url is None
    env = {
        "CXGAP_REDIS_URL": "redis://:pw@127.0.0.1:6379/2",
        "CXGAP_SURVEY_MISS_LIMIT": "5",
        "CXGAP_SURVEY_MISS_WINDOW": "60",
        "CXGAP_LOGIN_FAILURE_LIMIT": "4",
    }
    s = Settings.load(database_url="sqlite://", environ=env)
    assert (s.survey_miss_limit, s.survey_miss_window, s.login_failure_limit) == (5, 60.0, 4)
    assert s.redis_url == "redis://:pw@127.0.0.1:6379/2" and "pw" not in repr(s)
    with pytest.raises(ConfigError, match="survey_miss_limit"):
        Settings.load(database_url="sqlite://", environ={"CXGAP_SURVEY_MISS_LIMIT": "0"})
    with pytest.raises(ConfigError, match="redis_url") as err:
        Settings.load(database_url="sqlite://", environ={"CXGAP_REDIS_URL": "http://:pw@x"})
    assert "pw@" not in str(err.value)


def test_an_app_with_a_redis_that_does_not_answer_refuses_to_start(fresh_db: Database) -> None:
    pytest.importorskip("redis", reason="the Redis limiter needs the redis package")
    settings = Settings.load(database_url="sqlite://").model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0"}
    )
    with (
        pytest.raises(ConfigError, match="does not answer"),
        TestClient(create_app(settings, database=fresh_db)),
    ):
        pass


# --- survey routes -------------------------------------------------------------


@pytest.fixture
def survey_site(db_url: str, limiter: RateLimiter) -> Iterator[tuple[FastAPI, str, Database]]:
    """An app with a limit of 3 unknown links, and one valid customer link."""
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    token = (
        create_invitations(
            db,
            "acme",
            audience="customer",
            wave="w1",
            contacts=[Contact(email="ann@example.com", segment="top")],
        )
        .links[0]
        .token
    )
    settings = Settings.load(database_url=db_url).model_copy(
        update={"survey_miss_limit": LIMIT, "survey_miss_window": 600.0}
    )
    yield create_app(settings, database=db, limiter=limiter), token, db
    db.close()


def token_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app that takes a survey token."""
    out = [
        (method, r.path)
        for r in iter_routes(app)
        if "{token}" in r.path
        for method in sorted(r.methods - {"HEAD"})
    ]
    assert len(out) >= 7, out  # the list really came from the app
    return out


def _call(client: TestClient, method: str, path: str, token: str) -> Any:
    url = path.replace("{token}", token)
    body = {"answers": {}} if method in ("PUT", "POST") and path.startswith("/api/") else None
    if method == "POST" and not path.startswith("/api/"):
        return client.post(url, data={"section": "0", "action": "back"}, follow_redirects=False)
    return client.request(method, url, json=body, follow_redirects=False)


def test_unknown_links_are_refused_with_429_on_every_token_route(
    survey_site: tuple[FastAPI, str, Database],
) -> None:
    app, token, _ = survey_site
    with (
        TestClient(app, client=ATTACKER) as attacker,
        TestClient(app, client=NEIGHBOUR) as neighbour,
    ):
        for i, (method, path) in enumerate(token_routes(app)):
            guess = f"{UNKNOWN}-{i}"
            # A client of its own per route: each route counts misses by itself.
            client = TestClient(app, client=(f"198.51.100.{100 + i}", 1))
            for _ in range(LIMIT):
                assert _call(client, method, path, guess).status_code == 404, (method, path)
            refused = _call(client, method, path, guess + "x")
            assert refused.status_code == 429, (method, path)
            retry = int(refused.headers["retry-after"])
            assert 0 < retry <= 600
            if path.startswith("/api/"):
                body = refused.json()["error"]
                assert body["type"] == "RateLimitedError" and body["retry_after"] == retry
            else:
                assert refused.headers["content-type"].startswith("text/html")
                assert "Too many attempts" in refused.text
            # A blocked client is refused its valid links too (or the 429s would
            # tell it which guesses were right); another client is not affected.
            assert _call(client, method, path, token).status_code == 429
            assert _call(neighbour, method, path, token).status_code != 429
        assert attacker.get(f"/s/{token}").status_code == 200


def test_a_valid_link_never_counts_as_a_miss(survey_site: tuple[FastAPI, str, Database]) -> None:
    app, token, _ = survey_site
    with TestClient(app, client=ATTACKER) as client:
        for _ in range(3 * LIMIT):
            assert client.get(f"/s/{token}").status_code == 200
            assert client.get(f"/api/v1/surveys/{token}").status_code == 200
        # Invalid answers or a bad draft key are 422, not misses.
        for _ in range(2 * LIMIT):
            r = client.put(f"/api/v1/surveys/{token}/answers", json={"answers": {"ltr": 99}})
            assert r.status_code == 422
        for _ in range(LIMIT - 1):
            assert client.get(f"/s/{UNKNOWN}").status_code == 404
        assert client.get(f"/s/{token}").status_code == 200
        assert client.get(f"/s/{UNKNOWN}").status_code == 404  # the third miss
        assert client.get(f"/s/{token}").status_code == 429


def test_the_health_route_of_the_same_router_is_never_limited(
    survey_site: tuple[FastAPI, str, Database],
) -> None:
    app, _, _ = survey_site
    with TestClient(app, client=ATTACKER) as client:
        for _ in range(LIMIT):
            client.get(f"/api/v1/surveys/{UNKNOWN}")
        assert client.get(f"/api/v1/surveys/{UNKNOWN}").status_code == 429
        assert client.get("/api/v1/health").status_code == 200


def test_tokens_are_neither_logged_nor_kept_by_the_limiter(
    survey_site: tuple[FastAPI, str, Database], caplog: pytest.LogCaptureFixture
) -> None:
    app, token, _ = survey_site
    guesses = [f"{UNKNOWN}-{i}" for i in range(LIMIT + 2)]
    with caplog.at_level(logging.DEBUG), TestClient(app, client=ATTACKER) as client:
        for guess in guesses:
            client.get(f"/api/v1/surveys/{guess}")
        client.get(f"/s/{token}")
    # Everything the server side logged (the test client's own request log aside).
    server = [r for r in caplog.records if not r.name.startswith("httpx")]
    assert server, "nothing was captured: the check below would prove nothing"
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in server)
    for secret in [*guesses, token]:
        assert secret not in logged
        assert secret[:20] not in logged
    limiter = app.state.limiter
    if isinstance(limiter, MemoryLimiter):
        kept = repr(limiter._seen)
        assert "198.51.100.7" not in kept and not any(g[:20] in kept for g in guesses)


def test_misses_on_one_worker_count_on_another(db_url: str, redis_prefix: str) -> None:
    """Two apps (two workers or two servers) with one Redis share the count."""
    first, second = _redis_or_skip(redis_prefix), RedisLimiter(REDIS_URL, prefix=redis_prefix)
    db = Database.open(Settings.load(database_url=db_url))
    upgrade(db)
    save_study(db, default_study("acme", organisation="Acme"))
    settings = Settings.load(database_url=db_url).model_copy(update={"survey_miss_limit": LIMIT})
    app_a = create_app(settings, database=db, limiter=first)
    app_b = create_app(settings, database=db, limiter=second)
    with TestClient(app_a, client=ATTACKER) as a, TestClient(app_b, client=ATTACKER) as b:
        assert a.get(f"/s/{UNKNOWN}-1").status_code == 404
        assert b.get(f"/s/{UNKNOWN}-2").status_code == 404
        assert a.get(f"/api/v1/surveys/{UNKNOWN}-3").status_code == 404
        assert b.get(f"/s/{UNKNOWN}-4").status_code == 429
        assert a.get(f"/s/{UNKNOWN}-5").status_code == 429
    db.close()
    first.close()
    second.close()


# --- sign-in ------------------------------------------------------------------


def _login(client: TestClient, password: str) -> Any:
    import re

    page = client.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return client.post(
        "/login",
        data={"email": "ann@example.com", "password": password, "csrf_token": found.group(1)},
        follow_redirects=False,
    )


def test_wrong_passwords_count_in_the_same_limiter(
    fresh_db: Database, db_url: str, limiter: RateLimiter
) -> None:
    save_study(fresh_db, default_study("acme", organisation="Acme"))
    add_user(fresh_db, "ann@example.com", organisation="Acme", role="owner", password="pw-Long-1!")
    settings = Settings.load(database_url=db_url).model_copy(
        update={"secret_key": SECRET, "login_failure_limit": 2}
    )
    app_a = create_app(settings, database=fresh_db, limiter=limiter)
    app_b = create_app(settings, database=fresh_db, limiter=limiter)
    with (
        TestClient(app_a, client=ATTACKER) as a,
        TestClient(app_b, client=ATTACKER) as b,
        TestClient(app_b, client=NEIGHBOUR) as other,
    ):
        assert _login(a, "wrong").status_code == 401
        assert _login(b, "wrong").status_code == 401
        blocked = _login(a, "pw-Long-1!")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert _login(b, "pw-Long-1!").status_code == 429
        assert _login(other, "pw-Long-1!").status_code == 303
        # Sign-in and survey links are counted apart.
        assert a.get(f"/s/{UNKNOWN}").status_code == 404
