"""Page selections such as ``1-3,7`` (stdlib only)."""

from __future__ import annotations

from collections.abc import Iterable

from ocr_pdf.errors import BadArgumentsError

_END = 1 << 62  # "to the last page", whatever the count


def _ranges(spec: str) -> list[tuple[int, int]]:
    """(first, last) 1-based pairs of ``spec``; ``last`` is _END for ``5-`` or ``5-end``."""
    out = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        first_s, dash, last_s = part.partition("-")
        try:
            first = int(first_s) if first_s else 1
            if not dash:
                last = first
            elif last_s in ("", "end", "z"):
                last = _END
            else:
                last = int(last_s)
        except ValueError:
            raise BadArgumentsError(
                f"--pages {spec!r}: {part!r} is not a page or range (use e.g. 1-3,7 or 2-end)"
            ) from None
        if first < 1:
            raise BadArgumentsError(
                f"--pages {spec!r}: pages are numbered from 1 (the first page is 1, not 0)"
            )
        if last < first:
            raise BadArgumentsError(
                f"--pages {spec!r}: {part!r} ends before it starts (write {last}-{first})"
            )
        out.append((first, last))
    if not out:
        raise BadArgumentsError(f"--pages {spec!r} selects no page")
    return out


def check_page_spec(spec: str) -> None:
    """A BadArgumentsError unless ``spec`` is a well-formed selection (any page count)."""
    _ranges(spec)


def parse_pages(spec: str, page_count: int) -> list[int]:
    """0-based indexes, in page order without repeats, of a 1-based selection like ``1-3,7``,
    ``5-`` or ``5-end`` (page 5 to the end). Pages past the end are an error, so that a typo
    does not silently OCR nothing."""
    chosen: set[int] = set()
    for first, last in _ranges(spec):
        last = page_count if last == _END else last
        if max(first, last) > page_count:
            raise BadArgumentsError(f"--pages {spec!r}: the document has only {page_count} page(s)")
        chosen.update(range(first - 1, last))
    return sorted(chosen)


def page_ranges(numbers: tuple[int, ...]) -> str:
    """1, 2, 3, 5 as "1-3, 5"."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in (*numbers[1:], None):
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def selection(indexes: Iterable[int]) -> str:
    """0-based page indexes as the 1-based selection that names them (``1-3,7``)."""
    return page_ranges(tuple(i + 1 for i in sorted(set(indexes)))).replace(" ", "")
