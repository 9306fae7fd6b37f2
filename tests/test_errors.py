"""Bad input and service trouble: one clear line, the documented exit code, no traceback, no
output file left behind, the input untouched, and never the key."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pikepdf
import pytest

from ocr_pdf.cli import main
from ocr_pdf.errors import ExitCode
from tests.conftest import FAKE_KEY, Service
from tests.pagegen import TruthPage, geometry_specs, make_pdf
from tests.standin import Fault, StandIn

PAGE = geometry_specs()[0]


@pytest.fixture
def scan(tmp_path: Path) -> tuple[Path, list[TruthPage]]:
    data, truths = make_pdf([PAGE])
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    return path, truths


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """The command as a user runs it; with an endpoint, on the legacy OCR engine these tests
    are about (the default Azure engine is tested in test_azure_engines.py)."""
    if "--endpoint" in args and "--engine" not in args:
        args = (*args, "--engine", "azure-ocr")
    rc = main(list(args))
    err = capsys.readouterr().err
    return rc, err


def assert_clean_failure(
    rc: int, err: str, code: ExitCode, folder: Path, inputs: dict[Path, str], *needles: str
) -> None:
    assert rc == code, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("ocr-pdf: error: "), err
    assert "Traceback" not in err and FAKE_KEY not in err
    for needle in needles:
        assert needle in err, err
    for path, digest in inputs.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    left = {p.name for p in folder.iterdir()} - {p.name for p in inputs}
    assert not left, f"left behind: {left}"


def digest(path: Path) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest()}


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content,needle",
    [
        (b"", "empty"),
        (b"hello, I am a text file\n", "not a PDF"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 50, "damaged"),
    ],
)
def test_not_a_usable_pdf(
    content: bytes, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.pdf"
    src.write_bytes(content)
    rc, err = run(capsys, str(src), str(tmp_path / "out.pdf"), "--endpoint", "http://127.0.0.1:9")
    assert_clean_failure(rc, err, ExitCode.input_file, tmp_path, digest(src), needle, str(src))


def test_truncated_pdf(
    scan: tuple[Path, list[TruthPage]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "cut.pdf"
    src.write_bytes(scan[0].read_bytes()[:3000])
    scan[0].unlink()
    rc, err = run(capsys, str(src), str(tmp_path / "out.pdf"), "--endpoint", "http://127.0.0.1:9")
    assert_clean_failure(rc, err, ExitCode.input_file, tmp_path, digest(src), "damaged")


def test_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err = run(capsys, str(tmp_path / "nope.pdf"), str(tmp_path / "out.pdf"))
    assert_clean_failure(rc, err, ExitCode.input_file, tmp_path, {}, "no such file")


@pytest.mark.parametrize("owner_only", [False, True])
def test_encrypted_pdf(
    owner_only: bool,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "locked.pdf"
    with pikepdf.open(scan[0]) as pdf:
        pdf.save(src, encryption=pikepdf.Encryption(user="" if owner_only else "pw", owner="own"))
    scan[0].unlink()
    rc, err = run(capsys, str(src), str(tmp_path / "out.pdf"), "--endpoint", "http://127.0.0.1:9")
    assert_clean_failure(rc, err, ExitCode.encrypted_pdf, tmp_path, digest(src), "encrypted")


def test_output_folder_missing(
    scan: tuple[Path, list[TruthPage]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no" / "such" / "out.pdf"
    rc, err = run(capsys, str(scan[0]), str(out), "--endpoint", "http://127.0.0.1:9")
    assert_clean_failure(
        rc, err, ExitCode.file_access_error, tmp_path, digest(scan[0]), "does not exist"
    )


def test_output_is_input(
    scan: tuple[Path, list[TruthPage]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = tmp_path / "." / "scan.pdf"
    rc, err = run(capsys, str(scan[0]), str(same), "--endpoint", "http://127.0.0.1:9")
    assert_clean_failure(rc, err, ExitCode.bad_args, tmp_path, digest(scan[0]), "must not be")


@pytest.mark.parametrize(
    "args,code,needle",
    [
        (["--engine", "azure-ocr"], ExitCode.invalid_config, "needs an endpoint"),
        (["--endpoint", "http://ocr.example.com"], ExitCode.invalid_config, "plain http"),
        (["--endpoint", "not a url"], ExitCode.invalid_config, "not a URL"),
        (
            ["--endpoint", "http://127.0.0.1:9", "--api-version", "v9"],
            ExitCode.invalid_config,
            "--api-version",
        ),
        (["--endpoint", "http://127.0.0.1:9", "-l", "xx"], ExitCode.invalid_config, "language"),
        (["--engine", "nonsense"], ExitCode.invalid_config, "unknown OCR engine"),
        (["--endpoint", "http://127.0.0.1:9", "--pages", "2"], ExitCode.bad_args, "only 1 page"),
        (["--endpoint", "http://127.0.0.1:9", "--pages", "x-y"], ExitCode.bad_args, "--pages"),
        (["--endpoint", "http://127.0.0.1:9", "--dpi", "5"], ExitCode.bad_args, "--dpi"),
    ],
)
def test_bad_settings(
    args: list[str],
    code: ExitCode,
    needle: str,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AZURE_VISION_ENDPOINT", raising=False)
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    rc, err = run(capsys, str(scan[0]), str(tmp_path / "out.pdf"), *args)
    assert_clean_failure(rc, err, code, tmp_path, digest(scan[0]), needle)


def test_missing_key(
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AZURE_VISION_KEY", raising=False)
    rc, err = run(
        capsys,
        str(scan[0]),
        str(tmp_path / "out.pdf"),
        "--endpoint",
        "https://x.cognitiveservices.azure.com",
    )
    assert_clean_failure(
        rc, err, ExitCode.invalid_config, tmp_path, digest(scan[0]), "AZURE_VISION_KEY"
    )


def test_usage_error_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["only-one-argument.pdf"]) == ExitCode.bad_args
    assert main(["a.pdf", "b.pdf", "--dpi", "many"]) == ExitCode.bad_args


# -- service trouble, replayed from cassettes recorded against the stand-in ------------------

V32 = {
    "error": {
        "code": "InvalidArgument",
        "innererror": {"code": "InvalidImageSize", "message": "Input image is too large."},
        "message": "Input image is too large.",
    }
}
LANG = {
    "error": {
        "code": "InvalidArgument",
        "innererror": {
            "code": "NotSupportedLanguage",
            "message": "The provided language is not supported.",
        },
        "message": "x",
    }
}
QUOTA = {"error": {"code": "429", "message": "Rate limit is exceeded. Try again in 86400 seconds."}}
F0 = {
    "error": {
        "code": "429",
        "message": "Requests to the OCR Operation under Computer Vision "
        "API (v3.2) have exceeded rate limit of your current ComputerVision F0 pricing tier. "
        "Please retry after 1 seconds. To increase your rate limit switch to a paid tier.",
    }
}
BUSY = {"error": {"code": "InternalServerError", "message": "An internal error has occurred."}}


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize(
    "name,faults,args,code,needle",
    [
        ("image-size", [Fault(400, V32)], [], ExitCode.ocr_engine_error, "InvalidImageSize"),
        ("language", [Fault(400, LANG)], ["-l", "sk"], ExitCode.invalid_config, "-l unk"),
        (
            "forbidden",
            [Fault(403, {"error": {"code": "403", "message": "Out of call volume quota."}})],
            [],
            ExitCode.invalid_config,
            "call volume",
        ),
        ("quota", [Fault(429, QUOTA)], [], ExitCode.ocr_engine_error, "86400"),
        (
            "quota-header",
            [Fault(429, QUOTA, {"Retry-After": "86400"})],
            [],
            ExitCode.ocr_engine_error,
            "86400",
        ),
        ("server-down", [Fault(500, BUSY)] * 5, [], ExitCode.ocr_engine_error, "HTTP 500"),
        (
            "not-json",
            [Fault(200, b"<html>gateway</html>")] * 3,  # asked three times
            [],
            ExitCode.ocr_engine_error,
            "not JSON",
        ),
        (
            "odd-json",
            [Fault(200, {"regions": {"oops": 1}})],
            [],
            ExitCode.ocr_engine_error,
            "unexpected /ocr response",
        ),
    ],
)
def test_service_errors(
    name: str,
    faults: list[Fault],
    args: list[str],
    code: ExitCode,
    needle: str,
    service: Service,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    service.register(scan[1])
    service.fault(*faults)
    rc, err = run(
        capsys, str(scan[0]), str(tmp_path / "out.pdf"), "--endpoint", service.endpoint, *args
    )
    assert_clean_failure(rc, err, code, tmp_path, digest(scan[0]), needle, "page 1")


@pytest.mark.vcr
@pytest.mark.azure
def test_wrong_key(
    service: Service,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", "not-" + FAKE_KEY)
    rc, err = run(
        capsys, str(scan[0]), str(tmp_path / "out.pdf"), "--endpoint", service.endpoint, "-v"
    )
    # -v prints the traceback too: the key must not be in it either.
    assert rc == ExitCode.invalid_config
    assert "access denied" in err and "AZURE_VISION_KEY" in err
    assert FAKE_KEY not in err


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize(
    "version,needle", [("v2.1", "retired it on 13 Sep 2026"), ("v3.2", "check --endpoint")]
)
def test_not_found(
    version: str,
    needle: str,
    service: Service,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if service.standin:
        service.standin.retired.add("v2.1")
    endpoint = service.endpoint + ("/wrong/prefix" if version == "v3.2" else "")
    rc, err = run(
        capsys,
        str(scan[0]),
        str(tmp_path / "out.pdf"),
        "--endpoint",
        endpoint,
        "--api-version",
        version,
    )
    assert_clean_failure(rc, err, ExitCode.invalid_config, tmp_path, digest(scan[0]), needle)


@pytest.mark.vcr
@pytest.mark.azure
@pytest.mark.parametrize(
    "name,faults",
    [
        ("retry-after-header", [Fault(429, F0, {"Retry-After": "1"})]),
        ("wait-in-message", [Fault(429, F0)]),
        (
            "no-wait-named",
            [Fault(429, {"error": {"code": "429", "message": "Too many requests."}})],
        ),
        ("flaky-server", [Fault(503, BUSY), Fault(502, BUSY)]),
    ],
)
def test_transient_trouble_is_ridden_out(
    name: str,
    faults: list[Fault],
    service: Service,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fast_retries: None,
) -> None:
    service.register(scan[1])
    service.fault(*faults)
    out = tmp_path / "out.pdf"
    rc, err = run(capsys, str(scan[0]), str(out), "--endpoint", service.endpoint)
    assert rc == 0, err
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 1


# -- faults a cassette cannot hold: live against the loopback stand-in ------------------------


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
@pytest.mark.slow
def test_timeout(
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,
) -> None:
    # Every request is held unanswered until the test ends: each call runs out its 0.5 s,
    # however slowly a busy machine runs the client (an answer after 1.5 s could beat it).
    with StandIn(key=FAKE_KEY, pages=scan[1], hold_after=0) as standin:
        monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
        rc, err = run(
            capsys,
            str(scan[0]),
            str(tmp_path / "out.pdf"),
            "--endpoint",
            standin.endpoint,
            "--timeout",
            "0.5",
        )
    assert_clean_failure(rc, err, ExitCode.ocr_engine_error, tmp_path, digest(scan[0]), "timeout")


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_nothing_listening(
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,
) -> None:
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    rc, err = run(
        capsys, str(scan[0]), str(tmp_path / "out.pdf"), "--endpoint", "http://127.0.0.1:9"
    )
    assert_clean_failure(
        rc, err, ExitCode.ocr_engine_error, tmp_path, digest(scan[0]), "cannot reach"
    )


def test_no_engine_available(
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ocr_pdf import engines

    monkeypatch.delenv("AZURE_VISION_ENDPOINT", raising=False)
    monkeypatch.setattr(engines, "local_engine_installed", lambda: False)
    rc, err = run(capsys, str(scan[0]), str(tmp_path / "out.pdf"))
    assert_clean_failure(
        rc,
        err,
        ExitCode.missing_dependency,
        tmp_path,
        digest(scan[0]),
        "ocr-pdf[local]",
        "AZURE_VISION_ENDPOINT",
    )


def test_every_exception_is_in_errors_and_exported() -> None:
    """One exception module, every class in the public API; a wrong key or endpoint is a
    configuration error, so `except ConfigurationError` (the README's "stop the batch") catches
    it, and it still carries the service's status and request id."""
    import inspect

    import ocr_pdf
    from ocr_pdf import errors

    classes = {
        name
        for name, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, Exception) and value.__module__ == errors.__name__
    }
    assert classes <= set(ocr_pdf.__all__)
    assert issubclass(ocr_pdf.AuthenticationError, ocr_pdf.ConfigurationError)
    assert issubclass(ocr_pdf.ServiceConfigurationError, ocr_pdf.ConfigurationError)
    assert issubclass(ocr_pdf.AuthenticationError, ocr_pdf.ServiceError)
    err = ocr_pdf.AuthenticationError("denied", status=401, request_id="r-1")
    assert err.exit_code == ExitCode.invalid_config and err.status == 401
    defines_exception = re.compile(r"^class \w+\([\w.]*(Exception|Error)\b", re.M)
    for path in Path(errors.__file__).parent.rglob("*.py"):
        if path.name == "errors.py":
            continue
        assert not defines_exception.search(path.read_text()), path


@pytest.mark.vcr
@pytest.mark.azure
def test_a_wrong_key_is_caught_as_a_configuration_error(
    service: Service,
    scan: tuple[Path, list[TruthPage]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's document-management example stops the batch on a wrong key."""
    import ocr_pdf

    monkeypatch.setenv("AZURE_VISION_KEY", "not-" + FAKE_KEY)
    with pytest.raises(ocr_pdf.ConfigurationError) as caught:
        ocr_pdf.make_searchable(scan[0], tmp_path / "out.pdf", endpoint=service.endpoint)
    assert isinstance(caught.value, ocr_pdf.AuthenticationError)
    assert caught.value.status == 401
    assert not (tmp_path / "out.pdf").exists()
