"""The language of a page's text, as Azure's legacy OCR reports it when asked to detect it
(``language=unk``): one of that API's language codes, found by py3langid (langid.py's model,
restricted to those languages)."""

from __future__ import annotations

import functools
import threading
from typing import Any

from ocr_pdf.azure.legacy_ocr import LANGUAGES
from ocr_pdf.errors import MissingDependencyError

INSTALL_HINT = "pip install '.[serve]'"
# langid's codes for the legacy OCR languages it knows; the rest map below.
_LANGID = {code for code in LANGUAGES if "-" not in code and code != "unk"} - {"nb"}
_TO_AZURE = {"no": "nb", "zh": "zh-Hans"}
# Characters written differently in traditional and simplified Chinese (the common ones).
_TRADITIONAL = set("們這來國說時會個於與為對後開關學發體經當還點麼無種實現長動應")
_SIMPLIFIED = set("们这来国说时会个于与为对后开关学发体经当还点么无种实现长动应")
_lock = threading.Lock()


def require() -> None:
    """Raise MissingDependencyError unless language detection can run."""
    try:
        import py3langid  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            f"ocr-pdf serve needs py3langid to detect languages: {INSTALL_HINT}"
        ) from None


@functools.lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(sorted(_LANGID | set(_TO_AZURE) | {"sr"}))
    return identifier


def detect(text: str) -> str:
    """The legacy OCR language code of ``text``, or "unk" when it has no letters."""
    if not any(ch.isalpha() for ch in text):
        return "unk"
    with _lock:  # the model loads once (about 2 s); classify is not documented thread-safe
        code = str(_identifier().classify(text)[0])
    if code == "zh":
        traditional = sum(ch in _TRADITIONAL for ch in text)
        return "zh-Hant" if traditional > sum(ch in _SIMPLIFIED for ch in text) else "zh-Hans"
    if code == "sr":
        cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in text)
        return "sr-Cyrl" if cyrillic * 2 > sum(ch.isalpha() for ch in text) else "sr-Latn"
    return _TO_AZURE.get(code, code)
