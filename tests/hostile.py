"""Hostile and unusual input PDFs, generated: bilevel scans in CCITT G4 and JBIG2, a document
with forms, annotations, links, bookmarks and metadata, a signed one, a PDF/A one, a broken
cross-reference table, no pages at all, compressed XMP, decompression bombs. Each is built with
pikepdf (or by hand) from first principles, so the tests need no binary fixtures."""

from __future__ import annotations

import functools
import io
import re
import struct
import zlib
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image, ImageDraw, ImageFont, TiffImagePlugin

WORDS = ("INVOICE", "NUMBER", "4711")
DPI = 200


def bilevel_scan() -> Image.Image:
    """A 1-bit page image (6 x 2 inches at 200 dpi) with large, clean words."""
    image = Image.new("1", (6 * DPI, 2 * DPI), 1)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("DejaVuSans.ttf", 64)
    draw.text((60, 140), " ".join(WORDS), fill=0, font=font)
    return image


def g4_bytes(image: Image.Image) -> bytes:
    """The image's CCITT Group 4 data (one strip), coded so that black runs are black ink."""
    buf = io.BytesIO()
    # libtiff codes the bits as they are, and Pillow stores mode "1" with 1 = white: invert so
    # that the fax coding's black runs are the ink.
    inverted = Image.eval(image.convert("L"), lambda v: 255 - v).convert("1")
    inverted.save(buf, "TIFF", compression="group4")
    tiff = Image.open(io.BytesIO(buf.getvalue()))
    assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
    (offset,), (length,) = tiff.tag_v2[273], tiff.tag_v2[279]
    return buf.getvalue()[offset : offset + length]


def _page_with_image(pdf: pikepdf.Pdf, image: pikepdf.Stream, width: int, height: int) -> None:
    w, h = width * 72 / DPI, height * 72 / DPI
    content = f"q {w:g} 0 0 {h:g} 0 0 cm /Im0 Do Q\n".encode()
    page = pikepdf.Page(
        Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, w, h]),
            Resources=Dictionary(XObject=Dictionary(Im0=image)),
            Contents=pikepdf.Stream(pdf, content),
        )
    )
    pdf.pages.append(page)


def ccitt_pdf() -> bytes:
    image = bilevel_scan()
    data = g4_bytes(image)
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, data)
    stream.Type, stream.Subtype = Name.XObject, Name.Image
    stream.Width, stream.Height = image.width, image.height
    stream.ColorSpace, stream.BitsPerComponent = Name.DeviceGray, 1
    stream.Filter = Name.CCITTFaxDecode
    stream.DecodeParms = Dictionary(K=-1, Columns=image.width, Rows=image.height, BlackIs1=False)
    _page_with_image(pdf, stream, image.width, image.height)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _segment(number: int, kind: int, data: bytes) -> bytes:
    """A JBIG2 segment header (page 1, no referred-to segments) followed by its data."""
    return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data


def jbig2_pdf() -> bytes:
    """A page whose image is JBIG2 (embedded stream: page information, one immediate generic
    region coded with MMR, which is the T.6 coding Group 4 fax uses; a PDF holds no
    end-of-page segment)."""
    image = bilevel_scan()
    data = g4_bytes(image)
    w, h = image.size
    page_info = struct.pack(">IIIIBH", w, h, 0, 0, 0, 0)
    region = struct.pack(">IIIIB", w, h, 0, 0, 0) + bytes([0x01]) + data
    stream_data = _segment(0, 48, page_info) + _segment(1, 38, region)
    pdf = pikepdf.new()
    stream = pikepdf.Stream(pdf, stream_data)
    stream.Type, stream.Subtype = Name.XObject, Name.Image
    stream.Width, stream.Height = w, h
    stream.ColorSpace, stream.BitsPerComponent = Name.DeviceGray, 1
    stream.Filter = Name.JBIG2Decode
    _page_with_image(pdf, stream, w, h)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _save(pdf: pikepdf.Pdf, **kwargs: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def rich_pdf(scan: bytes) -> bytes:
    """``scan`` (two pages or more) with what a document-management system keeps: a filled
    form field, a sticky note, a link to a web page and one to page 2, bookmarks, an info
    dictionary and XMP metadata, page labels and an attached file."""
    pdf = pikepdf.open(io.BytesIO(scan))
    first, second = pdf.pages[0], pdf.pages[1]
    field = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Tx,
            T=String("customer"),
            V=String("ACME Corp"),
            Rect=Array([20, 20, 160, 40]),
            F=4,
            P=first.obj,
        )
    )
    note = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Text,
        Rect=Array([200, 20, 220, 40]),
        Contents=String("checked by Anna"),
    )
    web = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=Array([20, 60, 120, 80]),
        Border=Array([0, 0, 0]),
        A=Dictionary(S=Name.URI, URI=String("https://example.org/invoice/4711")),
    )
    jump = Dictionary(
        Type=Name.Annot,
        Subtype=Name.Link,
        Rect=Array([130, 60, 200, 80]),
        Dest=Array([second.obj, Name.Fit]),
    )
    first.obj.Annots = pdf.make_indirect(Array([field, note, web, jump]))
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), NeedAppearances=True)
    with pdf.open_outline() as outline:
        chapter = pikepdf.OutlineItem("Chapter 1", 0)
        chapter.children.append(pikepdf.OutlineItem("Section 1.1", 1))
        outline.root.append(chapter)
    pdf.docinfo[Name.Title] = String("Invoice 4711")
    pdf.docinfo[Name.Author] = String("Scanner 3000")
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = "Invoice 4711"
        meta["dc:creator"] = ["Scanner 3000"]
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.r)]))
    pdf.attachments["terms.txt"] = pikepdf.AttachedFileSpec(pdf, b"Pay within 30 days.")
    return _save(pdf)


def signed_pdf(scan: bytes) -> bytes:
    """``scan`` with a filled signature field, as a signing tool leaves it. The signature
    value is a placeholder: what matters here is that the file says it is signed."""
    pdf = pikepdf.open(io.BytesIO(scan))
    signature = Dictionary(
        Type=Name.Sig,
        Filter=Name("/Adobe.PPKLite"),
        SubFilter=Name("/adbe.pkcs7.detached"),
        ByteRange=Array([0, 100, 200, 300]),
        Contents=String(b"\0" * 64),
        M=String("D:20261124120000Z"),
    )
    field = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Sig,
            T=String("Signature1"),
            V=pdf.make_indirect(signature),
            Rect=Array([0, 0, 0, 0]),
            F=132,
            P=pdf.pages[0].obj,
        )
    )
    pdf.pages[0].obj.Annots = Array([field])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), SigFlags=3)
    return _save(pdf)


def pdfa_pdf(scan: bytes) -> bytes:
    """``scan`` claiming PDF/A-2B: XMP identification and an sRGB output intent."""
    pdf = pikepdf.open(io.BytesIO(scan))
    icc = Image.new("RGB", (1, 1)).info.get("icc_profile")  # Pillow has none built in
    profile = icc or _srgb_profile()
    intent = Dictionary(
        Type=Name.OutputIntent,
        S=Name.GTS_PDFA1,
        OutputConditionIdentifier=String("sRGB"),
        DestOutputProfile=pikepdf.Stream(pdf, profile, N=3),
    )
    pdf.Root.OutputIntents = Array([intent])
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = "Archived scan"
    return _save(pdf)


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def broken_xref_pdf(scan: bytes) -> bytes:
    """``scan`` with a classic cross-reference table whose offsets all point a few bytes off,
    as a careless editor or a bad transfer leaves it."""
    pdf = pikepdf.open(io.BytesIO(scan))
    data = _save(pdf, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    table = data.rindex(b"\nxref\n")
    head, tail = data[:table], data[table:]

    def shift(m: re.Match[bytes]) -> bytes:
        return b"%010d 00000 n" % (int(m.group(1)) + 7)

    return head + re.sub(rb"(\d{10}) 00000 n", shift, tail)


def no_pages_pdf() -> bytes:
    return _save(pikepdf.new())


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@functools.cache
def bomb(size: int = 1 << 30, prefix: bytes = b"", fill: bytes = b"\0") -> bytes:
    """``prefix`` then ``fill`` up to ``size`` bytes in all, compressed twice with Flate: 1 GiB
    in about 1.5 KB. The inner stream repeats one compressed 4 MiB block (after a full flush
    the compressor starts afresh, so each block compresses to the same bytes), which takes a
    second rather than ten."""
    block = fill * ((1 << 22) // len(fill))
    count = (size - len(prefix)) // len(block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw: the zlib wrapping is ours
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    piece = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    checksum = zlib.adler32(prefix)
    for _ in range(count):
        checksum = zlib.adler32(block, checksum)
    once = b"\x78\xda" + head + piece * count + deflate.flush() + checksum.to_bytes(4, "big")
    return zlib.compress(once, 9)


def _double_flate(pdf: pikepdf.Pdf, data: bytes, **keys: object) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, data)
    stream.Filter = Array([Name.FlateDecode, Name.FlateDecode])
    for key, value in keys.items():
        stream[Name(f"/{key}")] = value
    return stream


def _save_raw(pdf: pikepdf.Pdf) -> bytes:
    """Saved without decoding or recompressing anything."""
    return _save(
        pdf,
        compress_streams=False,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        object_stream_mode=pikepdf.ObjectStreamMode.disable,
        fix_metadata_version=False,
    )


def with_xmp(scan: bytes, data: bytes, filters: list[Name]) -> bytes:
    """``scan`` with XMP metadata stored as ``data`` through ``filters``. qpdf always writes a
    document's XMP decoded, so it is saved under a stand-in name put back in the bytes."""
    pdf = pikepdf.open(io.BytesIO(scan))
    stream = pikepdf.Stream(pdf, data)
    stream.Type, stream.Subtype, stream.Filter = Name("/Metadatb"), Name.XML, Array(filters)
    pdf.Root[Name("/Metadatb")] = stream
    return _save_raw(pdf).replace(b"/Metadatb", b"/Metadata")


def compressed_xmp_pdf(scan: bytes) -> bytes:
    """``scan`` with ordinary XMP metadata, compressed with Flate as most producers do."""
    packet = rich_xmp_packet()
    return with_xmp(scan, zlib.compress(packet, 9), [Name.FlateDecode])


def rich_xmp_packet() -> bytes:
    pdf = pikepdf.new()
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = "Invoice 4711"
        meta["dc:creator"] = ["Scanner 3000"]
        meta["dc:description"] = "A scanned invoice, filed by the accounts department."
    return bytes(pdf.Root.Metadata.read_bytes())


def metadata_bomb_pdf(scan: bytes) -> bytes:
    return with_xmp(scan, bomb(), [Name.FlateDecode, Name.FlateDecode])


def content_bomb_pdf(scan: bytes) -> bytes:
    """``scan`` whose first page draws one more content stream: 1 GiB of NUL bytes (blanks to
    a PDF parser) in 1.8 KB."""
    pdf = pikepdf.open(io.BytesIO(scan))
    pdf.pages[0].contents_add(_double_flate(pdf, bomb()))
    return _save_raw(pdf)


def form_bomb_pdf(scan: bytes) -> bytes:
    """``scan`` whose last page draws a form XObject whose content is the bomb."""
    pdf = pikepdf.open(io.BytesIO(scan))
    page = pdf.pages[-1]
    form = _double_flate(pdf, bomb(), Type=Name.XObject, Subtype=Name.Form)
    form.BBox = Array([0, 0, 10, 10])
    page.obj.Resources.XObject = Dictionary(Im0=page.obj.Resources.XObject.Im0, Fx0=form)
    page.contents_add(pikepdf.Stream(pdf, b"q /Fx0 Do Q"))
    return _save_raw(pdf)


def object_stream_bomb_pdf(disguise: bytes = b"") -> bytes:
    """A one-page PDF whose catalog, page tree and page sit in an object stream padded to
    1 GiB (2 KB of file): qpdf and PDFium decode it whole as they open the file. Written by
    hand: a PDF library would not write such a stream. ``disguise`` goes at the start of the
    stream's dictionary; ``#`` escapes and long white space are also used when it is given."""
    objects = [
        b"<< /Type /Catalog /Pages 3 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] >>",
    ]
    offsets, body = [], b""
    for obj in objects:
        offsets.append(len(body))
        body += obj + b"\n"
    index = b" ".join(b"%d %d" % (n + 2, at) for n, at in enumerate(offsets)) + b"\n"
    data = bomb(prefix=index + body, fill=b" ")
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    stream_at = len(out)
    kind, space = (b"/Obj#53tm", b" " * 100_000) if disguise else (b"/ObjStm", b" ")
    out += (
        b"1 0 obj" + space + b"<< " + disguise + b" /Type" + space + kind
        + b" /N 3 /First %d /Filter [/Fl#61teDecode /FlateDecode] /Length %d >>\nstream\n"
        % (len(index), len(data))
    )  # fmt: skip
    out += data + b"\nendstream\nendobj\n"
    xref_at = len(out)
    rows = [(0, 0, 65535), (1, stream_at, 0), (2, 1, 0), (2, 1, 1), (2, 1, 2), (1, xref_at, 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n" % len(
        table
    )
    return out + table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at


def repeated_form_pdf(scan: bytes, times: int = 200, lines: int = 50_000) -> bytes:
    """``scan`` whose last page draws one form of ``lines`` lines (1 MB) ``times`` times (3 KB
    of file: PDFium parses the form at each use, 200 MB and 2.6 GB of memory for 200)."""
    pdf = pikepdf.open(io.BytesIO(scan))
    page = pdf.pages[-1]
    drawing = b"10 20 m 300 400 l S\n" * lines
    form = pikepdf.Stream(pdf, zlib.compress(drawing, 9))
    form.Type, form.Subtype, form.Filter = Name.XObject, Name.Form, Name.FlateDecode
    form.BBox = Array([0, 0, 10, 10])
    page.obj.Resources.XObject = Dictionary(Im0=page.obj.Resources.XObject.Im0, Fx0=form)
    draws = zlib.compress(b"q /Fx0 Do Q\n" * times, 9)
    page.contents_add(pikepdf.Stream(pdf, draws, Filter=Name.FlateDecode))
    return _save_raw(pdf)


def self_drawing_form_pdf(scan: bytes) -> bytes:
    """``scan`` whose last page draws a form that draws itself twice: PDFium stops only 40
    levels down, 2 to the 40th draws later."""
    pdf = pikepdf.open(io.BytesIO(scan))
    page = pdf.pages[-1]
    form = pikepdf.Stream(pdf, b"q 0.5 0 0 0.5 0 0 cm /Fx0 Do /Fx0 Do Q")
    form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, Array([0, 0, 10, 10])
    form.Resources = Dictionary(XObject=Dictionary(Fx0=form))
    page.obj.Resources.XObject = Dictionary(Im0=page.obj.Resources.XObject.Im0, Fx0=form)
    page.contents_add(pikepdf.Stream(pdf, b"q /Fx0 Do Q"))
    return _save_raw(pdf)
