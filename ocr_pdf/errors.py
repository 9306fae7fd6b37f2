"""Exceptions raised by the library and the exit codes the CLI maps them to (stdlib only)."""

from __future__ import annotations

import copy
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, numbered as OCRmyPDF numbers them so existing scripts read them."""

    ok = 0
    bad_args = 1
    input_file = 2
    missing_dependency = 3
    invalid_output_pdf = 4
    file_access_error = 5
    already_done_ocr = 6
    ocr_engine_error = 7
    encrypted_pdf = 8
    invalid_config = 9
    cost_limit = 11  # ours: --max-pages refused a document, or --budget ran out
    other_error = 15
    ctrl_c = 130
    closed_pipe = 141  # a Unix tool whose reader went away (128 + SIGPIPE)


EXIT_CODES: tuple[tuple[ExitCode, str, str], ...] = (
    (ExitCode.ok, "ok", "success"),
    (
        ExitCode.bad_args,
        "bad arguments",
        "bad arguments (unknown option, bad page range, output equal to input)",
    ),
    (
        ExitCode.input_file,
        "input file error (also: signed, see --invalidate-digital-signatures)",
        "input file error (missing, not a PDF, damaged beyond repair, no pages, digitally "
        "signed without `--invalidate-digital-signatures`)",
    ),
    (
        ExitCode.missing_dependency,
        "missing dependency",
        "missing dependency (no engine installed, no `tesseract` program or language data, a "
        "model missing from RapidOCR's wheel)",
    ),
    (
        ExitCode.invalid_output_pdf,
        "output invalid",
        "the output failed its own check (nothing written)",
    ),
    (
        ExitCode.file_access_error,
        "file access error",
        "file access error (an output that is a folder, a device or a pipe, or whose folder is "
        "missing or not writable: found before the first call; a full disk)",
    ),
    (
        ExitCode.ocr_engine_error,
        "OCR engine or service error",
        "OCR engine or service error (bad answer, 5xx or 429 after retries, timeout, "
        "unreachable, an operation the service lost: submitted once more, then given up); the "
        "message names every failed page, and the pages read are cached",
    ),
    (
        ExitCode.encrypted_pdf,
        "encrypted PDF",
        "encrypted PDF (decrypt it first, e.g. `qpdf --decrypt`)",
    ),
    (
        ExitCode.invalid_config,
        "invalid configuration (endpoint, key, language, API version)",
        "invalid configuration (no endpoint or key, wrong key: HTTP 401/403, wrong endpoint or "
        "retired API version: 404, unsupported language; the cluster's Redis unreachable)",
    ),
    (
        ExitCode.cost_limit,
        "refused by --max-pages or stopped by --budget",
        "the cost guard: a file over `--max-pages` refused, or `--budget` spent (not in "
        "OCRmyPDF's numbering)",
    ),
    (
        ExitCode.other_error,
        "other error",
        "other error (a bug: please report it with the output of `-v`)",
    ),
    (
        ExitCode.ctrl_c,
        "interrupted",
        "interrupted (Ctrl-C or SIGTERM): no output left, pages already read stay cached",
    ),
    (
        ExitCode.closed_pipe,
        "standard output closed by its reader",
        "standard output was closed by its reader (`ocr-pdf in.pdf - \\| head`): ended "
        "quietly, as any Unix tool",
    ),
)
"""Every exit code ocr-pdf gives, in one place: (code, what the command line's help says,
what the README's table says). The help is made from it, the README checked against it.
``already_done_ocr`` (6) is OCRmyPDF's and never ours."""


class OcrPdfError(Exception):
    """Base of every error this library raises on purpose. ``str(err)`` is one line that says
    what went wrong and how to fix it."""

    exit_code: ExitCode = ExitCode.other_error

    def with_context(self, context: str) -> OcrPdfError:
        """The same error (same class and attributes), its message prefixed with ``context``,
        such as the page it happened on."""
        return self.with_message(f"{context}: {self}")

    def with_message(self, message: str) -> OcrPdfError:
        """The same error (same class and attributes) saying ``message`` instead."""
        clone = copy.copy(self)
        clone.args = (message,)
        return clone


class BadArgumentsError(OcrPdfError):
    """The call itself is wrong (bad page range, output equal to input, ...)."""

    exit_code = ExitCode.bad_args


class InputFileError(OcrPdfError):
    """The input is missing, not a PDF, or damaged beyond repair."""

    exit_code = ExitCode.input_file


class DigitalSignatureError(InputFileError):
    """The input is digitally signed, and adding a text layer would invalidate the signature;
    pass ``invalidate_signatures=True`` (``--invalidate-digital-signatures``) to accept that."""


class MissingDependencyError(OcrPdfError):
    """An optional package or program the chosen engine needs is not installed."""

    exit_code = ExitCode.missing_dependency


class OutputInvalidError(OcrPdfError):
    """The PDF we produced failed its own check; nothing was written."""

    exit_code = ExitCode.invalid_output_pdf


class FileAccessError(OcrPdfError):
    """A file could not be read or written (permissions, missing folder, full disk)."""

    exit_code = ExitCode.file_access_error


class EncryptedPdfError(OcrPdfError):
    """The input is encrypted."""

    exit_code = ExitCode.encrypted_pdf

    @classmethod
    def for_file(cls, path: object, *, owner_password_only: bool = False) -> EncryptedPdfError:
        """The one message for an encrypted input, whichever library found out."""
        if owner_password_only:
            return cls(
                f"{path}: the PDF is encrypted (owner password); writing a text layer would "
                "drop its restrictions, so decrypt it yourself first (qpdf --decrypt in.pdf "
                "out.pdf)"
            )
        return cls(
            f"{path}: the PDF is encrypted with a password; decrypt it first "
            "(e.g. qpdf --decrypt --password=... in.pdf out.pdf)"
        )


class ConfigurationError(OcrPdfError):
    """Settings are missing or wrong: endpoint, key, engine name, language, API version."""

    exit_code = ExitCode.invalid_config


class OcrEngineError(OcrPdfError):
    """The OCR engine failed to read a page."""

    exit_code = ExitCode.ocr_engine_error


class ServiceError(OcrEngineError):
    """An OCR service answered with an error or could not be reached.

    ``status`` is the HTTP status (None when no answer came), ``code`` the service's error
    code, ``request_id`` the id the service gave the request (quote it to support)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.request_id = request_id


class ServiceUnavailableError(ServiceError):
    """No usable answer: connection refused or reset, timeout, or 5xx after every retry."""


class RateLimitError(ServiceError):
    """HTTP 429 that retries could not ride out (or a wait too long to be worth it)."""


class ServiceResponseError(ServiceError):
    """The service answered 2xx with a body we cannot understand."""


class OperationFailedError(ServiceError):
    """An asynchronous operation (Read, Document Intelligence) ended with status "failed"."""


class OperationLostError(ServiceError):
    """A poll of an asynchronous operation answered 404 or 410: the service no longer knows
    the operation (it restarted, or the result expired). A page failure, not a wrong endpoint:
    the submission was accepted, so the page is submitted once more before giving up."""


class PagesFailedError(OcrEngineError):
    """Some pages could not be read (the service kept failing on them) while the others were;
    those are in the cache, so running the same command again reads only the failed pages.

    ``pages`` are the 1-based numbers of the pages that failed, ``not_tried`` those never
    attempted because the run gave up, ``errors`` maps each failed page to its error."""

    def __init__(
        self,
        message: str,
        *,
        pages: tuple[int, ...],
        not_tried: tuple[int, ...] = (),
        errors: dict[int, OcrPdfError] | None = None,
    ) -> None:
        super().__init__(message)
        self.pages = pages
        self.not_tried = not_tried
        self.errors = errors or {}


class MalformedResponseError(ServiceResponseError):
    """A service's JSON did not have the shape its contract promises."""


class IncompleteAnswerError(ServiceResponseError):
    """An answer's body was cut off (the connection reset or timed out mid-body); the
    transport asks again before this reaches a caller."""


class AuthenticationError(ServiceError, ConfigurationError):
    """HTTP 401/403: the key is wrong or not allowed to use this endpoint. A configuration
    error: retrying will not help, fixing the key or endpoint will."""

    exit_code = ExitCode.invalid_config


class ServiceConfigurationError(ServiceError, ConfigurationError):
    """The service says our settings are wrong: unknown path or retired API version (404/410),
    unsupported language; or it redirected us to another host, where the key must not go."""

    exit_code = ExitCode.invalid_config


class BadPageData(OcrPdfError):
    """A saved page result that does not have our shape (a damaged cache entry, a file that
    was not written by --ocr-json)."""


class CostLimitError(OcrPdfError):
    """The cost guard stopped a document: ``--max-pages`` or ``--budget`` (exit code 11)."""

    exit_code = ExitCode.cost_limit


class PageLimitError(CostLimitError):
    """A document has more pages to OCR than ``max_pages`` allows; it was refused before any
    call. ``pages`` is how many it has to OCR, ``limit`` the cap."""

    def __init__(self, message: str, *, pages: int = 0, limit: int = 0) -> None:
        super().__init__(message)
        self.pages = pages
        self.limit = limit


class BudgetExhaustedError(CostLimitError):
    """The ``budget`` of billable calls is spent: no more calls were made. The pages read are
    cached, so the same run with a new budget pays only for the rest. ``total`` is the
    budget, ``pages_left`` the 1-based numbers of the pages of this document not read."""

    def __init__(self, message: str, *, total: int = 0, pages_left: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.total = total
        self.pages_left = pages_left


class SharedStateError(ConfigurationError):
    """The Redis server that OCR_PDF_REDIS_URL names cannot be reached or refused a command;
    without it, neither the shared rate limit nor the budget can be kept, so no call is
    made."""


class RefusedByWorkerError(ConfigurationError):
    """A cluster task asked a worker for something its own settings do not allow: a path
    outside OCR_PDF_WORKER_ROOTS, an endpoint it was not given, an engine not in
    OCR_PDF_WORKER_ENGINES. Nothing was read, written or sent."""


class RemoteConversionError(OcrPdfError):
    """A document converted by a cluster worker failed there. ``str(err)`` is the worker's
    one-line message, ``exit_code`` the code that error carries, ``kind`` its class name
    (``PagesFailedError``, ``BudgetExhaustedError``, ...)."""

    def __init__(
        self, message: str, exit_code: int = ExitCode.other_error, kind: str = "OcrPdfError"
    ) -> None:
        # Positional, so that Celery can rebuild the error from its stored arguments.
        super().__init__(message, exit_code, kind)
        self.exit_code = ExitCode(exit_code)
        self.kind = kind

    def __str__(self) -> str:
        return str(self.args[0])

    @classmethod
    def of(cls, err: OcrPdfError) -> RemoteConversionError:
        return cls(str(err), int(err.exit_code), type(err).__name__)
