"""The pytest plugin users get with ocr-pdf[testing]: record against a service (here the
loopback stand-in), replay with the network blocked, fail clearly on a request not recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import FAKE_KEY
from tests.pagegen import Block, PageSpec, TruthPage, make_pdf
from tests.standin import StandIn

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow  # each test runs pytest again, in a process of its own

USER_TEST = """
import os
import pytest
import ocr_pdf

@pytest.mark.ocr_pdf_cassette
def test_job(tmp_path):
    result = ocr_pdf.make_searchable(os.environ["JOB_PDF"], tmp_path / "out.pdf",
                                     engine="azure-read")
    assert result.pages[0].text == "Invoice number 4471 due"
"""


def job_pdf(folder: Path, line: str) -> tuple[Path, list[TruthPage]]:
    data, truths = make_pdf([PageSpec("job", (Block(40, 40, (line,)),), width_in=4, height_in=3)])
    path = folder / "job.pdf"
    path.write_bytes(data)
    return path, truths


def test_record_then_replay_offline(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_user=USER_TEST)
    pdf, truths = job_pdf(pytester.path, "Invoice number 4471 due")
    monkeypatch.setenv("JOB_PDF", str(pdf))
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        standin.running_polls = 2
        monkeypatch.setenv("AZURE_VISION_ENDPOINT", standin.endpoint)
        monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
        recorded = pytester.runpytest_subprocess(
            "--record-mode=once", "--allowed-hosts=127.0.0.1", "-p", "no:cacheprovider"
        )
    recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_user" / "test_job.yaml"
    text = cassette.read_text()
    assert FAKE_KEY not in text and "Ocp-Apim-Subscription-Key" not in text
    interactions = yaml.safe_load(text)["interactions"]
    assert [i["request"]["method"] for i in interactions] == ["POST", "GET", "GET", "GET"]
    assert str(interactions[0]["request"]["body"]).startswith("sha256:")
    assert all("endpoint.invalid" in i["request"]["uri"] for i in interactions[:1])

    # The stand-in is gone and the network blocked: the cassette alone answers, with no waits.
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://example.cognitiveservices.azure.com")
    monkeypatch.setenv("AZURE_VISION_KEY", "another-key")
    replayed = pytester.runpytest_subprocess(
        "--block-network", "-p", "no:cacheprovider", "--durations=1"
    )
    replayed.assert_outcomes(passed=1)


def test_a_request_not_in_the_cassette_fails_loudly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_user=USER_TEST)
    pdf, truths = job_pdf(pytester.path, "Invoice number 4471 due")
    monkeypatch.setenv("JOB_PDF", str(pdf))
    with StandIn(key=FAKE_KEY, pages=truths) as standin:
        monkeypatch.setenv("AZURE_VISION_ENDPOINT", standin.endpoint)
        monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
        pytester.runpytest_subprocess(
            "--record-mode=once", "--allowed-hosts=127.0.0.1"
        ).assert_outcomes(passed=1)
    job_pdf(pytester.path, "A different page altogether")  # another image: another request
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://example.cognitiveservices.azure.com")
    result = pytester.runpytest_subprocess("--block-network")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Can't play back this request*"])


def test_without_a_cassette_nothing_is_called(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_user=USER_TEST)
    pdf, _ = job_pdf(pytester.path, "Invoice number 4471 due")
    monkeypatch.setenv("JOB_PDF", str(pdf))
    monkeypatch.setenv("AZURE_VISION_ENDPOINT", "https://example.cognitiveservices.azure.com")
    monkeypatch.setenv("AZURE_VISION_KEY", FAKE_KEY)
    result = pytester.runpytest_subprocess()  # record mode none by default: no call goes out
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Can't play back this request*"])
