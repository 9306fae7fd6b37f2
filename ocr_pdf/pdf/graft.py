"""pikepdf, writing side: lay text-layer pages over original pages, leaving every original object
as it was (reading the input is original's)."""

from __future__ import annotations

import io
import logging
import re
import secrets
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import pikepdf
from pikepdf import Dictionary, Name

from ocr_pdf.errors import OutputInvalidError

log = logging.getLogger(__name__)

_XOBJECT_PREFIX = "OcrPdfText"


def _unclosed_saves(page: pikepdf.Page) -> int:
    """How many ``q`` the page's content leaves open. Our closing ``Q``s must pop all of them,
    or the layer would be drawn in whatever coordinate system the page content left behind."""
    depth = 0
    try:
        for instruction in pikepdf.parse_content_stream(page, "q Q"):
            if instruction.operator == pikepdf.Operator("q"):
                depth += 1
            elif instruction.operator == pikepdf.Operator("Q"):
                depth = max(0, depth - 1)
    except pikepdf.PdfError:
        log.debug("cannot parse the content of a page; assuming balanced q/Q")
        return 0
    return depth


def _own_resources(page: pikepdf.Page) -> pikepdf.Dictionary:
    """The page's /Resources as a dictionary of its own, with an /XObject dictionary of its own.

    Resources may be inherited from the page tree or shared with other pages; adding our entry
    to a shared dictionary would touch every page that uses it. Copies are shallow: the fonts,
    images and forms they point to are the original objects."""
    node: pikepdf.Object | None = page.obj
    inherited = None
    while node is not None:
        if Name.Resources in node:
            inherited = node.Resources
            break
        node = node.get(Name.Parent)
    own = (
        Dictionary({k: v for k, v in inherited.items()}) if inherited is not None else Dictionary()
    )
    xobjects = own.get(Name.XObject)
    own[Name.XObject] = (
        Dictionary({k: v for k, v in xobjects.items()}) if xobjects else Dictionary()
    )
    page.obj[Name.Resources] = own
    return own


def standalone_layer(layer_pdf: bytes, font: str = "/F1") -> bytes:
    """The first page of a text layer PDF as a one-page PDF with one content stream and its
    one font named ``font``: the shape OCRmyPDF's sandwich grafting expects (it copies only
    a font named /F1 or /f-0-0)."""
    with pikepdf.open(io.BytesIO(layer_pdf)) as pdf:
        del pdf.pages[1:]
        page = pdf.pages[0]
        fonts: Any = page.obj.Resources.get(Name.Font, Dictionary())
        names = [str(k) for k in fonts]
        if len(names) > 1:
            raise ValueError(f"a text layer with {len(names)} fonts")
        instructions = list(pikepdf.parse_content_stream(page))
        if names and names[0] != font:
            fonts[Name(font)] = fonts[Name(names[0])]
            del fonts[Name(names[0])]
            for i, instruction in enumerate(instructions):
                if str(getattr(instruction, "operator", "")) == "Tf":
                    size = instruction.operands[1]
                    instructions[i] = pikepdf.ContentStreamInstruction(
                        [Name(font), size], pikepdf.Operator("Tf")
                    )
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
        out = io.BytesIO()
        pdf.save(out)
        return out.getvalue()


class Placement(NamedTuple):
    """Layer page ``layer`` goes over original page ``page`` (0-based indexes), drawn relative
    to ``origin``, the MediaBox's bottom-left corner (points); ``rotation`` is the /Rotate the
    page is to have (a change turns the page as displayed, never its content)."""

    page: int
    layer: int
    origin: tuple[float, float]
    rotation: int


def graft(
    original: pikepdf.Pdf,
    layers_pdf: bytes,
    placements: Sequence[Placement],
    output: BinaryIO | Path,
) -> None:
    """Draw each placement's layer page over its original page and save.

    The original content streams stay as they are; we add one stream before them (``q``) and
    one after (enough ``Q`` to restore the initial state, then the layer as a form XObject).
    Streams are written without decoding or recompressing, so their bytes are kept exactly."""
    with pikepdf.open(io.BytesIO(layers_pdf)) if placements else pikepdf.new() as layers:
        for page_index, layer_index, (x0, y0), rotation in placements:
            page = original.pages[page_index]
            if rotation != page.obj.get(Name.Rotate, 0) % 360:
                page.obj[Name.Rotate] = rotation
            form = original.copy_foreign(layers.pages[layer_index].as_form_xobject())
            # as_form_xobject() stores the page's content decoded; compress it ourselves, since
            # the document is saved without recompressing anything.
            form.write(zlib.compress(form.read_bytes(), 9), filter=Name.FlateDecode)
            xobjects = _own_resources(page)[Name.XObject]
            n = 0
            while Name(f"/{_XOBJECT_PREFIX}{n}") in xobjects:
                n += 1
            name = Name(f"/{_XOBJECT_PREFIX}{n}")
            xobjects[name] = form
            closing = b"Q\n" * (_unclosed_saves(page) + 1)
            page.contents_add(pikepdf.Stream(original, b"q\n"), prepend=True)
            draw = f"q 1 0 0 1 {_number(x0)} {_number(y0)} cm {name} Do Q\n".encode()
            page.contents_add(pikepdf.Stream(original, b"\n" + closing + draw))
        with _metadata_as_it_is(original) as stand_in:
            original.save(
                output,
                compress_streams=False,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                object_stream_mode=pikepdf.ObjectStreamMode.preserve,
                fix_metadata_version=False,
            )
    if stand_in is not None:
        if isinstance(output, Path):
            with output.open("r+b") as stream:
                _put_back(stream, stand_in)
        else:
            _put_back(output, stand_in)


_TYPE = b"/Metadata"


@contextmanager
def _metadata_as_it_is(pdf: pikepdf.Pdf) -> Iterator[bytes | None]:
    """Keep the document's XMP stream as it is in the saved file.

    qpdf writes the catalog's /Metadata stream decoded whatever the save options (so that tools
    can read it; a 1.8 KB Flate bomb becomes 1 GB), but only while its /Type is /Metadata.
    During the save its /Type is a one-off name of the same length, which the caller then puts
    back in the written bytes (:func:`_put_back`): a stream's dictionary is always written as
    text, outside object streams and filters. Yields that name (None when there is nothing
    to keep)."""
    stream = pdf.Root.get(Name.Metadata)
    if not isinstance(stream, pikepdf.Stream) or stream.get(Name.Type) != Name.Metadata:
        yield None
        return
    stand_in = "/" + secrets.token_hex((len(_TYPE) - 1) // 2)
    stream.Type = Name(stand_in)
    try:
        yield stand_in.encode()
    finally:
        stream.Type = Name.Metadata


def _put_back(output: BinaryIO, stand_in: bytes) -> None:
    """Write /Metadata over the one occurrence of ``stand_in`` in the saved ``output``."""
    output.flush()
    output.seek(0)
    found, offset, tail = [], 0, b""
    while chunk := output.read(1 << 20):
        data = tail + chunk
        start = data.find(stand_in)
        while start >= 0:
            found.append(offset - len(tail) + start)
            start = data.find(stand_in, start + 1)
        tail = data[-(len(stand_in) - 1) :]
        offset += len(chunk)
    if len(found) != 1:  # a random name, so never seen: but never patch blindly
        raise OutputInvalidError(
            f"the metadata stream's type is found {len(found)} times in the output; nothing "
            "was written"
        )
    output.seek(found[0])
    output.write(_TYPE)
    output.seek(0, io.SEEK_END)


def _number(value: float) -> str:
    """A PDF number: fixed-point (PDF has no exponent notation, which ``:g`` gives for 6e-05),
    to 1/10000 of a point."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


_OUR_TAIL = re.compile(
    rb"^\n(?:Q\n)+q 1 0 0 1 \S+ \S+ cm (/" + _XOBJECT_PREFIX.encode() + rb"\d+) Do Q\n$"
)
_SHOW = {"Tj", "TJ", "'", '"'}


def _strip_invisible_text(streams: list[Any], mode: list[int]) -> bool:
    """Drop text shown in render mode 3 from ``streams`` (rewriting only those that had some);
    ``mode`` carries the render-mode stack across streams. True when anything was dropped."""
    changed = False
    for stream in streams:
        kept: list[Any] = []
        dropped = False
        for instruction in pikepdf.parse_content_stream(stream):
            op = (
                str(instruction.operator)
                if not isinstance(instruction, pikepdf.ContentStreamInlineImage)
                else ""
            )
            operands = getattr(instruction, "operands", [])
            if op == "q":
                mode.append(mode[-1])
            elif op == "Q" and len(mode) > 1:
                mode.pop()
            elif op == "Tr" and operands:
                mode[-1] = int(operands[0])
            elif op in _SHOW and mode[-1] == 3:
                dropped = True
                if op in ("'", '"'):  # these also move to the next line: keep that part
                    if op == '"':
                        kept.append(
                            pikepdf.ContentStreamInstruction([operands[0]], pikepdf.Operator("Tw"))
                        )
                        kept.append(
                            pikepdf.ContentStreamInstruction([operands[1]], pikepdf.Operator("Tc"))
                        )
                    kept.append(pikepdf.ContentStreamInstruction([], pikepdf.Operator("T*")))
                continue
            kept.append(instruction)
        if dropped:
            stream.write(pikepdf.unparse_content_stream(kept))
            changed = True
    return changed


def _peel_our_layers(page: pikepdf.Page, streams: list[Any]) -> list[Any]:
    """``streams`` without every layer of ours wrapped around them (``q`` first, our drawing
    last; a page converted twice with --force-ocr has two), their form XObjects removed from
    the page's resources."""
    names: list[str] = []
    while len(streams) >= 3 and streams[0].read_bytes() == b"q\n":
        tail = _OUR_TAIL.match(streams[-1].read_bytes())
        if tail is None:
            break
        names.append(tail.group(1).decode())
        streams = streams[1:-1]
    if names:
        page.obj[Name.Contents] = pikepdf.Array(streams)
        resources: Any = page.obj.get(Name.Resources, {})
        xobjects: Any = resources.get(Name.XObject, {})
        for name in names:
            if Name(name) in xobjects:
                del xobjects[Name(name)]
    return streams


def remove_ocr_layers(pdf: pikepdf.Pdf, index: int) -> bool:
    """Take every earlier invisible text layer off page ``index``: ours are removed whole (the
    original streams were never touched, so the page is back to what it was); any other
    tool's invisible text is dropped from the page's content and its form XObjects. True when
    something was removed."""
    page = pdf.pages[index]
    contents = page.obj.get(Name.Contents)
    streams = (
        list(contents)
        if isinstance(contents, pikepdf.Array)
        else [contents]
        if contents is not None
        else []
    )
    kept = _peel_our_layers(page, streams)
    removed = len(kept) != len(streams)
    removed |= _strip_invisible_text(kept, [0])
    resources: Any = page.obj.get(Name.Resources, {})
    for xobject in resources.get(Name.XObject, {}).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get(Name.Subtype) == Name.Form:
            removed |= _strip_invisible_text([xobject], [0])
    return removed
