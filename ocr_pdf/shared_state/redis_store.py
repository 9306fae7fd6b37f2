"""redis: shared state for a cluster, every machine reaching one Redis. The connection, the OCR
cache that lets one worker at a time read a page (with the notes of operations in flight), the
budgets of billable calls, and the clock every machine reads with the pause after a 429 kept
beside it; :class:`RedisState` hands them out as the cluster's Backend."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

import redis

from ocr_pdf.errors import BadPageData, SharedStateError
from ocr_pdf.formats.pagejson import page_from_dict, page_to_dict
from ocr_pdf.models import PageText
from ocr_pdf.shared_state.limits import GcraLimiter, redis_state
from ocr_pdf.shared_state.protocols import NOTE_SECONDS, Rate, Sleep, spent

log = logging.getLogger(__name__)

PREFIX = "ocr-pdf:"
"""Every key of ours starts with this, so that one Redis can also be the broker (Celery's
keys are its own) and other applications' store."""

ENTRY_SECONDS = 30 * 86400
"""How long a page's result stays in the shared cache (30 days): long enough for any re-run,
redelivery or repair; set Redis's ``maxmemory-policy volatile-lru`` to let it drop the oldest
first when memory runs short."""

LEASE_MS = 15_000
"""How long a claim on a page lasts unless renewed: a killed worker's pages are free for
another within this time."""
RENEW_EVERY = 5.0
"""Seconds between renewals of the claims a live worker holds."""
WAIT_EVERY = 0.1
"""Seconds between looks at a page that another worker is reading."""

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()

_IF_OURS_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0"""
_IF_OURS_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"""
_CHARGE = """
local left = tonumber(redis.call('HGET', KEYS[1], 'left') or '0')
if left <= 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'left', -1)"""


def connection(url: str) -> redis.Redis:
    """This process's client for ``url`` (a pool of connections, safe across threads and
    after a fork)."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=10, socket_timeout=60, health_check_interval=30
            )
            _clients[url] = client
        return client


def where(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"


@contextmanager
def guarded(url: str) -> Iterator[None]:
    """Redis's failures as SharedStateError: without Redis no limit or budget can be kept."""
    try:
        yield
    except redis.RedisError as exc:
        raise SharedStateError(
            f"the cluster's Redis at {where(url)} (OCR_PDF_REDIS_URL) failed: {exc}"
        ) from None


class RedisPages:
    """The OCR cache of a cluster: one compressed JSON entry per page result, and one claim
    per page being read, so that a page is read by one worker at a time and paid for once.

    A claim lasts LEASE_MS and is renewed while its page is read; the others wait for the
    result. A worker killed mid-page leaves a claim that lapses, and the page is read again
    by whoever needs it next."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = connection(url)
        self._leases = _Leases(self.client)

    def get(self, key: str) -> PageText | None:
        with guarded(self.url):
            data = self.client.get(f"{PREFIX}page:{key}")
        if not isinstance(data, bytes):
            return None
        try:
            return page_from_dict(json.loads(zlib.decompress(data)))
        except (zlib.error, ValueError, BadPageData) as exc:
            log.warning("ignoring a damaged shared cache entry %s (%s)", key, exc)
            return None

    def put(self, key: str, page: PageText) -> None:
        data = zlib.compress(json.dumps(page_to_dict(page), ensure_ascii=False).encode())
        try:
            with self.client.pipeline() as both:
                both.set(f"{PREFIX}page:{key}", data, ex=ENTRY_SECONDS)
                both.delete(f"{PREFIX}operation:{key}")
                both.execute()
        except redis.RedisError as exc:  # as with a folder: costs a re-read later, no more
            log.warning("cannot write the shared OCR cache at %s (%s)", where(self.url), exc)

    def operation(self, key: str) -> str | None:
        with guarded(self.url):
            url = self.client.get(f"{PREFIX}operation:{key}")
        return url.decode() if isinstance(url, bytes) else None

    def note_operation(self, key: str, url: str) -> None:
        # Kept as long as the service keeps the result worth polling, then dropped by Redis.
        try:
            self.client.set(f"{PREFIX}operation:{key}", url, ex=NOTE_SECONDS)
        except redis.RedisError as exc:  # costs the page's price again if this worker dies
            log.warning("cannot note an operation at %s (%s)", where(self.url), exc)

    @contextmanager
    def claim(self, key: str) -> Iterator[PageText | None]:
        name, token = f"{PREFIX}claim:{key}", uuid.uuid4().hex
        while True:
            found = self.get(key)
            if found is not None:
                yield found
                return
            with guarded(self.url):
                if self.client.set(name, token, nx=True, px=LEASE_MS):
                    break
            time.sleep(WAIT_EVERY)
        self._leases.hold(name, token)
        try:
            # Looked at again now that the claim is ours: its last holder may have put the
            # page and let go between our look and our claim (read twice, paid twice).
            yield self.get(key)
        finally:
            self._leases.release(name, token)


class _Leases:
    """The claims this process holds, renewed every RENEW_EVERY seconds by one thread that
    runs while there are any."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._held: dict[str, str] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._renew = client.register_script(_IF_OURS_RENEW)
        self._delete = client.register_script(_IF_OURS_DELETE)

    def hold(self, name: str, token: str) -> None:
        with self._lock:
            self._held[name] = token
            # After a fork the parent's thread is gone (is_alive is False in the child).
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="leases")
                self._thread.start()

    def release(self, name: str, token: str) -> None:
        with self._lock:
            self._held.pop(name, None)
        with suppress(redis.RedisError):  # else it lapses on its own
            self._delete(keys=[name], args=[token])

    def _run(self) -> None:
        while True:
            time.sleep(RENEW_EVERY)
            with self._lock:
                held = dict(self._held)
                if not held:
                    self._thread = None
                    return
            for name, token in held.items():
                try:
                    self._renew(keys=[name], args=[token, LEASE_MS])
                except redis.RedisError as exc:
                    log.warning("cannot renew the claim on %s (%s)", name, exc)


class SharedBudget:
    """A budget of billable calls for a whole cluster run: one counter in Redis that every
    worker charges atomically (a :class:`ocr_pdf.shared_state.Budget`)."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.client = connection(url)
        self.key = f"{PREFIX}budget:{name}"
        self._charge = self.client.register_script(_CHARGE)
        with guarded(url):
            self._total = int(self.client.hget(self.key, "total") or 0)

    @classmethod
    def create(cls, url: str, name: str, total: int) -> SharedBudget:
        """The budget ``name`` with ``total`` calls; kept as it is if it exists (a
        redelivered task must not refill it)."""
        client = connection(url)
        key = f"{PREFIX}budget:{name}"
        with guarded(url):
            pipe = client.pipeline()
            pipe.hsetnx(key, "total", str(total))
            pipe.hsetnx(key, "left", str(total))
            pipe.expire(key, ENTRY_SECONDS)
            pipe.execute()
        return cls(url, name)

    @property
    def total(self) -> int:
        return self._total

    def charge(self) -> None:
        with guarded(self.url):
            left = int(self._charge(keys=[self.key]))
        if left < 0:
            raise spent(self._total, "cluster ")

    def remaining(self) -> int:
        with guarded(self.url):
            return max(0, int(self.client.hget(self.key, "left") or 0))


class EndpointClock:
    """Redis's clock, which every machine reads alike, and the pause every worker calling
    one endpoint keeps after a 429."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.client = connection(url)
        self.key = f"{PREFIX}pause:{name}"

    def now_and_pause(self) -> tuple[int, int]:
        """(Redis's time, milliseconds of pause left), in one round trip."""
        with guarded(self.url):
            pipe = self.client.pipeline(transaction=False)
            pipe.time()
            pipe.pttl(self.key)
            (seconds, micros), left = pipe.execute()
        return int(seconds) * 1000 + int(micros) // 1000, max(0, int(left))

    def pause(self, seconds: float) -> None:
        """Pause everyone for ``seconds`` from now, unless a longer pause is on."""
        ms = max(1, math.ceil(seconds * 1000))
        with guarded(self.url):
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self.key, 1, nx=True, px=ms)
            pipe.pexpire(self.key, ms, gt=True)
            pipe.execute()

    def slept(self, since: int, seconds: float) -> None:
        """Nothing to note: Redis's clock is the machines' own time, and it moved on."""


class RedisState:
    """The Backend of a cluster: every machine that sets the same Redis URL shares its OCR
    cache, its rate limit and 429 pauses per endpoint, and its budgets by name."""

    def __init__(self, url: str) -> None:
        self.url = url

    def pages(self) -> RedisPages:
        return RedisPages(self.url)

    def limiter(self, endpoint: str, rate: Rate | None, sleep: Sleep) -> GcraLimiter:
        """``rate`` across the cluster, or None for no rate; a 429's wait holds every caller
        of ``endpoint`` in the cluster either way."""
        name = hashlib.sha256(endpoint.encode()).hexdigest()[:16]
        clock = EndpointClock(self.url, name)
        state = None
        if rate is not None:
            state = redis_state(connection(self.url), f"{PREFIX}rate:{name}")
        return GcraLimiter(rate, clock, sleep, state, lambda: guarded(self.url))

    def budget(self, name: str, total: int | None = None) -> SharedBudget:
        if total is None:
            return SharedBudget(self.url, name)
        return SharedBudget.create(self.url, name, total)
