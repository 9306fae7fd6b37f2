"""Read 3.2, Image Analysis 4.0 and Document Intelligence: parsers on the real responses in
tests/fixtures/azure-reference, polling and its failures through cassettes, shared transport
rules."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr_pdf.azure.document_intelligence import parse_analyze_result
from ocr_pdf.azure.image_analysis import parse_image_analysis
from ocr_pdf.azure.polling import same_service as _same_service
from ocr_pdf.azure.read import parse_read_result
from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode, ServiceResponseError
from tests import checks
from tests.conftest import FAKE_KEY, REFERENCE, Service
from tests.pagegen import geometry_specs, make_pdf
from tests.standin import Fault


def load(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name", ["read-v3.2-signage-succeeded.json", "read-v3.2-signage-natural-succeeded.json"]
)
def test_read_signage_both_key_spellings(name: str) -> None:
    page = parse_read_result(load(name), 250, 258)
    assert sorted(page.text.split("\n")) == ["520", "Seattle", "WEST"]
    west = next(w for w in page.words if w.text == "WEST")
    assert west.quad == ((122, 32), (199, 36), (197, 58), (120, 53))
    assert west.confidence == pytest.approx(0.994)
    assert page.angle == pytest.approx(2.2026)


def test_read_whiteboard_handwriting() -> None:
    body = load("read-v3.2-whiteboard-stream-succeeded.json")
    page = parse_read_result(body, 500, 332)  # sent at half size: quads scale with it
    result = body["analyzeResult"]["readResults"][0]
    expected = [w["text"] for ln in result["lines"] for w in ln["words"]]
    assert sorted(w.text for w in page.words) == sorted(expected)
    first = result["lines"][0]["words"][0]
    word = next(w for w in page.words if w.text == first["text"])
    assert word.quad[0] == pytest.approx((first["boundingBox"][0] / 2, first["boundingBox"][1] / 2))


@pytest.mark.parametrize(
    "name",
    [
        "imageanalysis-4.0-2023-10-01-sample-all-features.json",
        "imageanalysis-4.0-docs-handwritten-note.json",
    ],
)
def test_image_analysis_reference(name: str) -> None:
    body = load(name)
    meta = body["metadata"]
    page = parse_image_analysis(body, meta["width"], meta["height"])
    expected = [
        w["text"] for b in body["readResult"]["blocks"] for ln in b["lines"] for w in ln["words"]
    ]
    assert sorted(w.text for w in page.words) == sorted(expected)
    assert all(w.confidence is not None for w in page.words)


def test_image_analysis_zero_or_many_blocks() -> None:
    assert parse_image_analysis({"readResult": {"blocks": []}}, 100, 100).words == ()
    assert parse_image_analysis({"modelVersion": "x"}, 100, 100).words == ()
    word = {
        "text": "a",
        "boundingPolygon": [{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 9, "y": 5}, {"x": 1, "y": 5}],
    }
    two = {"readResult": {"blocks": [{"lines": [{"text": "a", "words": [word]}]}] * 2}}
    assert len(parse_image_analysis(two, 100, 100).words) == 2


def test_document_intelligence_words_join_their_lines() -> None:
    body = {
        "status": "succeeded",
        "analyzeResult": {
            "pages": [
                {
                    "pageNumber": 1,
                    "angle": 0,
                    "width": 200,
                    "height": 100,
                    "unit": "pixel",
                    "words": [
                        {
                            "content": "Hello",
                            "polygon": [10, 10, 50, 10, 50, 20, 10, 20],
                            "confidence": 0.9,
                            "span": {"offset": 0, "length": 5},
                        },
                        {
                            "content": "world",
                            "polygon": [60, 10, 100, 10, 100, 20, 60, 20],
                            "confidence": 0.8,
                            "span": {"offset": 6, "length": 5},
                        },
                        {
                            "content": "below",
                            "polygon": [10, 40, 50, 40, 50, 50, 10, 50],
                            "confidence": 0.7,
                            "span": {"offset": 12, "length": 5},
                        },
                    ],
                    "lines": [
                        {
                            "content": "Hello world",
                            "polygon": [10, 10, 100, 10, 100, 20, 10, 20],
                            "spans": [{"offset": 0, "length": 11}],
                        }
                    ],
                }
            ]
        },
    }
    page = parse_analyze_result(body, 400, 200)  # sent at twice the size
    assert page.text == "Hello world\nbelow"
    assert page.words[0].quad == ((20, 20), (100, 20), (100, 40), (20, 40))


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=6),
    lambda c: (
        st.lists(c, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "analyzeResult",
                    "readResults",
                    "pages",
                    "lines",
                    "words",
                    "text",
                    "content",
                    "boundingBox",
                    "polygon",
                    "boundingPolygon",
                    "blocks",
                    "readResult",
                    "width",
                    "height",
                    "metadata",
                    "x",
                    "y",
                    "span",
                    "spans",
                    "offset",
                    "length",
                    "confidence",
                    "angle",
                ]
            ),
            c,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_either_parses_or_raises_our_error(body: Any) -> None:
    for parse in (parse_read_result, parse_image_analysis, parse_analyze_result):
        with contextlib.suppress(ServiceResponseError):
            parse(body, 640, 480)


def test_the_key_goes_only_to_the_endpoint_or_azure() -> None:
    endpoint = "https://mine.cognitiveservices.azure.com"
    assert _same_service("https://mine.cognitiveservices.azure.com/vision/x", endpoint)
    assert _same_service("https://westus.api.cognitive.microsoft.com/vision/x", endpoint)
    assert not _same_service("https://evil.example.com/vision/x", endpoint)
    assert not _same_service("http://westus.api.cognitive.microsoft.com/x", endpoint)
    # Another port of the same host is another server (23.4: a loopback sink got the key).
    assert not _same_service("http://127.0.0.1:9/x", "http://127.0.0.1:5000")
    assert _same_service("http://127.0.0.1:5000/x", "http://127.0.0.1:5000")


# -- through cassettes ---------------------------------------------------------------------

PAGE = geometry_specs()[0]
F0 = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 1 seconds."}}


@pytest.fixture
def scan(tmp_path: Path) -> tuple[Path, list[Any]]:
    data, truths = make_pdf([PAGE])
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    return path, truths


def run(
    capsys: pytest.CaptureFixture[str], service: Service, scan: Path, engine: str, *extra: str
) -> tuple[int, str, Path]:
    out = scan.parent / "out.pdf"
    rc = main(
        [
            str(scan),
            str(out),
            "--engine",
            engine,
            "--endpoint",
            service.endpoint,
            "--dpi",
            "150",
            *extra,
        ]
    )
    return rc, capsys.readouterr().err, out


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize("engine", ["azure-read", "azure-di"])
def test_long_running_operation_is_polled(
    engine: str,
    service: Service,
    scan: tuple[Path, list[Any]],
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    service.register(scan[1])
    if service.standin:
        service.standin.running_polls = 3
    rc, err, out = run(capsys, service, scan[0], engine)
    assert rc == 0, err
    assert checks.page_text(out, 0) == checks.expected_text(scan[1][0])


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize("engine", ["azure-read", "azure-di"])
def test_failed_operation(
    engine: str,
    service: Service,
    scan: tuple[Path, list[Any]],
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    service.register(scan[1])
    if service.standin:
        service.standin.fail_operations = True
    elif service.endpoint.startswith("https"):
        pytest.skip("a failed operation can only be staged on the stand-in")
    rc, err, out = run(capsys, service, scan[0], engine)
    assert rc == ExitCode.ocr_engine_error
    assert "operation failed" in err and "page 1" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize("engine", ["azure-read", "azure-vision", "azure-di"])
def test_wrong_key(
    engine: str,
    service: Service,
    scan: tuple[Path, list[Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", "wrong-" + FAKE_KEY)
    rc, err, out = run(capsys, service, scan[0], engine)
    assert rc == ExitCode.invalid_config and "access denied" in err
    assert FAKE_KEY not in err and not out.exists()


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize("engine", ["azure-read", "azure-vision", "azure-di"])
@pytest.mark.slow
def test_rate_limited_then_success(
    engine: str,
    service: Service,
    scan: tuple[Path, list[Any]],
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    service.register(scan[1])
    service.fault(Fault(429, F0), Fault(429, F0, {"Retry-After": "1"}))
    rc, err, out = run(capsys, service, scan[0], engine)
    assert rc == 0, err
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 1
    assert checks.page_text(out, 0) == checks.expected_text(scan[1][0])


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize("vision_offered", [True, False])
def test_default_azure_engine(
    vision_offered: bool,
    service: Service,
    scan: tuple[Path, list[Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an endpoint and no --engine: Image Analysis 4.0, or legacy OCR v3.2 where the
    resource does not offer 4.0 (404), for the rest of the run."""
    service.register(scan[1])
    if service.standin and not vision_offered:
        service.standin.retired.add("vision")
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", service.endpoint)
    data, truths = make_pdf([PAGE, PAGE])
    service.register(truths)
    src, out = scan[0].parent / "two.pdf", scan[0].parent / "out.pdf"
    src.write_bytes(data)
    rc = main([str(src), str(out), "--dpi", "150", "-j", "1"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert ("legacy OCR API v3.2" in err) is not vision_offered
    for i in (0, 1):
        assert checks.page_text(out, i) == checks.expected_text(truths[i])


def test_recorded_read_operation_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live 202 headers, the live 'running' body and the live result, in the order the
    service sent them, through the same submit/poll code the engine uses."""
    import requests

    from ocr_pdf.azure import polling

    monkeypatch.setattr(polling, "POLL_INTERVAL", 0.0)
    accepted = load("read-v3.2-signage-202-response-headers.json")

    def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        r = requests.Response()
        r.status_code = status
        r._content = json.dumps(body).encode() if body is not None else b""
        r.headers.update(headers or {})
        return r

    replies = [
        reply(202, None, accepted["headers"]),
        reply(200, load("read-v3.2-signage-running.json")),
        reply(200, load("read-v3.2-signage-succeeded.json")),
    ]
    seen: list[str] = []

    class Recorded:
        endpoint = "https://westus.api.cognitive.microsoft.com"

        def url(self, path: str) -> str:
            return self.endpoint + path

        def request(self, method: str, url: str, **kwargs: Any) -> Any:
            seen.append(f"{method} {url}")
            return replies.pop(0)

        def sleep(self, seconds: float) -> None:
            pass

    ops = polling.AsyncOperations(Recorded())  # type: ignore[arg-type]
    location = ops.submit("/vision/v3.2/read/analyze", {}, b"image", "application/octet-stream")
    assert location == accepted["headers"]["Operation-Location"]
    page = parse_read_result(ops.wait(location, "Read"), 250, 258)
    assert sorted(page.text.split("\n")) == ["520", "Seattle", "WEST"]
    assert seen[1:] == [f"GET {location}"] * 2
