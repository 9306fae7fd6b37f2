"""Checks shared by the parsers of JSON wire formats: every failure is our ServiceResponseError."""

from __future__ import annotations

import math
from typing import Any

from ocr_pdf.errors import ServiceResponseError
from ocr_pdf.models import Quad


class Malformed(ServiceResponseError):
    """A service's JSON did not have the shape its contract promises."""


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
