"""A PDF file's object streams and cross-reference streams, found in its raw bytes before any
PDF library opens it, and how much they decode to: qpdf and PDFium decode them whole as they
open a file (2 GB for a 2 KB object stream of 1 GiB), so they cannot be checked after
(stdlib only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ocr_pdf.pdf import streams

_READ = 1 << 20  # bytes read at a time
_AROUND = 1 << 16  # longer than any real stream dictionary
_SPACE = rb"[\0\t\n\f\r ]"
_HEADER = re.compile(rb"(\d+)" + _SPACE + rb"+(\d+)" + _SPACE + rb"+obj")
_REFERENCE = re.compile(rb"(\d+)" + _SPACE + rb"+R(?![^\0\t\n\f\r ()<>\[\]{}/%])")
_END_OF_LINE = re.compile(rb"[\r\n]")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_WHITESPACE = b"\0\t\n\f\r "
_DELIMITERS = b"()<>[]{}/%"
_STRUCTURE = ("/ObjStm", "/XRef")

Value = object
"""A parsed PDF value: int, float, str (a name such as "/Type", or true, false, null), bytes (a
string), list, dict, or a reference as a (number, generation) tuple."""


def structure_size(path: Path, limit: int) -> int | None:
    """Bytes the object streams and cross-reference streams of the file at ``path`` decode to
    in all, or None when more than ``limit``. Each ``N G obj`` is read as a PDF reader reads
    it (names unescaped, white space and comments skipped); a stream's data runs to the first
    ``endstream`` after its /Length, the longer of the two, as qpdf reads it when /Length is
    wrong."""
    total = 0
    with path.open("rb") as f:
        for info, data_at in _structure_streams(f):
            size = streams.decoded_size(_data(f, data_at, info), _filters(info), limit - total)
            if size is None:
                return None
            total += size
    return total


def _structure_streams(f: BinaryIO) -> list[tuple[dict[str, Value], int]]:
    """(dictionary, offset of the data) of each object or cross-reference stream in the file,
    read a megabyte at a time. Every object's dictionary is read: a faster look for the names
    could be fooled (a string holding "stream", a name written with # escapes)."""
    found = []
    offset = 0
    while True:
        f.seek(offset)
        window = f.read(_READ + _AROUND)
        last = len(window) <= _READ
        for start in _headers(window):
            if start >= _READ and not last:
                break  # the next window starts here
            parsed = _stream(window, start, offset, f)
            if parsed is not None and parsed[0].get("/Type") in _STRUCTURE:
                found.append(parsed)
        if last:
            return found
        offset += _READ


def _headers(window: bytes) -> Iterator[int]:
    """Where each ``N G obj`` in ``window`` starts: found from its ``obj`` (a fast search),
    then back over the two numbers and any white space before them."""
    at = window.find(b"obj")
    while at >= 0:
        i = _back(window, at, _WHITESPACE)
        i = _back(window, i, b"0123456789")
        i = _back(window, i, _WHITESPACE)
        i = _back(window, i, b"0123456789")
        if i >= 0 and (i == 0 or window[i - 1] in _WHITESPACE or window[i - 1] in _DELIMITERS):
            yield i
        at = window.find(b"obj", at + 3)


def _back(window: bytes, i: int, allowed: bytes) -> int:
    """Where a run of bytes of ``allowed`` ending before ``i`` starts (-1 when there is none,
    or ``i`` is -1)."""
    start = i
    while start > 0 and window[start - 1] in allowed:
        start -= 1
    return start if 0 <= start < i else -1


def _stream(
    window: bytes, start: int, offset: int, f: BinaryIO
) -> tuple[dict[str, Value], int] | None:
    """The dictionary of the stream object whose header is at ``window[start]`` (``window``
    read at ``offset`` of ``f``, which is read again for a dictionary running past it), and
    the offset of its data; None when it is no stream."""
    text, base = window, offset
    header = _HEADER.match(text, start)
    if header is None or not text.startswith(b"<<", _skip(text, header.end())):
        return None  # not a dictionary: no stream
    i = header.end()
    for more in (0, 1 << 26):  # a dictionary of 64 MB is no real one
        if more:
            f.seek(offset + start)
            text, base, i = f.read(more), offset + start, header.end() - start
        try:
            info, i = _value(text, _skip(text, i), 0)
            break
        except IndexError:
            continue  # ran out of text
        except ValueError:
            return None
    else:
        return None
    i = _skip(text, i)
    if not isinstance(info, dict) or not text.startswith(b"stream", i):
        return None
    i += len(b"stream")
    i += 2 if text.startswith(b"\r\n", i) else 1
    return info, base + i


def _data(f: BinaryIO, at: int, info: dict[str, Value]) -> bytes:
    declared = info.get("/Length")
    length = declared if isinstance(declared, int) and declared >= 0 else 0
    f.seek(at)
    data = bytearray()
    while chunk := f.read(_READ):
        searched = max(length, len(data) - len(b"endstream"))
        data += chunk
        end = data.find(b"endstream", searched)
        if end >= 0:
            return bytes(data[:end])
    return bytes(data)


def _filters(info: dict[str, Value]) -> list[streams.Filter]:
    names = info.get("/Filter")
    names = names if isinstance(names, list) else [names]
    params = info.get("/DecodeParms")
    params = params if isinstance(params, list) else [params] * len(names)
    filters = []
    for name, parms in zip(names, params + [None] * len(names), strict=False):  # short parms
        early = parms.get("/EarlyChange", 1) if isinstance(parms, dict) else 1
        if isinstance(name, str):
            filters.append((name, early if isinstance(early, int) else 1))
    return filters


def _skip(text: bytes, i: int) -> int:
    """Past white space and comments."""
    while i < len(text):
        if text[i] in _WHITESPACE:
            i += 1
        elif text[i] == ord("%"):
            end = _END_OF_LINE.search(text, i)
            i = end.end() if end else len(text)
        else:
            break
    return i


def _value(text: bytes, i: int, depth: int) -> tuple[Value, int]:
    """The value at ``text[i]`` and the offset after it (a ValueError if there is none)."""
    if depth > 64:
        raise ValueError("nested too deep")
    if text.startswith(b"<<", i):
        return _dictionary(text, i + 2, depth)
    char = text[i : i + 1]
    if char == b"[":
        items: list[Value] = []
        i = _skip(text, i + 1)
        while text[i : i + 1] != b"]":
            item, i = _item(text, i, depth)
            items.append(item)
            i = _skip(text, i)
        return items, i + 1
    if char == b"/":
        end = _token_end(text, i + 1)
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text[i + 1 : end])
        return "/" + raw.decode("latin-1"), end
    if char == b"(":
        return _string(text, i + 1)
    if char == b"<":
        end = text.index(b">", i)
        return text[i + 1 : end], end + 1
    end = _token_end(text, i)
    token = text[i:end]
    if not token:
        raise ValueError("no value here")
    try:
        return (float(token) if b"." in token else int(token)), end
    except ValueError:
        return token.decode("latin-1"), end  # true, false, null


def _item(text: bytes, i: int, depth: int) -> tuple[Value, int]:
    """A value that may be a reference (``12 0 R``): an array item or a dictionary value."""
    value, end = _value(text, i, depth + 1)
    if isinstance(value, int):
        reference = _REFERENCE.match(text, _skip(text, end))
        if reference is not None:
            return (value, int(reference.group(1))), reference.end()
    return value, end


def _dictionary(text: bytes, i: int, depth: int) -> tuple[dict[str, Value], int]:
    entries: dict[str, Value] = {}
    i = _skip(text, i)
    while not text.startswith(b">>", i):
        key, i = _value(text, i, depth + 1)
        if not isinstance(key, str) or not key.startswith("/"):
            raise ValueError("a dictionary key that is not a name")
        entries[key], i = _item(text, _skip(text, i), depth)
        i = _skip(text, i)
    return entries, i + 2


def _string(text: bytes, i: int) -> tuple[bytes, int]:
    """A literal string's raw bytes (escapes as written), from after its ``(``."""
    level, start = 1, i
    while level:
        char = text[i]
        if char == ord("\\"):
            i += 1
        elif char == ord("("):
            level += 1
        elif char == ord(")"):
            level -= 1
        i += 1
    return text[start : i - 1], i


def _token_end(text: bytes, i: int) -> int:
    while i < len(text) and text[i] not in _WHITESPACE and text[i] not in _DELIMITERS:
        i += 1
    return i
