"""Page selections such as ``1-3,7`` (stdlib only)."""

from __future__ import annotations

from ocr_pdf.errors import BadArgumentsError


def parse_pages(spec: str, page_count: int) -> list[int]:
    """0-based indexes, in page order without repeats, of a 1-based selection like ``1-3,7``
    or ``5-`` (page 5 to the end). Pages past the end are an error, so that a typo does not
    silently OCR nothing."""
    chosen: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        first_s, dash, last_s = part.partition("-")
        try:
            first = int(first_s) if first_s else 1
            last = (int(last_s) if last_s else page_count) if dash else first
        except ValueError:
            raise BadArgumentsError(
                f"--pages {spec!r}: {part!r} is not a page or range (use e.g. 1-3,7)"
            ) from None
        if first < 1 or last < first:
            raise BadArgumentsError(f"--pages {spec!r}: {part!r} is not a valid range")
        if last > page_count:
            raise BadArgumentsError(f"--pages {spec!r}: the document has only {page_count} page(s)")
        chosen.update(range(first - 1, last))
    if not chosen:
        raise BadArgumentsError(f"--pages {spec!r} selects no page")
    return sorted(chosen)
