"""How many bytes a PDF stream's data decodes to, found by decoding it piece by piece with a
ceiling, never holding the decoded data: the check that keeps a decompression bomb (kilobytes
that decode to gigabytes) away from PDFium and qpdf (stdlib only)."""

from __future__ import annotations

import base64
import binascii
import contextlib
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence

CHUNK = 1 << 16
"""Bytes decoded at a time: what a check holds in memory per filter."""

Filter = tuple[str, int]
"""A stream filter's name (``/FlateDecode``) and, for LZW, its EarlyChange parameter (1 when
the stream does not say)."""

_HEX_DIGITS = b"0123456789abcdefABCDEF"
_NOT_HEX = bytes(b for b in range(256) if b not in _HEX_DIGITS)
_WHITESPACE = b"\0\t\n\f\r "


def decoded_size(raw: bytes, filters: Sequence[Filter], limit: int) -> int | None:
    """The size of ``raw`` decoded through ``filters`` (the first is applied first), or None
    when it is more than ``limit`` bytes. Data a filter cannot decode ends where it breaks, as
    readers stop there; filters that are not ours to decode (image codecs, Crypt, unknown
    names) pass their input on as it is. Predictors are ignored: they never enlarge data."""
    chunks: Iterable[bytes] = (raw[i : i + CHUNK] for i in range(0, len(raw), CHUNK))
    for name, early_change in filters:
        decoder = _DECODERS.get(name)
        if decoder is not None:
            chunks = decoder(chunks, early_change)
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            return None
    return total


def _inflate(chunks: Iterable[bytes], _: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj()
    for data in chunks:
        while not inflater.eof:
            try:
                out = inflater.decompress(data, CHUNK)
            except zlib.error:
                return
            data = inflater.unconsumed_tail
            if out:
                yield out
            elif not data:
                break


def _lzw(chunks: Iterable[bytes], early_change: int) -> Iterator[bytes]:
    """LZW as PDF uses it: codes of 9 to 12 bits, most significant bit first, widening one
    code early unless EarlyChange is 0; 256 clears the table, 257 ends the data."""
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    width, previous = 9, b""
    bits = count = 0
    out = bytearray()
    for chunk in chunks:
        for byte in chunk:  # a code is 9 bits or more: a byte completes one code at most
            bits, count = (bits << 8) | byte, count + 8
            if count < width:
                continue
            count -= width
            code, bits = bits >> count, bits & ((1 << count) - 1)
            if code == 256:
                del table[258:]
                width, previous = 9, b""
                continue
            if code < len(table) and code != 257:
                entry = table[code]
            elif code == len(table) and previous:
                entry = previous + previous[:1]
            else:  # the end of the data, or a code that cannot be there (damaged data)
                yield bytes(out)
                return
            if previous and len(table) < 4096:
                table.append(previous + entry[:1])
            if len(table) + early_change >= 1 << width and width < 12:
                width += 1
            previous = entry
            out += entry
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
    yield bytes(out)


def _text(chunks: Iterable[bytes], end: bytes, drop: bytes) -> Iterator[bytes]:
    """The chunks of an ASCII encoding up to its end-of-data mark, without the bytes in
    ``drop`` (white space, or anything that is not a digit)."""
    for chunk in chunks:
        stop = chunk.find(end)
        yield (chunk if stop < 0 else chunk[:stop]).translate(None, drop)
        if stop >= 0:
            return


def _ascii_hex(chunks: Iterable[bytes], _: int) -> Iterator[bytes]:
    odd = b""
    for text in _text(chunks, b">", _NOT_HEX):
        digits = odd + text
        even = len(digits) // 2 * 2
        yield binascii.unhexlify(digits[:even])
        odd = digits[even:]
    if odd:
        yield binascii.unhexlify(odd + b"0")  # a last lone digit is followed by an implied 0


def _ascii85(chunks: Iterable[bytes], _: int) -> Iterator[bytes]:
    carry = b""
    for text in _text(chunks, b"~", _WHITESPACE):
        *whole, last = (carry + text).split(b"z")  # "z": four zero bytes, between groups
        complete = len(last) // 5 * 5
        try:
            for part in whole:
                yield base64.a85decode(part) + b"\0\0\0\0"
            yield base64.a85decode(last[:complete])
        except ValueError:
            return
        carry = last[complete:]
    if carry:
        with contextlib.suppress(ValueError):
            yield base64.a85decode(carry)  # a last partial group of n characters: n - 1 bytes


def _run_length(chunks: Iterable[bytes], _: int) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        data, i, out = pending + chunk, 0, bytearray()
        while i < len(data):
            length = data[i]
            if length == 128:  # end of data
                yield bytes(out)
                return
            need = length + 2 if length < 128 else 2
            if i + need > len(data):
                break
            out += data[i + 1 : i + need] if length < 128 else data[i + 1 : i + 2] * (257 - length)
            i += need
        pending = data[i:]
        yield bytes(out)


_DECODERS: dict[str, Callable[[Iterable[bytes], int], Iterator[bytes]]] = {
    "/FlateDecode": _inflate,
    "/Fl": _inflate,
    "/LZWDecode": _lzw,
    "/LZW": _lzw,
    "/ASCIIHexDecode": _ascii_hex,
    "/AHx": _ascii_hex,
    "/ASCII85Decode": _ascii85,
    "/A85": _ascii85,
    "/RunLengthDecode": _run_length,
    "/RL": _run_length,
}
