"""Which characters belong to Latin-script text, which are written without spaces, and what a
page the local model could not read looks like (stdlib).

The local engine reads Latin-script pages with a recognizer whose classifier keeps only these
characters (see :mod:`ocr_pdf.engines.int8`): the letters of every Latin alphabet, digits,
punctuation, and the symbols Latin text uses (currency, maths, arrows, bullets, check boxes)."""

from __future__ import annotations

import unicodedata

from ocr_pdf.models import Line, PageText

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


def looks_unread(page: PageText) -> bool:
    """Whether a fifth of the lines read as fragments, with little confidence (two lines, or
    one of a foreign script's letters): every word of two letters or fewer, or mostly letters
    of neither Latin nor Chinese and Japanese script. That is what
    the model makes of a script it was not trained on (a Russian line comes out as ":" or ",",
    a Greek one as Greek-looking pieces), and never what it makes of text it reads."""
    lines = [ln for ln in page.lines if ln.words]
    if len(lines) < 2:
        return False

    def confidence(line: Line) -> float:
        return sum(w.confidence or 0.0 for w in line.words) / len(line.words)

    def guessed(line: Line) -> bool:
        # Letters of a script the model guesses at (a Greek line read as Greek-looking
        # fragments, "ζωτην", "ελυγ"): never what it makes of Latin or CJK text, so one such
        # line is enough.
        text = "".join(w.text for w in line.words)
        return confidence(line) < 0.9 and foreign_letters(text) > unspaced_letters(text)

    def short(line: Line) -> bool:
        # Short pieces (a Russian line read as ":" and ","). Text it reads comes with 0.97 and
        # more, short words included ("No. 5"). A line read with less than the engine's TEXT_SCORE
        # is not here at all (a Russian line often is not), so what is left is counted as it is.
        pieces = all(sum(ch.isalnum() for ch in w.text) <= 2 for w in line.words)
        return pieces and confidence(line) < 0.95

    foreign = sum(guessed(ln) for ln in lines)
    fragments = foreign + sum(short(ln) and not guessed(ln) for ln in lines)
    return fragments >= 0.2 * len(lines) and (fragments >= 2 or foreign >= 1)
