"""The rendering resolution: at how many dots per inch a page is rendered for its engine, decided
here and nowhere else, with the bounds a user's ``--dpi`` and ``--image-dpi`` keep and the
help text that says so (stdlib only)."""

from __future__ import annotations

from ocr_pdf.errors import BadArgumentsError

DPI_RANGE = (30.0, 1200.0)
"""Bounds on a resolution a user gives (``--dpi``, ``--image-dpi``)."""

NATIVE_DPI_RANGE = (150.0, 400.0)
"""Bounds on "the scan's own resolution": below, small print gets too few pixels; above, time
grows with no gain in accuracy."""

WITHOUT_IMAGES = 300.0
"""The resolution of a page that has no image of its own to take it from."""

SERVICE_DPI = 300.0
"""What the services' engines ask for (their ``render_dpi``): Azure reads print down to 8 pt
at 300 dpi, and a larger image costs upload time for nothing."""

HELP = (
    f"rendering resolution for OCR (default: {SERVICE_DPI:g} for Azure; the scan's own, within "
    f"{NATIVE_DPI_RANGE[0]:g} to {NATIVE_DPI_RANGE[1]:g}, for local engines)"
)
"""What ``--dpi`` says of itself."""


def choose_dpi(preferred: float | None, native: float | None) -> float:
    """An engine's ``preferred`` resolution when it names one (Azure: SERVICE_DPI), else the
    page's own image resolution (``native``) within NATIVE_DPI_RANGE (WITHOUT_IMAGES for a
    page without images)."""
    if preferred is not None and preferred > 0:
        return float(preferred)
    low, high = NATIVE_DPI_RANGE
    return min(max(native or WITHOUT_IMAGES, low), high)


def page_dpi(
    asked: float | None,
    preferred: float | None,
    native: float | None,
    saved: float | None = None,
) -> float:
    """The resolution a page is rendered at: the one it was read at before when its reading
    is replayed (``saved``: the same pixels again), else the user's (``asked``, ``--dpi``),
    else :func:`choose_dpi` of the engine's ``preferred`` one and the page's ``native`` one."""
    fixed = saved or asked
    return float(fixed) if fixed else choose_dpi(preferred, native)


def check_dpi(value: float | None, flag: str) -> None:
    """A BadArgumentsError unless ``value`` (given as ``flag``) is None or within DPI_RANGE."""
    low, high = DPI_RANGE
    if value is not None and not (low <= value <= high):
        raise BadArgumentsError(f"{flag} {value:g} is out of range ({low:g} to {high:g})")
