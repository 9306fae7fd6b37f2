"""OCRmyPDF's spellings on our command line, so that its users' scripts and habits carry over:
its short options where we have the same feature (-r, -f, -d as described below), its options
that change nothing here accepted, and the ones we cannot honour refused with a line that says
why, never silently ignored. Also the one guard for ``-r``, which meant ``--recursive`` here
before it meant ``--rotate-pages``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ocr_pdf.errors import BadArgumentsError

log = logging.getLogger("ocr_pdf")

RENDERERS = ("auto", "hocr", "sandwich", "hocrdebug", "fpdf2")
"""OCRmyPDF 17's --pdf-renderer choices: all mean our own text layer here."""

PLUGIN = "ocrmypdf --plugin ocr_pdf.ocrmypdf_plugin"


class _Rotate(argparse.Action):
    """``-r`` and ``--rotate-pages``, remembering whether the short spelling was used (it is
    refused in runs over folders, where our old scripts meant --recursive by it)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=False, **kwargs)  # type: ignore[arg-type]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, True)
        if option_string == "-r":
            namespace.short_r = True


def add_rotate_and_recursive(p: argparse.ArgumentParser, group: argparse._ArgumentGroup) -> None:
    """``-r``/``--rotate-pages`` (OCRmyPDF's) and ``-R``/``--recursive``."""
    group.add_argument(
        "-r",
        "--rotate-pages",
        action=_Rotate,
        help="turn pages whose text is sideways or upside down upright (sets /Rotate; content "
        "untouched); -r as in OCRmyPDF (it meant --recursive before: in runs over folders "
        "it is refused, say --rotate-pages or -R)",
    )
    p.set_defaults(short_r=False)
    p.add_argument(
        "-R",
        "--recursive",
        action="store_true",
        help="with folder inputs, also convert the files in their subfolders (the tree is "
        "mirrored in the output folder)",
    )


def add_ocrmypdf_flags(p: argparse.ArgumentParser) -> None:
    """OCRmyPDF's options that mean nothing different here (accepted), and those refused."""
    same = p.add_argument_group(
        "OCRmyPDF's options, accepted for its scripts (they change nothing here)"
    )
    same.add_argument(
        "-d",
        "--deskew",
        action="store_true",
        help="the page is kept as scanned (never re-rasterized), and each word of a skewed line "
        "is placed on its own ink whether or not -d is given",
    )
    same.add_argument(
        "-O",
        "--optimize",
        type=int,
        metavar="0",
        help="0 only: ocr-pdf keeps the original's images byte for byte and optimises nothing",
    )
    same.add_argument(
        "--pdf-renderer",
        choices=RENDERERS,
        help="any: the text layer is always ocr-pdf's own",
    )
    same.add_argument(
        "--tesseract-timeout",
        type=float,
        metavar="SECONDS",
        help="engines keep their own time limits (--timeout for Azure)",
    )
    same.add_argument(
        "--rotate-pages-threshold",
        type=float,
        metavar="CONFIDENCE",
        help="turned pages are found from the text lines the engine sees, not a confidence",
    )
    # Refused, each with its reason (see check_ocrmypdf_flags); not listed in --help.
    for name in ("--title", "--author", "--subject", "--keywords"):
        p.add_argument(name, metavar="TEXT", help=argparse.SUPPRESS)
    p.add_argument("--skip-big", type=float, metavar="MPIXELS", help=argparse.SUPPRESS)


def check_ocrmypdf_flags(args: argparse.Namespace) -> None:
    """A BadArgumentsError for an OCRmyPDF option we cannot honour, saying why."""
    for name in ("title", "author", "subject", "keywords"):
        if getattr(args, name, None) is not None:
            raise BadArgumentsError(
                f"--{name}: ocr-pdf keeps the document's metadata as it is (only a text layer "
                f"is added); set it with another tool, or run {PLUGIN}"
            )
    if getattr(args, "skip_big", None) is not None:
        raise BadArgumentsError(
            "--skip-big: ocr-pdf reads every selected page (huge ones are rendered below 60 "
            "megapixels); leave pages out with --pages"
        )
    optimize = getattr(args, "optimize", None)
    if optimize not in (None, 0):
        raise BadArgumentsError(
            f"-O {optimize}: ocr-pdf keeps the original's images byte for byte, so it has "
            f"nothing to optimise (-O 0 is what it does); for OCRmyPDF's optimisation, run "
            f"{PLUGIN}"
        )
    if getattr(args, "tesseract_timeout", None) == 0:
        raise BadArgumentsError(
            "--tesseract-timeout 0 asks OCRmyPDF for no OCR at all; ocr-pdf only adds OCR, "
            "so there would be nothing to do"
        )
    if getattr(args, "deskew", False):
        log.warning(
            "-d/--deskew: the pages are kept as scanned; each word of a skewed line is placed "
            "on its ink anyway"
        )


def check_short_r(args: argparse.Namespace, inputs: list[Path]) -> None:
    """``-r`` over folders is refused: it meant --recursive there before it meant
    --rotate-pages, and a script written then must not silently change what it does."""
    if getattr(args, "short_r", False) and not args.recursive and any(p.is_dir() for p in inputs):
        raise BadArgumentsError(
            "-r now means --rotate-pages, as in OCRmyPDF (it meant --recursive before): over "
            "folders, say -R (--recursive) to convert subfolders, --rotate-pages to turn pages "
            "upright, or -r -R for both"
        )
