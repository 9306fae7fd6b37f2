"""pikepdf: lay text-layer pages over original pages, leaving every original object as it was."""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, NamedTuple

import pikepdf
from pikepdf import Dictionary, Name

from ocr_pdf.errors import EncryptedPdfError, InputFileError

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


def open_original(path: Path) -> pikepdf.Pdf:
    """Open the input for grafting. A file qpdf can repair (a broken cross-reference table, say)
    is used as repaired, with a warning; one it cannot is an input error."""
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        raise EncryptedPdfError(
            f"{path}: the PDF is encrypted with a password; decrypt it first"
        ) from None
    except pikepdf.PdfError as exc:
        raise InputFileError(f"{path}: the PDF is damaged and cannot be repaired ({exc})") from None
    warnings = pdf.get_warnings()
    if warnings:
        log.warning("%s: the PDF is damaged; repaired it (%s)", path, warnings[0])
    if pdf.is_encrypted:
        pdf.close()
        raise EncryptedPdfError(
            f"{path}: the PDF is encrypted (owner password); writing a text layer would drop its "
            "restrictions, so decrypt it yourself first (qpdf --decrypt in.pdf out.pdf)"
        )
    return pdf


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
            draw = f"q 1 0 0 1 {x0:g} {y0:g} cm {name} Do Q\n".encode()
            page.contents_add(pikepdf.Stream(original, b"\n" + closing + draw))
        original.save(
            output,
            compress_streams=False,
            stream_decode_level=pikepdf.StreamDecodeLevel.none,
            object_stream_mode=pikepdf.ObjectStreamMode.preserve,
            fix_metadata_version=False,
        )
