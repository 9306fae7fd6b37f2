"""What a word's text tells about its ink: how wide each character sets, whether a word is CJK
(set on a fixed pitch), and where to cut the text of a word an engine ran together with the
next."""

from __future__ import annotations

from ocr_pdf.models import is_cjk


def is_cjk_text(text: str) -> bool:
    """CJK characters and no Latin letters."""
    return any(is_cjk(c) for c in text) and not any(c.isascii() and c.isalpha() for c in text)


_NARROW = set("iljtfrI1!|.,:;'`\"()[]{}-")
_WIDE = set("mwMW@%")


def width(c: str) -> float:
    """A character's rough advance in ems, as proportional fonts set it."""
    if is_cjk(c):
        return 1.0
    if c in _NARROW:
        return 0.3
    if c in _WIDE:
        return 0.85
    if c.isupper():
        return 0.68
    if c.isdigit():
        return 0.55
    return 0.52


_CLOSING = set(",.;:!?)]}%'\u2019\u201d\u00bb")
_OPENING = set("([{\"'\u2018\u201c\u00ab$\u20ac\u00a3#")


def split_index(text: str, fraction: float) -> int | None:
    """Where to cut ``text`` so that its first part takes ``fraction`` of its width, preferring
    a change of case or of kind of character within one character of the estimate; None when
    a part would hold no letter or digit, start with closing punctuation or end with opening
    punctuation, or when the text is a number ("1,250" is one word, however wide its
    comma's gap)."""
    if all(c.isdigit() or c in ".,:/-" for c in text):
        return None
    best = _nearest_cut(text, fraction)
    for k in (best, best - 1, best + 1):
        if 0 < k < len(text) and _natural_break(text[k - 1], text[k]):
            best = k
            break
    return best if _may_part(text[:best], text[best:]) else None


def _nearest_cut(text: str, fraction: float) -> int:
    """The cut (1 at the least) after which the first part's width comes nearest to
    ``fraction`` of the text's."""
    widths = [width(c) for c in text]
    target = fraction * sum(widths)
    acc, best, best_err = 0.0, 1, float("inf")
    for k in range(1, len(text)):
        acc += widths[k - 1]
        if abs(acc - target) < best_err:
            best, best_err = k, abs(acc - target)
    return best


def _may_part(left: str, right: str) -> bool:
    """Both parts hold a letter or digit, the right does not start with closing punctuation
    and the left does not end with opening punctuation, and the left is not a word's capital
    initial before its lower-case rest (a serif W, V, F or P stands apart from the letter after
    it: "Winter" is no "W inter")."""
    if not any(c.isalnum() for c in left) or not any(c.isalnum() for c in right):
        return False
    if len(left) == 1 and left.isupper() and right[0].islower():
        return False
    return right[0] not in _CLOSING and left[-1] not in _OPENING


def _natural_break(before: str, after: str) -> bool:
    """A lower-case letter before a capital, a letter against a digit, or punctuation that
    ends a word before a letter."""
    if before.islower() and after.isupper():
        return True
    if before.isalpha() != after.isalpha() and before.isalnum() and after.isalnum():
        return True
    return before in ".,;:!?)" and after.isalpha()
