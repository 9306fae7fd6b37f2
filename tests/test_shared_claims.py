"""The shared page store's claims (a real redis-server): a page is read by one caller of the
whole cluster, however the others' looks and claims interleave with its put."""

from __future__ import annotations

import pytest

from ocr_pdf.models import Line, PageText, Word
from tests.cluster_support import REDIS_SERVER, redis_server

pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed"),
    pytest.mark.block_network(allowed_hosts=["127.0.0.1"]),
]

PAGE = PageText(100, 50, (Line((Word("read", ((1, 1), (9, 1), (9, 5), (1, 5)), 0.9),)),))


def test_a_page_put_between_a_look_and_a_claim_is_not_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Worker B looks (nothing cached), and before its claim worker A, which held the claim,
    puts the page and lets go: B's claim then succeeds, and must hand B the page, not the
    job of reading it (a Celery solo pool read a page twice so, paying for it twice)."""
    from ocr_pdf.shared_state.redis_store import RedisPages

    with redis_server() as url:
        a, b = RedisPages(url), RedisPages(url)
        looked = b.get

        def look_then_a_finishes(key: str) -> PageText | None:
            found = looked(key)
            if found is None:
                a.put(key, PAGE)  # A's put and release land right after B's look
            return found

        monkeypatch.setattr(b, "get", look_then_a_finishes)
        with b.claim("k") as cached:
            assert cached == PAGE


def test_the_claimant_reads_and_the_other_waits_for_its_page() -> None:
    from ocr_pdf.shared_state.redis_store import RedisPages

    with redis_server() as url:
        a, b = RedisPages(url), RedisPages(url)
        with a.claim("k") as cached:
            assert cached is None  # A is to read it
            a.put("k", PAGE)
        with b.claim("k") as cached:
            assert cached == PAGE
