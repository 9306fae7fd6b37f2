"""``ocr-pdf INPUT... OUTPUT``: which files go where, one conversion each, standard input and
output, progress and summaries."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ocr_pdf.cli.arguments import options_from
from ocr_pdf.cli.ocrmypdf_flags import check_ocrmypdf_flags, check_short_r
from ocr_pdf.errors import BadArgumentsError, ExitCode, FileAccessError, OcrPdfError
from ocr_pdf.options import SIDE_OUTPUTS, ConversionOptions
from ocr_pdf.pipeline import convert
from ocr_pdf.results import ConversionResult, DryRun
from ocr_pdf.shared_state import Budget
from ocr_pdf.steps.costs import budget_for, page_list
from ocr_pdf.steps.inputs import into_folder

log = logging.getLogger("ocr_pdf")

STDIO = "-"


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


def _is_folder_target(raw: str, target: Path) -> bool:
    """An output names a folder when it is one, or when it ends with a slash (made if new)."""
    return target.is_dir() or raw.endswith(("/", os.sep))


def pairs(args: argparse.Namespace) -> tuple[list[tuple[Path, Path | None]], int]:
    """(input, output) pairs from the positional paths (output None means in place), and how
    many subfolders of folder inputs were not searched (without --recursive)."""
    paths = [Path(p) for p in args.paths]
    if args.in_place:
        if any(str(p) == STDIO for p in paths):
            raise BadArgumentsError("--in-place needs files, not -")
        return [(p, None) for p in paths], 0
    if len(paths) < 2:
        raise BadArgumentsError("give INPUT and OUTPUT (or --in-place FILE...)")
    *inputs, target = paths
    folder_target = _is_folder_target(args.paths[-1], target) and str(target) != STDIO
    if len(inputs) == 1 and not inputs[0].is_dir() and not folder_target:
        return [(inputs[0], target)], 0
    if str(target) == STDIO or (target.exists() and not target.is_dir()):
        raise BadArgumentsError(f"{target}: with several inputs, OUTPUT must be a folder")
    if any(str(p) == STDIO for p in inputs):
        raise BadArgumentsError("- (standard input) takes one OUTPUT file, not a folder")
    check_short_r(args, inputs)
    return into_folder(inputs, target, args.recursive)


def _refuse_terminal(dst: Path | None) -> None:
    if dst is not None and str(dst) == STDIO and sys.stdout.isatty():
        raise BadArgumentsError(
            "refusing to write a PDF to the terminal: redirect standard output (> out.pdf) or "
            "name an output file"
        )


def _copy_to_stdout(path: Path) -> None:
    """The finished file onto standard output: a full disk is exit 5; a reader that went
    away (``| head``) ends the run quietly, as it does any Unix tool."""
    try:
        with path.open("rb") as f:
            shutil.copyfileobj(f, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise  # the command ends quietly: see ocr_pdf.cli.main
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise FileAccessError(f"standard output: the disk is full ({exc.strerror})") from None
        raise FileAccessError(f"standard output: cannot write ({exc.strerror})") from None


def _convert_one(
    src: Path, dst: Path | None, options: ConversionOptions, progress: Any, budget: Budget | None
) -> ConversionResult:
    """One conversion; ``-`` as input spools stdin to a file, as output writes to stdout."""
    _refuse_terminal(dst)
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-") as spool:
        spooled = str(src) == STDIO
        if spooled:
            src = Path(spool) / "stdin.pdf"
            with src.open("wb") as f:
                shutil.copyfileobj(sys.stdin.buffer, f)
        to_stdout = dst is not None and str(dst) == STDIO
        target = Path(spool) / "stdout.pdf" if to_stdout else dst
        try:
            result = convert(src, target, options, progress, budget=budget)
        except OcrPdfError as err:
            if not spooled:
                raise
            # The spool is ours, not the user's: name what they gave.
            raise err.with_message(str(err).replace(str(src), "standard input")) from None
        if to_stdout and target is not None and result.dry_run is None:
            _copy_to_stdout(target)
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


def _check_compatible(args: argparse.Namespace, todo: list[tuple[Path, Path | None]]) -> None:
    if args.output_type != "pdf":
        raise BadArgumentsError(
            f"--output-type {args.output_type}: ocr-pdf writes pdf only, keeping the original "
            "pages as they are; for PDF/A run ocrmypdf --plugin ocr_pdf.ocrmypdf_plugin"
        )
    given = [flag for name, flag in SIDE_OUTPUTS.items() if getattr(args, name, None)]
    if len(todo) > 1 and given:
        verb = "takes" if len(given) == 1 else "take"
        raise BadArgumentsError(f"{' and '.join(given)} {verb} one input file")
    if args.sidecar == STDIO and any(str(dst) == STDIO for _, dst in todo):
        raise BadArgumentsError("--sidecar - and OUTPUT - cannot both be standard output")
    check_ocrmypdf_flags(args)
    if args.skip_text:
        log.debug("--skip-text: pages with text are left alone, which is our default anyway")


def run_convert(args: argparse.Namespace) -> int:
    """The conversion command: each pair converted, the others going on when one fails."""
    todo, unsearched = pairs(args)
    _check_compatible(args, todo)
    sidecar_to_stdout = args.sidecar == STDIO
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-") as spool:
        sidecar = Path(spool) / "sidecar.txt" if sidecar_to_stdout else args.sidecar
        options = options_from(args, in_place=args.in_place, sidecar=sidecar)
        return convert_each(
            todo, options, args, unsearched, Path(sidecar) if sidecar_to_stdout else None
        )


def naming(err: OcrPdfError, src: object) -> str:
    """The error's line, naming its file once: as the message does, or else in front."""
    message = str(err)
    return message if str(src) in message else f"{src}: {message}"


def convert_each(
    todo: list[tuple[Path, Path | None]],
    options: ConversionOptions,
    args: argparse.Namespace,
    unsearched: int = 0,
    sidecar_to_stdout: Path | None = None,
) -> int:
    """Each pair converted (or, with --dry-run, estimated), the others going on when one
    fails; one line per file and a summary; the exit code of the first failure. Local runs
    and ``enqueue --dry-run`` share it."""
    show_progress = not args.quiet and sys.stderr.isatty()
    failures: list[OcrPdfError] = []
    done = 0
    budget = budget_for(options.budget)  # one budget for every file of the run
    for src, dst in todo:
        try:
            with _progress(show_progress, src.name) as progress:
                result = _convert_one(src, dst, options, progress, budget)
            done += 1
            if result.dry_run is not None:
                print(dry_run_line(str(src), result.dry_run), flush=True)
                continue
            if sidecar_to_stdout is not None:
                _copy_to_stdout(sidecar_to_stdout)
            if not args.quiet:
                name = "stdout" if dst is not None and str(dst) == STDIO else str(result.output)
                print(_summary(result, name), file=sys.stderr)
        except OcrPdfError as err:
            if len(todo) == 1:
                raise
            if args.verbose:
                traceback.print_exc()
            print(f"ocr-pdf: error: {naming(err, src)}", file=sys.stderr, flush=True)
            failures.append(err)
    if (len(todo) > 1 or unsearched) and not args.quiet:
        print(
            closing_line(options.dry_run, done, len(todo), len(failures), unsearched),
            file=sys.stderr,
        )
    return failures[0].exit_code if failures else ExitCode.ok


def closing_line(dry_run: bool, done: int, files: int, failed: int, unsearched: int) -> str:
    """The summary a run over several files ends with (local runs and enqueue alike)."""
    if dry_run:
        line = (
            f"ocr-pdf: dry run: {done} of {files} file(s) checked, {failed} with an error; "
            "nothing was called or written"
        )
    else:
        line = f"ocr-pdf: {done} of {files} file(s) converted, {failed} failed"
    if unsearched:
        line += f"; {unsearched} subfolder(s) not searched (--recursive or -R converts them too)"
    return line
