"""One polite HTTP client for every service: rate limit, retries with backoff, cache, log.

requests does the HTTP; urllib3's own Retry is not used because the services need decisions
it cannot make (police.uk's 503 means "too many crimes" as well as "down", ArcGIS reports
errors in a 200 body), so the retry loop here is small and explicit. Every attempt is logged
for fetch.json.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from wardmap import __version__
from wardmap.errors import WardmapError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"wardmap/{__version__} (ward hotspot maps; python-requests)"


class FetchError(WardmapError):
    """A service refused, failed or answered something unreadable: one line saying what."""


class RateLimiter:
    """Token bucket: on average `rate` requests a second, never more than `burst` at once.

    police.uk allows 15 a second with bursts of 30 (a leaky bucket); staying under both keeps
    clear of HTTP 429 even with other users of the same address.

    Examples
    --------
    >>> limiter = RateLimiter(rate=15, burst=5)
    >>> limiter.wait()
    """

    def __init__(self, rate: float = 15.0, burst: int = 10,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise WardmapError("fetch rate must be above 0 and burst at least 1")
        self.rate, self.burst = float(rate), int(burst)
        self.clock, self.sleep = clock, sleep
        self.tokens, self.last = float(burst), clock()
        self._lock = threading.Lock()  # threads fetching months at once share one budget

    def wait(self) -> None:
        """Take one token, sleeping until one is there."""
        with self._lock:
            self._take()

    def _take(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            self.sleep((1 - self.tokens) / self.rate)
            self.tokens, self.last = 0.0, self.clock()
        else:
            self.tokens -= 1


@dataclass
class Answer:
    """A final HTTP answer and its log entry (fetch.json's "requests" list)."""

    status: int
    body: bytes
    entry: dict[str, Any]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            first = self.body[:120].decode("utf-8", "replace").replace("\n", " ")
            raise FetchError(f"{self.entry['url']}: answer is not JSON (HTTP {self.status}, "
                             f"starts {first!r})") from None


class Client:
    """GET and POST with rate limiting per host, retries, a response cache and a request log.

    Parameters
    ----------
    cache : folder for answers (HTTP 200 only), or None for no cache.
    refresh : ignore cached answers (they are replaced).
    rate, burst : requests a second per host, and the most sent at once.
    retries : further tries after a timeout, a dropped connection or a status in ``retry_on``.
    backoff : seconds before the first retry; doubled for each further one.
    timeout : seconds to wait for an answer.

    Examples
    --------
    >>> client = Client(cache=None, rate=15, burst=10)
    >>> client.log
    []
    """

    def __init__(self, *, cache: Path | None = None, refresh: bool = False, rate: float = 15.0,
                 burst: int = 10, retries: int = 5, backoff: float = 1.0,
                 timeout: float = 60.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cache, self.refresh = cache, refresh
        self.rate, self.burst = rate, burst
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.sleep = sleep
        self.log: list[dict[str, Any]] = []
        self._local = threading.local()  # a session and a log tag per thread
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()
        RateLimiter(rate, burst)  # validates the settings now, not at the first request
        if retries < 0 or backoff < 0 or timeout <= 0:
            raise WardmapError("fetch retries and backoff must be 0 or more, timeout above 0")

    def request(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                data: dict[str, Any] | None = None, service: str = "the service",
                retry_on: frozenset[int] = RETRY_STATUSES, use_cache: bool = True) -> Answer:
        """The answer to one request, after retries; statuses not in ``retry_on`` are returned
        for the caller to judge. Raises FetchError when every try failed."""
        full = _full_url(method, url, params)
        key = _cache_key(method, full, data)
        if use_cache and not self.refresh and (cached := self._cached(key)):
            return cached
        for attempt in range(self.retries + 1):
            self._limiter(url).wait()
            entry = _entry(service, method, full, data, getattr(self._local, "tag", None))
            start = time.perf_counter()
            try:
                response = self._session().request(method, url, params=params, data=data,
                                                timeout=self.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                entry.update(status=None, error=type(exc).__name__,
                             seconds=round(time.perf_counter() - start, 3))
                self.log.append(entry)
                if attempt == self.retries:
                    raise FetchError(f"{service} did not answer {_short(full)} after "
                                     f"{attempt + 1} tries ({type(exc).__name__}): "
                                     f"{_down_hint(service)}") from None
                self.sleep(self._delay(attempt, None))
                continue
            body = response.content
            entry.update(status=response.status_code, seconds=round(time.perf_counter() -
                         start, 3), bytes=len(body), sha256=hashlib.sha256(body).hexdigest())
            self.log.append(entry)
            if response.status_code in retry_on:
                if attempt == self.retries:
                    raise FetchError(f"{service} answered HTTP {response.status_code} to "
                                     f"{_short(full)} {attempt + 1} times: "
                                     f"{_down_hint(service)}")
                self.sleep(self._delay(attempt, response.headers.get("Retry-After")))
                continue
            answer = Answer(response.status_code, body, entry)
            if use_cache and response.status_code == 200:
                self._store(key, answer)
            return answer
        raise AssertionError("unreachable")  # the loop returns or raises

    @contextmanager
    def tagged(self, tag: str) -> Iterator[None]:
        """Mark this thread's requests (e.g. with the month they fetch) in the log."""
        self._local.tag = tag
        try:
            yield
        finally:
            self._local.tag = None

    def entries(self, tag: str) -> list[dict[str, Any]]:
        """The log entries of requests made under ``tagged(tag)``."""
        return [e for e in list(self.log) if e.get("tag") == tag]

    def _session(self) -> requests.Session:
        # requests does not promise a Session is safe to share between threads: one each.
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers["User-Agent"] = USER_AGENT
        return self._local.session

    def _limiter(self, url: str) -> RateLimiter:
        host = urlsplit(url).netloc
        with self._lock:
            if host not in self._limiters:
                self._limiters[host] = RateLimiter(self.rate, self.burst, sleep=self.sleep)
            return self._limiters[host]

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        """Exponential backoff with jitter (so clients that failed together retry apart);
        a server's Retry-After (seconds) is honoured up to a minute."""
        delay = self.backoff * (2 ** attempt) * random.uniform(0.5, 1.0)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        return delay

    def _cached(self, key: str) -> Answer | None:
        if self.cache is None:
            return None
        meta, body = self.cache / f"{key}.json", self.cache / f"{key}.body"
        if not (meta.is_file() and body.is_file()):
            return None
        entry = {**json.loads(meta.read_text(encoding="utf-8")), "from_cache": True,
                 "tag": getattr(self._local, "tag", None)}
        self.log.append(entry)
        return Answer(int(entry["status"]), body.read_bytes(), entry)

    def _store(self, key: str, answer: Answer) -> None:
        if self.cache is None:
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        write_atomic(self.cache / f"{key}.body", answer.body)
        write_atomic(self.cache / f"{key}.json",
                     json.dumps(answer.entry, indent=1).encode("utf-8"))


def _full_url(method: str, url: str, params: dict[str, Any] | None) -> str:
    try:
        return requests.Request(method, url, params=params).prepare().url or url
    except requests.RequestException:
        raise FetchError(f"not a web address wardmap can use: {url!r} (give the root with "
                         "http:// or https://)") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _entry(service: str, method: str, url: str, data: dict[str, Any] | None,
           tag: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"service": service, "method": method, "url": url,
                             "time": datetime.now(UTC).isoformat(timespec="seconds")}
    if tag:
        entry["tag"] = tag
    if data:
        entry["form"] = {k: _shorten(str(v)) for k, v in data.items()}
    return entry


def _shorten(value: str) -> str:
    if len(value) <= 300:
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return f"{value[:120]}… ({len(value)} characters, sha256 {digest})"


def _cache_key(method: str, url: str, data: dict[str, Any] | None) -> str:
    text = json.dumps([method, url, sorted((data or {}).items())], default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _short(url: str) -> str:
    return url if len(url) <= 160 else f"{url[:150]}…"


def _down_hint(service: str) -> str:
    return (f"{service} may be down or overloaded; try again later (what was fetched is kept "
            "and a rerun resumes), or point wardmap at a mirror with --police-url, --ons-url "
            "or --nomis-url")
