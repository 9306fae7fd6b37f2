"""ocr-pdf: turn scanned PDFs into searchable PDFs without touching the original pages."""

__version__ = "0.1.0"

from ocr_pdf.engines import EngineConfig, OcrEngine, available_engines, get_engine
from ocr_pdf.errors import (
    AuthenticationError,
    BadArgumentsError,
    ConfigurationError,
    DigitalSignatureError,
    EncryptedPdfError,
    ExitCode,
    FileAccessError,
    InputFileError,
    MissingDependencyError,
    OcrEngineError,
    OcrPdfError,
    OutputInvalidError,
    PagesFailedError,
    RateLimitError,
    ServiceConfigurationError,
    ServiceError,
    ServiceResponseError,
    ServiceUnavailableError,
)
from ocr_pdf.models import Line, PageText, Word
from ocr_pdf.pipeline import ConversionResult, PageResult, make_searchable

__all__ = [
    "AuthenticationError",
    "BadArgumentsError",
    "ConfigurationError",
    "ConversionResult",
    "DigitalSignatureError",
    "EncryptedPdfError",
    "EngineConfig",
    "ExitCode",
    "FileAccessError",
    "InputFileError",
    "Line",
    "MissingDependencyError",
    "OcrEngine",
    "OcrEngineError",
    "OcrPdfError",
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
    "get_engine",
    "make_searchable",
]
