"""The /ocr parser on every real and documented response in tests/fixtures/azure-reference, its
geometry against the contract, and its refusal of malformed bodies."""

from __future__ import annotations

import contextlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from ocr_pdf.azure.envelope import parse_error
from ocr_pdf.azure.legacy_ocr import parse_ocr_result
from ocr_pdf.errors import ServiceResponseError
from ocr_pdf.models import quad_angle, quad_bounds
from tests.conftest import REFERENCE

OCR_FILES = sorted(REFERENCE.glob("ocr-*.json"))
ERROR_FILES = sorted(REFERENCE.glob("*error*.json"))


def load(name: str) -> Any:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", OCR_FILES, ids=lambda p: p.name)
def test_every_reference_response_parses(path: Path) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    page = parse_ocr_result(payload, 1000, 1000)
    expected = [w["text"] for r in payload["regions"] for ln in r["lines"] for w in ln["words"]]
    assert sorted(w.text for w in page.words) == sorted(expected)


def test_signage_boxes_turn_back_onto_the_read_quads() -> None:
    """The same photo (250x258) went to /ocr (textAngle -2.9 deg, boxes in the rotated frame)
    and to Read 3.2 (quads on the original image). Turned back by -textAngle, the /ocr boxes
    must land where Read saw the words: an independent check of the rotation's direction."""
    page = parse_ocr_result(load("ocr-v2.1-signage-stream.json"), 250, 258)
    read = load("read-v3.2-signage-succeeded.json")["analyzeResult"]["readResults"][0]
    read_quads = {w["text"]: w["boundingBox"] for ln in read["lines"] for w in ln["words"]}
    for word in page.words:
        bb = read_quads[word.text]
        rx0, ry0, rx1, ry1 = min(bb[0::2]), min(bb[1::2]), max(bb[0::2]), max(bb[1::2])
        x0, y0, x1, y1 = quad_bounds(word.quad)
        inter = max(0, min(x1, rx1) - max(x0, rx0)) * max(0, min(y1, ry1) - max(y0, ry0))
        union = (x1 - x0) * (y1 - y0) + (rx1 - rx0) * (ry1 - ry0) - inter
        assert inter / union > 0.6, word.text
    # Turning back the other way (the classic mistake) would give a worse fit for Seattle:
    seattle = next(w for w in page.words if w.text == "Seattle")
    assert quad_angle(seattle.quad) == pytest.approx(2.9, abs=0.05)


def test_reading_order_fixes_service_order() -> None:
    # The service lists WEST (y=33) before 520 (x=65, y=45); both are one region, read by line.
    page = parse_ocr_result(load("ocr-v2.1-signage-stream.json"), 250, 258)
    assert page.text.split("\n") == ["WEST", "520", "Seattle"]


def test_cjk_characters_join_without_spaces() -> None:
    page = parse_ocr_result(load("ocr-v1.0-zh-hans-cigarette-pack-thirdparty.json"), 300, 450)
    assert page.text.split("\n") == ["南京", "吸烟有害健康", "尽早戒烟有益健康"]


def test_orientation_names_the_text_top_left_corner() -> None:
    body = {
        "textAngle": 0.0,
        "regions": [{"lines": [{"words": [{"boundingBox": "10,20,30,100", "text": "side"}]}]}],
    }
    corners = {}
    for orientation, angle in (("Up", 0), ("Right", 90), ("Down", 180), ("Left", -90)):
        page = parse_ocr_result({**body, "orientation": orientation}, 200, 200)
        corners[orientation] = page.words[0].quad[0]
        assert quad_angle(page.words[0].quad) == pytest.approx(angle)
    assert corners == {"Up": (10, 20), "Right": (40, 20), "Down": (40, 120), "Left": (10, 120)}


def test_missing_text_angle_means_zero_and_empty_page_is_empty() -> None:
    page = parse_ocr_result(
        {"regions": [{"lines": [{"words": [{"boundingBox": "1,2,3,4", "text": "x"}]}]}]}, 100, 100
    )
    assert page.words[0].quad == ((1, 2), (4, 2), (4, 6), (1, 6))
    assert (
        parse_ocr_result(
            {"language": "unk", "orientation": "NotDetected", "regions": []}, 100, 100
        ).words
        == ()
    )


def test_text_angle_is_radians_clockwise_about_the_centre() -> None:
    # A box centred on the image centre stays centred; its baseline turns by -textAngle.
    body = {
        "textAngle": math.radians(10),
        "orientation": "Up",
        "regions": [{"lines": [{"words": [{"boundingBox": "40,45,20,10", "text": "mid"}]}]}],
    }
    word = parse_ocr_result(body, 100, 100).words[0]
    cx = sum(p[0] for p in word.quad) / 4
    cy = sum(p[1] for p in word.quad) / 4
    assert cx == pytest.approx(50) and cy == pytest.approx(50)
    assert quad_angle(word.quad) == pytest.approx(-10)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "text",
        {"regions": "nope"},
        {"regions": [{"lines": [{"words": [{"text": 1}]}]}]},
        {"regions": [{"lines": [{"words": [{"text": "a", "boundingBox": "1,2,3"}]}]}]},
        {"regions": [{"lines": [{"words": [{"text": "a", "boundingBox": "1,2,x,4"}]}]}]},
        {"regions": [{"lines": [{"words": [{"text": "a", "boundingBox": "1,2,-3,4"}]}]}]},
        {"textAngle": "0.1", "regions": []},
        {"textAngle": float("nan"), "regions": []},
        {"orientation": 3, "regions": []},
        {"regions": [5]},
    ],
)
def test_malformed_bodies_raise_our_error(body: Any) -> None:
    with pytest.raises(ServiceResponseError):
        parse_ocr_result(body, 100, 100)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "regions",
                    "lines",
                    "words",
                    "text",
                    "boundingBox",
                    "textAngle",
                    "orientation",
                    "language",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_either_parses_or_raises_our_error(body: Any) -> None:
    with contextlib.suppress(ServiceResponseError):
        parse_ocr_result(body, 640, 480)


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.name)
def test_error_envelopes(path: Path) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    response = requests.Response()
    response.status_code = record["status"]
    response._content = json.dumps(record["body"]).encode()
    code, message, _ = parse_error(response)
    inner = record["body"]["error"].get("innererror", {})
    assert code == inner.get("code", record["body"]["error"]["code"])
    assert message == record["body"]["error"]["message"]


def test_flat_v2_error_envelope() -> None:
    response = requests.Response()
    response.status_code = 400
    response._content = b'{"code":"InvalidImageSize","message":"Too big.","requestId":"r-1"}'
    assert parse_error(response) == ("InvalidImageSize", "Too big.", "r-1")
