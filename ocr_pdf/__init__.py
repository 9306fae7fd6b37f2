"""ocr-pdf: turn scanned PDFs into searchable PDFs without touching the original pages."""

__version__ = "0.1.0"

from ocr_pdf.engines import Engine, EngineConfig, OcrEngine, available_engines, get_engine
from ocr_pdf.errors import (
    AuthenticationError,
    BadArgumentsError,
    BadPageData,
    ConfigurationError,
    DigitalSignatureError,
    EncryptedPdfError,
    ExitCode,
    FileAccessError,
    IncompleteAnswerError,
    InputFileError,
    MalformedResponseError,
    MissingDependencyError,
    OcrEngineError,
    OcrPdfError,
    OperationFailedError,
    OutputInvalidError,
    PagesFailedError,
    RateLimitError,
    ServiceConfigurationError,
    ServiceError,
    ServiceResponseError,
    ServiceUnavailableError,
)
from ocr_pdf.models import Line, PageText, Word
from ocr_pdf.options import ConversionOptions, Mode
from ocr_pdf.pipeline import convert, make_searchable
from ocr_pdf.results import ConversionResult, PageResult

__all__ = [
    "AuthenticationError",
    "BadArgumentsError",
    "BadPageData",
    "ConfigurationError",
    "ConversionOptions",
    "ConversionResult",
    "DigitalSignatureError",
    "EncryptedPdfError",
    "Engine",
    "EngineConfig",
    "ExitCode",
    "FileAccessError",
    "IncompleteAnswerError",
    "InputFileError",
    "Line",
    "MalformedResponseError",
    "MissingDependencyError",
    "Mode",
    "OcrEngine",
    "OcrEngineError",
    "OcrPdfError",
    "OperationFailedError",
    "OutputInvalidError",
    "PageResult",
    "PageText",
    "PagesFailedError",
    "RateLimitError",
    "ServiceConfigurationError",
    "ServiceError",
    "ServiceResponseError",
    "ServiceUnavailableError",
    "Word",
    "__version__",
    "available_engines",
    "convert",
    "get_engine",
    "make_searchable",
]
