"""The decompression-bomb check's decoders agree with qpdf on how much any chain of PDF filters
decodes to, and stop at their ceiling without holding the data; object and cross-reference
streams are found in a file's raw bytes however they are written."""

from __future__ import annotations

import base64
import binascii
import random
import tracemalloc
import zlib
from pathlib import Path

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pikepdf import Array, Name

from ocr_pdf.pdf import raw
from ocr_pdf.pdf.streams import decoded_size
from tests import hostile


def lzw(data: bytes, early_change: int = 1) -> bytes:
    """An LZW encoder as PDF's LZWDecode reads it (codes 9 to 12 bits, MSB first)."""
    table = {bytes([i]): i for i in range(256)}
    width, bits, count, out = 9, 0, 0, bytearray()

    def put(code: int) -> None:
        nonlocal bits, count
        bits, count = (bits << width) | code, count + width
        while count >= 8:
            count -= 8
            out.append((bits >> count) & 0xFF)
        bits &= (1 << count) - 1

    put(256)
    word = b""
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        put(table[word])
        word = bytes([byte])
        if len(table) + 2 == 4000:  # well before 4096 entries: start a new table
            put(256)
            table, width = {bytes([i]): i for i in range(256)}, 9
            continue
        table[candidate] = len(table) + 2  # 256 and 257 are taken
        # The reader adds each entry one code later than we do, then widens its codes.
        if len(table) + 1 + early_change >= 1 << width:
            width += 1
    if word:
        put(table[word])
    put(257)
    if count:
        out.append((bits << (8 - count)) & 0xFF)
    return bytes(out)


def run_length(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and run < 128 and data[i + run] == data[i]:
            run += 1
        if run > 1:
            out += bytes([257 - run, data[i]])
        else:
            out += bytes([0, data[i]])
        i += run
    return bytes(out + b"\x80")


ENCODERS = {
    "/FlateDecode": lambda d: zlib.compress(d, 6),
    "/LZWDecode": lzw,
    "/ASCIIHexDecode": lambda d: binascii.hexlify(d) + b">",
    "/ASCII85Decode": lambda d: base64.a85encode(d) + b"~>",
    "/RunLengthDecode": run_length,
}


def qpdf_size(raw: bytes, filters: list[str]) -> int:
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, raw)
    stream.Filter = Array([Name(f) for f in filters])
    return len(stream.read_bytes(pikepdf.StreamDecodeLevel.specialized))


@settings(max_examples=60, deadline=None)
@given(
    st.binary(min_size=1, max_size=3000)
    | st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=8), st.integers(1, 900)),
    st.lists(st.sampled_from(sorted(ENCODERS)), min_size=1, max_size=3),
)
def test_every_filter_chain_decodes_to_what_qpdf_says(data: bytes, chain: list[str]) -> None:
    raw = data
    for name in chain:
        raw = ENCODERS[name](raw)
    filters = list(reversed(chain))  # the last applied is decoded first
    expected = qpdf_size(raw, filters)
    assert expected == len(data)
    assert decoded_size(raw, [(f, 1) for f in filters], 10**9) == expected


@pytest.mark.slow
def test_a_bomb_is_stopped_at_the_ceiling_without_holding_it() -> None:
    inflater = zlib.compressobj(9)
    once = b"".join(inflater.compress(b"\0" * (1 << 20)) for _ in range(1024)) + inflater.flush()
    bomb = zlib.compress(once, 9)  # 1 GiB in about 1.8 KB
    assert len(bomb) < 2500
    flate = ("/FlateDecode", 1)
    tracemalloc.start()
    try:
        assert decoded_size(bomb, [flate, flate], 100_000_000) is None
        assert decoded_size(bomb, [flate], 100_000_000) == len(once)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000, peak


def test_lzw_without_early_change_and_damaged_data() -> None:
    data = bytes(range(256)) * 40 + random.Random(7).randbytes(30000)
    for early_change in (0, 1):
        pdf = pikepdf.new()
        stream = pikepdf.Stream(pdf, lzw(data, early_change))
        stream.Filter, stream.DecodeParms = (
            Name.LZWDecode,
            pikepdf.Dictionary(EarlyChange=early_change),
        )
        assert stream.read_bytes() == data  # the encoder is right, by qpdf
    assert decoded_size(lzw(data, 0), [("/LZWDecode", 0)], 10**6) == len(data)
    assert decoded_size(lzw(data), [("/LZWDecode", 1)], 10**6) == len(data)
    # Damaged data decodes as far as it goes, as readers do: never more than the whole.
    for cut in (b"\xff" * 8, b""):
        size = decoded_size(lzw(data)[:300] + cut, [("/LZWDecode", 1)], 10**6)
        assert size is not None and 0 < size < len(data)
    broken = zlib.compress(data)[:-20]
    size = decoded_size(broken, [("/FlateDecode", 1)], 10**6)
    assert size is not None and size <= len(data)


@pytest.mark.parametrize(
    "disguise",
    [
        b"",
        b"/Note (a string holding endstream and 1 0 obj and stream)",
        b"% a comment holding stream\n/Padding <" + b"00" * 40_000 + b">",
        b"/Nested << /Deeper [1 0 R (x) <41> /Name] >>",
    ],
)
@pytest.mark.slow
def test_object_streams_are_found_however_they_are_written(disguise: bytes, tmp_path: Path) -> None:
    """qpdf reads all of these as the object stream they are: so does the check, before it."""
    path = tmp_path / "bomb.pdf"
    path.write_bytes(hostile.object_stream_bomb_pdf(disguise))
    assert raw.structure_size(path, 500_000_000) is None
    size = raw.structure_size(path, 2 << 30)  # the object stream and the 42-byte xref
    assert size is not None and (1 << 30) - (4 << 20) < size < (1 << 30) + 100


def test_a_stream_length_past_a_false_endstream_is_followed(tmp_path: Path) -> None:
    # Stored (level 0), the outer Flate layer shows its data as it is: a bomb, then bytes that
    # read "endstream" (ignored after the end of the inner Flate data) before /Length ends.
    hidden = zlib.compress(hostile.bomb(200_000_000) + b"endstream and more", 0)
    assert b"endstream" in hidden
    pdf = (
        b"%PDF-1.5\n1 0 obj\n<< /Type /XRef /Filter [/FlateDecode /FlateDecode /FlateDecode] "
        b"/Length " + str(len(hidden)).encode() + b" >>\nstream\n" + hidden
        + b"\nendstream\nendobj\n"
    )  # fmt: skip
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    assert raw.structure_size(path, 100_000_000) is None


def test_ordinary_files_have_small_structures(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    for _ in range(50):
        pdf.add_blank_page()
    path = tmp_path / "plain.pdf"
    pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    size = raw.structure_size(path, 500_000_000)
    assert size is not None and 0 < size < 100_000
    pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    assert raw.structure_size(path, 500_000_000) == 0
