"""``ocr-pdf preview`` and ``ocr-pdf serve``: the commands beside conversion."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ocr_pdf.cli.arguments import options_from
from ocr_pdf.errors import BadArgumentsError, ExitCode, FileAccessError

log = logging.getLogger("ocr_pdf")


def run_preview(args: argparse.Namespace) -> int:
    from ocr_pdf.preview import preview

    src = Path(args.input)
    out = Path(args.output) if args.output else Path(f"{src.stem}-p{args.page}-preview.png")
    text, cached = preview(src, out, args.page, options=options_from(args))
    if not args.quiet:
        source = "from the cache" if cached else "read now"
        print(f"{out}: page {args.page}, {len(text.words)} words ({source})", file=sys.stderr)
    return ExitCode.ok


def run_serve(args: argparse.Namespace) -> int:
    from ocr_pdf.engines import EngineConfig, get_engine, local_engine_installed
    from ocr_pdf.server import make_server

    name = args.engine or ("local" if local_engine_installed() else "tesseract")
    if name.startswith("azure") or name == "replay":
        raise BadArgumentsError(f"serve --engine {name}: use a local engine (local, tesseract)")
    engine = get_engine(name, EngineConfig.from_environment(language=args.language))
    key = os.environ.get("OCR_PDF_SERVE_KEY") or None
    try:
        server = make_server(engine, args.host, args.port, key)
    except OSError as exc:
        raise FileAccessError(
            f"cannot listen on {args.host}:{args.port} ({exc.strerror})"
        ) from None
    if not key and args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("listening on %s without a key: set OCR_PDF_SERVE_KEY", args.host)
    print(
        f"ocr-pdf: serving Azure-compatible OCR at {server.url} with the {name} engine"
        + (" (key required)" if key else "")
        + "; Ctrl-C stops",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("ocr-pdf: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return ExitCode.ok
