"""What the Azure wire formats share: checks for the parsers (every failure is our
MalformedResponseError) and geometry for the writers (stdlib only)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, TypeVar

from ocr_pdf.errors import MalformedResponseError
from ocr_pdf.geometry import dominant_angle, group_lines, rotate_quad
from ocr_pdf.models import Line, PageText, Quad, quad_bounds

Malformed = MalformedResponseError

_Parser = TypeVar("_Parser", bound=Callable[..., PageText])


def describing(what: str) -> Callable[[_Parser], _Parser]:
    """Decorate a parser so that its Malformed errors say which answer was not understood:
    ``unexpected Read result: readResults is missing or empty``."""

    def decorate(parse: _Parser) -> _Parser:
        @functools.wraps(parse)
        def wrapper(*args: Any, **kwargs: Any) -> PageText:
            try:
                return parse(*args, **kwargs)
            except Malformed as err:
                raise Malformed(f"unexpected {what}: {err}") from None

        return wrapper  # type: ignore[return-value]

    return decorate


def number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Malformed(f"{what} is not a number")
    return float(value)


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not an object")
    return value


def as_list(parent: dict[str, Any], key: str) -> list[Any]:
    """``parent[key]`` as a list; a missing key or null is an empty list."""
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{key} is not a list")
    return value


def text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"{what} is not a string")
    return value


def quad8(value: Any, what: str, sx: float = 1.0, sy: float = 1.0) -> Quad:
    """Eight numbers x1,y1..x4,y4 (clockwise from the text's own top-left), scaled by sx, sy."""
    if not isinstance(value, list) or len(value) != 8:
        raise Malformed(f"{what} is not 8 numbers")
    v = [number(n, what) for n in value]
    return (
        (v[0] * sx, v[1] * sy),
        (v[2] * sx, v[3] * sy),
        (v[4] * sx, v[5] * sy),
        (v[6] * sx, v[7] * sy),
    )


def confidence(value: Any) -> float | None:
    if value is None:
        return None
    c = number(value, "confidence")
    return min(max(c, 0.0), 1.0)


def first_page(result: dict[str, Any], key: str) -> dict[str, Any]:
    """The one page of an asynchronous API's result (``result[key][0]``)."""
    pages = as_list(result, key)
    if not pages:
        # One image sent is one page answered, blank or not: none means a broken result, and a
        # blank page in its place would lose the page.
        raise Malformed(f"{key} is missing or empty")
    return as_dict(pages[0], f"{key}[0]")


def scale_to(page: dict[str, Any], width: int, height: int) -> tuple[float, float]:
    """Factors from the units a page result measures in (its ``width`` and ``height``) to the
    pixels of the ``width`` x ``height`` image sent; 1 where it gives no size."""
    sx = width / number(page["width"], "width") if page.get("width") else 1.0
    sy = height / number(page["height"], "height") if page.get("height") else 1.0
    return sx, sy


def page_text(page: dict[str, Any], width: int, height: int, lines: list[Line]) -> PageText:
    """The reading of an asynchronous API's page: ``lines`` in reading order (see
    :func:`ocr_pdf.geometry.group_lines`), with the page's ``angle`` (degrees clockwise) and
    ``language`` when it gives them."""
    angle, language = page.get("angle"), page.get("language")
    return PageText(
        width,
        height,
        group_lines(lines),
        number(angle, "angle") if angle is not None else None,
        language if isinstance(language, str) else None,
    )


# -- writing ---------------------------------------------------------------------------------


def text_direction(page: PageText) -> float:
    """Clockwise degrees of the page's baselines (0: upright, 90: reads downwards)."""
    return dominant_angle(page.words) if page.words else 0.0


def line_quad(line: Line) -> Quad:
    """A line's quad: from its first word's left edge to its last word's right edge."""
    first, last = line.words[0].quad, line.words[-1].quad
    return (first[0], last[1], last[2], first[3])


def turned_bounds(
    quads: list[Quad], degrees: float, centre: tuple[float, float]
) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of ``quads`` once turned clockwise by ``degrees``."""
    xs: list[float] = []
    ys: list[float] = []
    for q in quads:
        x0, y0, x1, y1 = quad_bounds(rotate_quad(q, degrees, centre))
        xs += [x0, x1]
        ys += [y0, y1]
    return min(xs), min(ys), max(xs), max(ys)


def word_confidence(confidence: float | None) -> float:
    """A confidence as the APIs that carry one write it (1.0 when the engine gave none)."""
    return round(confidence if confidence is not None else 1.0, 3)
