"""Which characters belong to Latin-script text, and which are written without spaces (stdlib).

The local engine reads Latin-script pages with a recognizer whose classifier keeps only these
characters (see :mod:`ocr_pdf.engines.int8`): the letters of every Latin alphabet, digits,
punctuation, and the symbols Latin text uses (currency, maths, arrows, bullets, check boxes)."""

from __future__ import annotations

import unicodedata

LATIN_RANGES = (
    (0x0020, 0x024F),  # Basic Latin, Latin-1, Latin Extended-A and -B
    (0x02B0, 0x02FF),  # spacing modifier letters (apostrophe, accents)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh)
    (0x2000, 0x206F),  # general punctuation (dashes, quotes, bullet, ellipsis)
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x20A0, 0x20CF),  # currency
    (0x2100, 0x214F),  # letterlike (™ ℃ №)
    (0x2150, 0x218F),  # number forms (⅓ Ⅻ)
    (0x2190, 0x2199),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
    (0x2460, 0x24FF),  # enclosed numbers (① ⑳)
    (0x25A0, 0x25FF),  # geometric shapes (■ □ ● ○)
    (0x2605, 0x2606),  # stars
    (0x2610, 0x2612),  # ballot boxes
    (0x2713, 0x2718),  # check and cross marks
)


def is_latin(ch: str) -> bool:
    """Whether ``ch`` is a character of Latin-script text (one code point)."""
    code = ord(ch)
    return any(low <= code <= high for low, high in LATIN_RANGES)


def foreign_letters(text: str) -> int:
    """How many letters and digits of ``text`` are of another script than Latin (punctuation
    and symbols do not count: the model reads Latin commas as CJK ones now and then)."""
    return sum(
        1 for ch in text if not is_latin(ch) and unicodedata.category(ch).startswith(("L", "N"))
    )


def unspaced(ch: str) -> bool:
    """Whether ``ch`` is of a script written without spaces between words (Chinese characters,
    Japanese kana): each such character is then a word of its own."""
    return unicodedata.name(ch, "").startswith(("CJK", "HIRAGANA", "KATAKANA"))


def unspaced_letters(text: str) -> int:
    """How many characters of ``text`` are of a script written without spaces (Chinese,
    Japanese), which the model reads."""
    return sum(1 for ch in text if unspaced(ch))
