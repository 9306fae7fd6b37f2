"""The Azure OCR APIs in one table: paths, versions and image limits, used by the engines, by
`ocr-pdf serve` and by the tests (facts and sources: docs/azure.md)."""

from __future__ import annotations

from dataclasses import dataclass

from ocr_pdf.image.encoding import ImageLimits


@dataclass(frozen=True)
class Api:
    """One Azure OCR API.

    ``limits`` are what the service takes on every pricing tier, and what our engines fit page
    images to (the free tier's 4 MB where paid tiers take more); ``accepted_bytes`` is the
    largest body a paid tier takes, which `serve` enforces. ``path`` is the request path
    (``{version}`` filled in for the legacy API); ``results`` the polling path prefix of the
    asynchronous APIs."""

    name: str
    path: str
    limits: ImageLimits
    accepted_bytes: int
    versions: tuple[str, ...] = ()
    results: str = ""


MB = 1_000_000  # Azure's "4 MB": we read it as decimal megabytes, the stricter reading

LEGACY_OCR = Api(
    "ocr",
    "/vision/{version}/ocr",
    # 50..4200 px per side, under 4 MB; 10 MP is the stricter figure some revisions of the
    # docs give, so we honour it too.
    ImageLimits(50, 4200, 4 * MB, 10_000_000, frozenset({"JPEG", "PNG", "GIF", "BMP"})),
    accepted_bytes=4 * MB,
    versions=("v3.2", "v3.1", "v3.0", "v2.1", "v2.0"),
)
LEGACY_DEFAULT_VERSION = "v3.2"
RETIRED = {version: "13 Sep 2026" for version in ("v2.0", "v2.1", "v3.0", "v3.1")}
"""Legacy OCR versions Microsoft retired, and when (Computer Vision 1.0, 2.0, 3.0, 3.1)."""

READ = Api(
    "read",
    "/vision/v3.2/read/analyze",
    # 50..10000 px per side; 4 MB on the free tier (paid: 500 MB): a page fits either way.
    ImageLimits(50, 10000, 4 * MB, formats=frozenset({"JPEG", "PNG", "BMP", "TIFF"})),
    accepted_bytes=500 * MB,
    versions=("v3.2",),
    results="/vision/v3.2/read/analyzeResults/",
)

IMAGE_ANALYSIS = Api(
    "vision",
    "/computervision/imageanalysis:analyze",
    # Over 50x50 and under 16000x16000 px, under 20 MB.
    ImageLimits(
        51,
        15999,
        20 * MB,
        formats=frozenset({"JPEG", "PNG", "GIF", "BMP", "WEBP", "ICO", "TIFF", "MPO"}),
    ),
    accepted_bytes=20 * MB,
    versions=("2023-10-01",),
)

DOCUMENT_INTELLIGENCE = Api(
    "di",
    "/documentintelligence/documentModels/prebuilt-read:analyze",
    # 50..10000 px per side; 4 MB on the free tier (S0: 500 MB).
    ImageLimits(50, 10000, 4 * MB, formats=frozenset({"JPEG", "PNG", "BMP", "TIFF", "HEIF"})),
    accepted_bytes=500 * MB,
    versions=("2024-11-30",),
    results="/documentintelligence/documentModels/prebuilt-read/analyzeResults/",
)
DOCUMENT_VERSIONS = {
    "documentintelligence": ("2024-11-30",),
    "formrecognizer": ("2023-07-31", "2022-08-31"),
}
"""The GA versions of Document Intelligence by the path they are served under: v4.0 under
``/documentintelligence`` (azure-ai-documentintelligence 1.0), v3.1 and v3.0 under
``/formrecognizer`` (azure-ai-formrecognizer 3.3 and 3.2). Their results differ only in
``contentFormat`` (2023-10-31 on) and the searchable PDF (``output=pdf``, 2024-11-30 only)."""
