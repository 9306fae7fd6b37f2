"""The engine contract: everything the pipeline asks of an OCR engine, with its defaults, and
the settings an engine is built from (stdlib and Pillow's Image type only)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image

from ocr_pdf.errors import ConfigurationError
from ocr_pdf.image.encoding import EncodedImage, ImageLimits
from ocr_pdf.models import PageText
from ocr_pdf.shared_state import Budget, OperationNotes

__all__ = [
    "Billed",
    "Engine",
    "EngineConfig",
    "OcrEngine",
    "OperationNotes",
    "PlainEngine",
    "Recognizer",
    "Replaying",
]


@dataclass(frozen=True)
class EngineConfig:
    """Settings an engine may use; each engine reads the ones it understands. Data only: what
    lives (the run's budget, a transport) is given to the engine beside them (:class:`Billed`).

    ``language`` is the user's ``-l`` value (None = the engine's default). ``timeout`` is in
    seconds per HTTP call. ``key`` is kept out of repr so that it never lands in a log.
    ``workers`` is how many pages the caller reads at once with the engine when it chose that
    itself (``-j``; None: the engine's ``default_jobs``): an engine that spreads one page over
    several cores can give each page the cores the other workers leave free (``local``). It is
    not in the fingerprint: it changes how fast an answer comes, not what it says."""

    language: str | None = None
    endpoint: str | None = None
    api_version: str | None = None
    model_version: str | None = None
    reading_order: str | None = None
    rate: str | None = None
    source: str | None = None  # a file of saved results (the replay engine's --ocr-json)
    timeout: float = 60.0
    key: str | None = field(default=None, repr=False)
    workers: int | None = None

    @classmethod
    def from_environment(cls, **overrides: object) -> EngineConfig:
        """Fill endpoint and key from AZURE_VISION_ENDPOINT / AZURE_VISION_KEY when not given;
        AZURE_VISION_KEY_FILE names a file holding the key instead (a container secret, say)."""
        values: dict[str, object] = {k: v for k, v in overrides.items() if v is not None}
        values.setdefault("endpoint", os.environ.get("AZURE_VISION_ENDPOINT") or None)
        values.setdefault("key", os.environ.get("AZURE_VISION_KEY") or _key_from_file())
        return cls(**values)  # type: ignore[arg-type]

    def fingerprint(self) -> str:
        """A digest of every setting that can change what an engine reads (language,
        endpoint, API and model version, reading order, source), for cache keys of engines
        that declare no ``cache_id`` of their own. Never the key; not timeout or rate, which
        change when an answer comes, not what it says."""
        settings = (
            self.language,
            self.endpoint,
            self.api_version,
            self.model_version,
            self.reading_order,
            self.source,
        )
        return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


def _key_from_file() -> str | None:
    path = os.environ.get("AZURE_VISION_KEY_FILE")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError as exc:
        raise ConfigurationError(
            f"AZURE_VISION_KEY_FILE {path}: cannot read it ({exc.strerror})"
        ) from None


@runtime_checkable
class Recognizer(Protocol):
    """The least an engine can be: a name and ``recognize``. Such an object is used through
    :class:`PlainEngine`, with every other part of the contract at its default."""

    name: str

    def recognize(self, image: Image.Image) -> PageText: ...


@runtime_checkable
class Billed(Protocol):
    """An engine whose service bills its calls (the Azure engines): the pipeline hands it the
    run's budget before the first page, and its transport charges one call of it before every
    request that sends a page (None: no limit)."""

    def bill_to(self, budget: Budget | None) -> None: ...


@runtime_checkable
class Replaying(Protocol):
    """An engine that answers with readings saved earlier (``replay``): how each page was read
    then, so that it is rendered (or sent as stored) exactly as it was. Only such an engine
    has these; the pipeline asks whether the engine is one."""

    def saved_dpi(self, index: int) -> float | None:
        """The resolution page ``index`` (0-based) was rendered at; None if it was not
        rendered (read from its scan's own image) or not saved."""
        ...

    def saved_as_image(self, index: int) -> bool | None:
        """Whether page ``index`` was read from its scan's own image (True) or rendered
        (False); None when nothing was saved for it."""
        ...


class Engine:
    """Base of every engine: the whole contract the pipeline relies on, with defaults (and two
    protocols only some engines have: :class:`Billed`, :class:`Replaying`).

    ``recognize`` gets a page image (Pillow, any size, usually 8-bit grayscale) and returns its
    words with quads in that image's pixels (origin top-left, y down). Engines know nothing
    about PDFs. It is called from several threads at once when ``default_jobs`` > 1.

    Attributes a subclass may override:

    - ``name``: what ``--engine`` calls it.
    - ``default_jobs``: pages read at once (network engines wait, CPU engines compete for
      cores).
    - ``render_dpi``: the resolution pages are rendered at for this engine; None means the
      scan's own resolution (:func:`ocr_pdf.reading.resolution.page_dpi` decides).
    - ``upright_only``: True when the engine reads only upright text; such an engine is
      wrapped in :class:`ocr_pdf.engines.orientation.OrientationCorrected`, which finds the
      quarter turn of sideways and upside-down pages.
    - ``cache_id``: identifies the engine and every setting that changes its results, for the
      OCR cache (never the key). The default is the class and the digest of its
      :class:`EngineConfig`, so engines that say nothing never share entries across settings.
    - ``calls``: billable service calls made so far (network engines).
    - ``requests_per_page``: service requests reading one page takes at least, the first of
      them billable: 0 offline, 1 for a synchronous service, 2 for submit-and-poll (the
      dry run's estimate).
    - ``accepts`` and ``recognize_encoded(image)``: engines that read encoded images (a
      service) say which they take as they are (formats, sizes, bytes); a scanned page whose
      own image fits is then sent as stored, with no render and no re-encoding.
    - ``recognize_resuming(image, notes)``: ``recognize_encoded`` for engines whose calls
      outlive the caller (submit, then poll): the operation is noted in ``notes`` once
      submitted, and one noted earlier is polled instead of submitting again.
    - ``review(text)``: a warning about a reading, if it looks wrong in a way the engine
      knows (the local model's junk for a script it was not trained on); said once a run.
    - ``close()``: release models, processes or connections."""

    name: str = ""
    default_jobs: int = 1
    render_dpi: float | None = None
    upright_only: bool = False
    requests_per_page: int = 0
    accepts: ImageLimits | None = None

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()

    def recognize(self, image: Image.Image) -> PageText:
        raise NotImplementedError

    def recognize_encoded(self, image: EncodedImage) -> PageText:
        """The words of an encoded image that ``accepts`` takes, in its pixels (``image.width``
        x ``image.height``, origin top-left, y down)."""
        raise NotImplementedError

    def recognize_resuming(self, image: EncodedImage, notes: OperationNotes) -> PageText:
        """``recognize_encoded``, picking up the operation ``notes`` holds for the page; the
        default, for engines that answer in the call that sends the page, ignores it."""
        return self.recognize_encoded(image)

    @property
    def cache_id(self) -> str:
        kind = type(self)
        return f"{kind.__module__}.{kind.__qualname__}|{self.config.fingerprint()}"

    @property
    def calls(self) -> int:
        return 0

    def review(self, text: PageText) -> str | None:
        """What looks wrong with ``text``, a reading of this engine's (cached or not), said as
        the end of a sentence about its page; None when nothing does."""
        return None

    def close(self) -> None:
        """Release what the engine holds; the default holds nothing."""


class PlainEngine(Engine):
    """An object with just ``name`` and ``recognize`` (a :class:`Recognizer`), used as an
    engine: every other part of the contract at its default, and its settings in its cache
    identity."""

    def __init__(self, recognizer: Recognizer, config: EngineConfig | None = None) -> None:
        super().__init__(config)
        self.recognizer = recognizer
        self.name = recognizer.name

    def recognize(self, image: Image.Image) -> PageText:
        return self.recognizer.recognize(image)

    @property
    def cache_id(self) -> str:
        kind = type(self.recognizer)
        return f"{kind.__module__}.{kind.__qualname__}|{self.config.fingerprint()}"


OcrEngine = Engine
"""The engine type the library's functions accept (kept for code written against 0.1)."""
