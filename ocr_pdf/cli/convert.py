"""``ocr-pdf INPUT... OUTPUT``: which files go where, one conversion each, progress and
summaries."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from ocr_pdf.cli.arguments import options_from
from ocr_pdf.costs import CallBudget, page_list
from ocr_pdf.errors import BadArgumentsError, ExitCode, OcrPdfError
from ocr_pdf.inputs import into_folder
from ocr_pdf.options import ConversionOptions
from ocr_pdf.pipeline import convert
from ocr_pdf.results import ConversionResult, DryRun


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (pages done of total, pages/s, ETA), nothing otherwise."""
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            # Pages take seconds: redraw on every one (mininterval 0), not every 0.1 s.
            bar = tqdm(
                total=total, desc=label, unit="page", leave=False, file=sys.stderr, mininterval=0
            )
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()


def pairs(args: argparse.Namespace) -> list[tuple[Path, Path | None]]:
    """(input, output) pairs from the positional paths; output None means in place."""
    paths = [Path(p) for p in args.paths]
    if args.in_place:
        if any(str(p) == "-" for p in paths):
            raise BadArgumentsError("--in-place needs files, not -")
        return [(p, None) for p in paths]
    if len(paths) < 2:
        raise BadArgumentsError("give INPUT and OUTPUT (or --in-place FILE...)")
    *inputs, target = paths
    batch = len(inputs) > 1 or inputs[0].is_dir()
    if not batch:
        return [(inputs[0], target)]
    if str(target) == "-" or (target.exists() and not target.is_dir()):
        raise BadArgumentsError(f"{target}: with several inputs, OUTPUT must be a folder")
    return into_folder(inputs, target)


def _convert_one(
    src: Path, dst: Path | None, options: ConversionOptions, progress: Any
) -> ConversionResult:
    """One conversion; ``-`` as input spools stdin to a file, as output writes to stdout."""
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-") as spool:
        if str(src) == "-":
            src = Path(spool) / "stdin.pdf"
            with src.open("wb") as f:
                shutil.copyfileobj(sys.stdin.buffer, f)
        to_stdout = dst is not None and str(dst) == "-"
        target = Path(spool) / "stdout.pdf" if to_stdout else dst
        result = convert(src, target, options, progress)
        if to_stdout and target is not None and result.dry_run is None:
            with target.open("rb") as f:
                shutil.copyfileobj(f, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        return result


def _summary(result: ConversionResult, name: str) -> str:
    had = sum(p.status == "has-text" for p in result.pages)
    skipped = sum(p.status == "skipped" for p in result.pages)
    words = sum(p.words for p in result.pages)
    return (
        f"{name}: {result.pages_ocred} page(s) OCRed ({result.pages_from_cache} from cache), "
        f"{had} already had text, {skipped} not selected; {words} words, {result.calls} "
        f"call(s), {result.seconds:.1f} s"
    )


def dry_run_line(name: str, plan: DryRun) -> str:
    """What a dry run found for one file, in one line."""
    reading = "no page to read"
    if plan.to_read:
        reading = (
            f"{len(plan.to_read)} page(s) to read ({page_list(plan.to_read)}), "
            f"{plan.cached} of them cached"
        )
    calls = "no call"
    if plan.requests:
        calls = f"{plan.billable_calls} billable call(s) to {plan.engine}"
        if plan.requests > plan.billable_calls:
            calls += f" ({plan.requests} requests with the polls)"
    elif plan.engine:
        calls += f" ({plan.engine} reads offline)"
    return f"{name}: {reading}; {plan.has_text} page(s) already have text; would make {calls}"


def run_convert(args: argparse.Namespace) -> int:
    """The conversion command: each pair converted, the others going on when one fails."""
    show_progress = not args.quiet and sys.stderr.isatty()
    failures: list[OcrPdfError] = []
    done = 0
    todo = pairs(args)
    if len(todo) > 1 and (args.sidecar or args.ocr_json):
        raise BadArgumentsError("--sidecar and --ocr-json take one input file")
    options = options_from(args, in_place=args.in_place)
    if isinstance(options.budget, int):  # one budget for every file of the run
        options = replace(options, budget=CallBudget(options.budget))
    for src, dst in todo:
        try:
            with _progress(show_progress, src.name) as progress:
                result = _convert_one(src, dst, options, progress)
            done += 1
            if result.dry_run is not None:
                print(dry_run_line(str(src), result.dry_run))
            elif not args.quiet:
                name = "stdout" if dst is not None and str(dst) == "-" else str(result.output)
                print(_summary(result, name), file=sys.stderr)
        except OcrPdfError as err:
            if len(todo) == 1:
                raise
            if args.verbose:
                traceback.print_exc()
            print(f"ocr-pdf: error: {err}", file=sys.stderr)
            failures.append(err)
    if len(todo) > 1 and not args.quiet:
        print(
            f"ocr-pdf: {done} of {len(todo)} file(s) converted, {len(failures)} failed",
            file=sys.stderr,
        )
    return failures[0].exit_code if failures else ExitCode.ok
