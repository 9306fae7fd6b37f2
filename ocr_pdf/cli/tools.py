"""``ocr-pdf preview`` and ``ocr-pdf serve``: the commands beside conversion."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
import threading
from pathlib import Path

from ocr_pdf.cli.arguments import options_from
from ocr_pdf.errors import ExitCode

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
    from ocr_pdf.engines import EngineConfig, engine_for
    from ocr_pdf.serve import ServeLimits, make_server

    limits = ServeLimits(
        queue=args.queue,
        max_wait=args.max_wait,
        keep_results=args.keep_results * 3600,
        results_memory=args.results_memory * 1_000_000,
        max_pages=args.max_pages,
    )
    config = EngineConfig.from_environment(language=args.language)
    engine = engine_for(args.engine, config, offline=True)
    name = engine.name
    key = os.environ.get("OCR_PDF_SERVE_KEY") or None
    server = make_server(engine, args.host, args.port, key, limits, args.allow_url_source)
    if not key and not ipaddress.ip_address(server.server_address[0]).is_loopback:
        log.warning("listening on %s without a key: set OCR_PDF_SERVE_KEY", args.host)
    if args.port == 0:  # the port picked is the result a script needs, even with -q
        print(server.url, flush=True)
    if not args.quiet:
        print(
            f"ocr-pdf: serving Azure-compatible OCR at {server.url} with the {name} engine"
            + (" (key required)" if key else "")
            + "; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.serve_forever()
        except BaseException as exc:  # re-raised on the main thread, which reports it
            failure.append(exc)

    # The main thread only waits, so that Ctrl-C and SIGTERM (KeyboardInterrupt, see
    # cli.main) reach it and not the server's event loop.
    thread = threading.Thread(target=serve, name="ocr-pdf-serve")
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        if not args.quiet:
            print("ocr-pdf: stopped", file=sys.stderr)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    if failure:
        raise failure[0]
    return ExitCode.ok
