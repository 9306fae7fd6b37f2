"""pikepdf (qpdf), reading side: the input opened (repaired if need be), whether it is signed or
claims PDF/A, and how much its pages would make a reader decode, checked before PDFium or qpdf
decode any of it. (Writing onto it is graft's.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pikepdf
from pikepdf import Name

from ocr_pdf.errors import EncryptedPdfError, InputFileError
from ocr_pdf.pdf import raw, streams

MAX_PAGE_DECODED = 100_000_000
"""Bytes a page's streams may decode to (content, forms, fonts, colour profiles; images
aside). PDFium holds about ten times a content stream's size in parsed instructions (0.7 GB
for 64 MB); real pages, vector maps included, stay far below."""
MAX_DOCUMENT_DECODED = 2_000_000_000
"""Bytes all pages may decode to, each page counting what it draws (a form drawn on every page
is parsed on every page) and each font or profile counted once: the bound on time, since
PDFium parses a page's content several times in a run (plan, render, output check)."""
MAX_STRUCTURE = 500_000_000
"""Bytes a file's object streams and cross-reference streams may decode to in all: qpdf and
PDFium decode them whole on opening it. A document of a million objects has about 100 MB."""
MAX_FORM_DEPTH = 40
"""Forms drawn within forms that deep are PDFium's limit."""
MAX_XMP = 20_000_000
"""Bytes the document's XMP metadata may decode to. PDFium reads and parses it whole each time
it opens the file (8.5 GB of memory for a 1.8 KB packet of 1 GiB), which a run does every 25
pages; real packets are kilobytes, tens of megabytes where an editor let a history grow."""

_NOT_FOLLOWED = frozenset(
    "/Parent /P /Metadata /Thumb /PieceInfo /Dest /A /AA /Popup /IRT /Next /Prev /First "
    "/Last /Pg /StructParent /StructParents /B /Length /W /W2 /Widths /Differences /BBox "
    "/FontBBox /Matrix /Rect".split()
)
"""Keys that lead away from what draws the page (to other pages, actions, metadata), or to
long arrays of numbers (glyph widths) that hold no stream."""


def open_original(path: Path) -> pikepdf.Pdf:
    """Open the input for grafting. A file qpdf can repair (a broken cross-reference table, say)
    is used as repaired (see :func:`repairs`); one it cannot is an input error, and so is one
    whose object or cross-reference streams decode to more than MAX_STRUCTURE (qpdf would
    decode them as it opens the file)."""
    if raw.structure_size(path, MAX_STRUCTURE) is None:
        raise InputFileError(
            f"{path}: its object and cross-reference streams decode to more than "
            f"{MAX_STRUCTURE // 1_000_000} MB (a decompression bomb?); not reading it"
        )
    try:
        pdf = pikepdf.open(_openable(path))
    except pikepdf.PasswordError:
        raise EncryptedPdfError.for_file(path) from None
    except pikepdf.PdfError as exc:
        raise InputFileError(f"{path}: the PDF is damaged and cannot be repaired ({exc})") from None
    if pdf.is_encrypted:
        pdf.close()
        raise EncryptedPdfError.for_file(path, owner_password_only=True)
    if len(pdf.pages) == 0:
        pdf.close()
        raise InputFileError(f"{path}: the PDF has no pages")
    return pdf


def _openable(path: Path) -> Path | BinaryIO:
    """``path``, or for a name that is not UTF-8 (bytes a file system allows, which qpdf's
    C++ side cannot take as a string) the open file itself: qpdf keeps it until the PDF is
    gone, and it is closed with it."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return path.open("rb")
    return path


def is_tagged(pdf: pikepdf.Pdf) -> bool:
    """Whether the PDF is a Tagged PDF (/MarkInfo /Marked true) or has a structure tree."""
    mark = pdf.Root.get(Name.MarkInfo)
    marked = isinstance(mark, pikepdf.Dictionary) and bool(mark.get(Name.Marked, False))
    return marked or Name.StructTreeRoot in pdf.Root


def repairs(pdf: pikepdf.Pdf) -> str | None:
    """What qpdf had to repair to open the file (its first warning), or None if nothing."""
    warnings = pdf.get_warnings()
    return str(warnings[0]) if warnings else None


def is_signed(pdf: pikepdf.Pdf) -> bool:
    """Whether the document carries a digital signature: a filled signature field, or
    certification permissions (/Perms). Any change to the pages invalidates it."""
    if Name.Perms in pdf.Root:
        return True
    form: Any = pdf.Root.get(Name.AcroForm)
    if not isinstance(form, pikepdf.Dictionary):
        return False
    pending = list(form.get(Name.Fields, pikepdf.Array()))
    seen = 0
    while pending and seen < 100_000:  # a bound, in case the field tree loops
        seen += 1
        field = pending.pop()
        if not isinstance(field, pikepdf.Dictionary):
            continue
        if field.get(Name.FT) == Name.Sig and field.get(Name.V) is not None:
            return True
        pending.extend(field.get(Name.Kids, pikepdf.Array()))
    return False


def claimed_pdfa(pdf: pikepdf.Pdf) -> str | None:
    """The PDF/A part and conformance the XMP metadata claims (``"2B"``), or None. Call
    :func:`check_decoding` first: the packet is read whole."""
    try:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False)
        part = meta.get("pdfaid:part")
        level = meta.get("pdfaid:conformance") or ""
    except Exception:  # unreadable XMP: as good as no claim for our purposes
        return None
    return f"{part}{level}" if part else None


def check_decoding(pdf: pikepdf.Pdf, path: Path) -> None:
    """An InputFileError unless the XMP metadata decodes to at most MAX_XMP bytes, every page
    to at most MAX_PAGE_DECODED (a form counted as many times as the page draws it) and all
    of them to at most MAX_DOCUMENT_DECODED: found by decoding each stream once, piece by
    piece with a ceiling (see :mod:`ocr_pdf.pdf.streams`), never holding it."""
    xmp = pdf.Root.get(Name.Metadata)
    if isinstance(xmp, pikepdf.Stream) and _decoded_size(xmp, MAX_XMP) is None:
        raise InputFileError(
            f"{path}: its XMP metadata decodes to more than {MAX_XMP // 1_000_000} MB (a "
            "decompression bomb?); not reading it"
        )
    decoding = _Decoding()
    for number, page in enumerate(pdf.pages, 1):
        if not decoding.page(page):
            raise InputFileError(
                f"{path}: page {number} decodes to more than "
                f"{MAX_PAGE_DECODED // 1_000_000} MB (a decompression bomb?); not reading it"
            )
        if decoding.document > MAX_DOCUMENT_DECODED:
            raise InputFileError(
                f"{path}: its pages decode to more than "
                f"{MAX_DOCUMENT_DECODED // 1_000_000} MB (a decompression bomb?); not reading it"
            )


class _Decoding:
    """What the pages of one document make a reader decode and parse, each stream decoded once
    and each form's cost worked out once."""

    def __init__(self) -> None:
        self.sizes: dict[tuple[int, int], int] = {}
        self.forms: dict[tuple[int, int], int] = {}  # bytes parsed to draw each form once
        self.document = 0  # bytes all pages decode: drawn as often as drawn, data once
        self._drawing: set[tuple[int, int]] = set()  # forms being worked out (a loop)

    def page(self, page: pikepdf.Page) -> bool:
        """Add up what ``page`` decodes; False when more than MAX_PAGE_DECODED."""
        limit = MAX_PAGE_DECODED
        contents: Any = page.obj.get(Name.Contents)
        resources = _inherited(page.obj, Name.Resources)
        own = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
        total = self.drawing(page, own, resources, limit, 0)
        appearances = _appearances(page.obj)
        for form in appearances:
            total += self.form(form, None, limit - total, 0)
        self.document += total
        for stream, drawn in _streams([resources, *appearances]):
            if total > limit:
                break
            known = stream.objgen in self.sizes
            size = self.size(stream, limit - total)
            total += size
            self.document += size if drawn or not known else 0
        return total <= limit

    def size(self, stream: Any, limit: int) -> int:
        """What ``stream`` decodes to, or more than ``limit`` (then not remembered)."""
        if not isinstance(stream, pikepdf.Stream):
            return 0
        if stream.objgen not in self.sizes:
            size = _decoded_size(stream, limit)
            if size is None:
                return limit + 1
            self.sizes[stream.objgen] = size
        return self.sizes[stream.objgen]

    def drawing(self, content: Any, own: list[Any], resources: Any, limit: int, depth: int) -> int:
        """Bytes parsed to draw ``content`` (a page, or a form): its ``own`` streams, and each
        form it draws as many times as it draws it (PDFium parses a form at each use)."""
        total = sum(self.size(stream, limit) for stream in own)
        forms = _forms(resources)
        if total > limit or not forms:  # qpdf reads the instructions whole: not a bomb
            return total
        for name, times in _drawn(content, forms).items():
            if total > limit:
                break
            total += times * self.form(forms[name], resources, limit - total, depth + 1)
        return total

    def form(self, form: pikepdf.Stream, outer: Any, limit: int, depth: int) -> int:
        """Bytes parsed to draw ``form`` once (with ``outer`` resources if it has none)."""
        key = form.objgen
        if key in self.forms:
            return self.forms[key]
        if key in self._drawing or depth > MAX_FORM_DEPTH:
            return limit + 1  # a form that draws itself: PDFium goes 40 levels deep
        self._drawing.add(key)
        cost = self.drawing(form, [form], form.get(Name.Resources, outer), limit, depth)
        self._drawing.discard(key)
        if cost <= limit:
            self.forms[key] = cost
        return cost


def _forms(resources: Any) -> dict[str, pikepdf.Stream]:
    xobjects = resources.get(Name.XObject) if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return {}
    return {
        str(name): form
        for name, form in xobjects.items()
        if isinstance(form, pikepdf.Stream) and form.get(Name.Subtype) == Name.Form
    }


def _drawn(content: Any, forms: dict[str, pikepdf.Stream]) -> Counter[str]:
    """How many times ``content`` (a page or a form) draws each of ``forms``, by qpdf's
    reading of its instructions; each once when qpdf cannot read them."""
    try:
        instructions = pikepdf.parse_content_stream(content, "Do")
    except pikepdf.PdfError:
        return Counter(forms.keys())
    return Counter(
        str(i.operands[0]) for i in instructions if i.operands and str(i.operands[0]) in forms
    )


def _appearances(page: pikepdf.Dictionary) -> list[pikepdf.Stream]:
    """The appearance streams of the page's annotations (every state: PDFium draws one)."""
    found = []
    annotations = page.get(Name.Annots)
    for annotation in annotations if isinstance(annotations, pikepdf.Array) else ():
        ap = annotation.get(Name.AP) if isinstance(annotation, pikepdf.Dictionary) else None
        for entry in ap.values() if isinstance(ap, pikepdf.Dictionary) else ():
            states = entry.values() if isinstance(entry, pikepdf.Dictionary) else [entry]
            found += [s for s in states if isinstance(s, pikepdf.Stream)]
    return found


def _streams(roots: list[Any]) -> Iterator[tuple[pikepdf.Stream, bool]]:
    """Each stream reachable from ``roots`` (resources, appearances) that a reader decodes,
    once, with whether it is drawn (patterns, glyph procedures) rather than data (fonts,
    colour profiles, functions). Forms are counted where drawn (:class:`_Decoding`); images
    are not followed: PDFium decodes them a row at a time, within its own bound of 2 GB."""
    todo: list[tuple[Any, bool]] = [(root, False) for root in roots]
    seen: set[tuple[int, int]] = set()
    while todo:
        obj, drawn = todo.pop()
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            continue  # numbers, names, strings: nothing to decode
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            todo.extend((item, drawn) for item in obj)
            continue
        info = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        if info.get(Name.Subtype) == Name.Image or info.get(Name.Type) == Name.Page:
            continue
        if isinstance(obj, pikepdf.Stream):
            if info.get(Name.Subtype) != Name.Form:
                yield obj, drawn or info.get(Name.PatternType) == 1
            drawn = False  # what a stream refers to is data unless named as drawn below
        todo.extend(
            (value, drawn or key == "/CharProcs")
            for key, value in info.items()
            if key not in _NOT_FOLLOWED
        )


def _inherited(page: pikepdf.Dictionary, key: Name) -> Any:
    node: Any = page
    for _ in range(100):  # a bound, in case the page tree loops
        if node is None or key in node:
            return None if node is None else node[key]
        node = node.get(Name.Parent)
    return None


def _decoded_size(stream: pikepdf.Stream, limit: int) -> int | None:
    """What ``stream`` decodes to (bytes), or None when more than ``limit``."""
    info = stream.stream_dict
    names: Any = info.get(Name.Filter)
    params: Any = info.get(Name.DecodeParms)
    names = list(names) if isinstance(names, pikepdf.Array) else [names] if names else []
    params = list(params) if isinstance(params, pikepdf.Array) else [params] * len(names)
    filters = []
    for name, parms in zip(names, params + [None] * len(names), strict=False):  # short parms
        early = parms.get(Name.EarlyChange, 1) if isinstance(parms, pikepdf.Dictionary) else 1
        filters.append((str(name), int(early) if isinstance(early, int) else 1))
    return streams.decoded_size(stream.read_raw_bytes(), filters, limit)
