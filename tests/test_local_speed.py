"""The fast `local` engine: an int8 detector quantized here from the wheel's own (never fetched),
turned pages found from the detected lines before reading (one extra detection, not four
readings), pages read one per thread, and a cache id that names the models used."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ocr_pdf.engines.orientation import LineVote, turn_from_lines
from tests import checks
from tests.pagegen import _TRANSPOSE_CW, Block, PageSpec, _draw

if TYPE_CHECKING:
    from ocr_pdf.engines.local import RapidOcrEngine

has_local = pytest.mark.skipif(
    not __import__("importlib").util.find_spec("rapidocr"), reason="ocr-pdf[local] not installed"
)

PAGE = PageSpec(
    "report",
    (
        Block(60, 50, ("Quarterly Report Summary",), 40),
        Block(60, 170, ("The quick brown fox jumps", "over the lazy dog while", "wizards hex"), 30),
        Block(640, 170, ("Invoice number 4471 due", "on delivery of goods to", "Main Street"), 30),
    ),
    width_in=6,
    height_in=4.5,
    dpi=200,
)


def _wide(upside_down: float, length: float = 300) -> LineVote:
    return LineVote(length, 30, upside_down)


def _tall(upside_down: float, length: float = 300) -> LineVote:
    return LineVote(30, length, upside_down)


def test_turn_from_lines() -> None:
    assert turn_from_lines([]) == (0, True)
    assert turn_from_lines([_wide(0.02), _wide(0.1), _wide(0.05)]) == (0, True)
    assert turn_from_lines([_wide(0.97), _wide(0.9), _wide(0.99)]) == (180, True)
    # Tall lines laid flat counter-clockwise: upright crops mean text running down the page.
    assert turn_from_lines([_tall(0.03), _tall(0.1)]) == (270, True)
    assert turn_from_lines([_tall(0.95), _tall(0.9)]) == (90, True)
    # Long lines outvote short ones; near-square boxes (single characters) do not vote.
    votes = [_wide(0.02, 900), _wide(0.99, 100), _wide(0.99, 100), LineVote(30, 30, 1.0)]
    assert turn_from_lines(votes) == (0, True)
    # The minority direction of lines does not decide the question asked of the classifier.
    assert turn_from_lines([_tall(0.02, 900), _wide(0.99, 200)]) == (270, True)
    # A close vote is reported as unsure, whichever way it leans.
    assert turn_from_lines([_wide(0.45), _wide(0.6)])[1] is False


@has_local
@pytest.mark.slow
def test_int8_models_are_built_here_from_the_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None
) -> None:
    import onnxruntime

    from ocr_pdf.engines import int8, local

    monkeypatch.setenv(int8.ENV, str(tmp_path))
    engine = local.RapidOcrEngine()
    assert engine.precision == "int8-detector"
    built = sorted(p.name for p in tmp_path.glob("*.onnx"))
    # The int8 detector, and the float recognizer's Latin-only copy (int8.latin_model), each
    # with its SHA-256 beside it.
    assert len(built) == 2 and sorted(p.name for p in tmp_path.glob("*.sha256")) == [
        f"{name}.sha256" for name in built
    ]
    det, latin = built
    assert det.startswith("PP-OCRv6_det_small.int8-") and ".latin-" in latin, built
    for name in built:  # both load; only the detector holds 8-bit weights
        session = onnxruntime.InferenceSession(str(tmp_path / name))
        assert session.get_inputs()[0].name == "x"
        assert (b"DequantizeLinear" in (tmp_path / name).read_bytes()) == (name == det)
        assert name in engine.cache_id
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    local.RapidOcrEngine()  # a second engine reuses the models as they are
    assert {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == stamps
    image, blocks = _draw(PAGE)
    text = " ".join(engine.recognize(image).text.split())
    expected = " ".join(" ".join(t for t, _ in line) for b in blocks for line in b)
    assert checks.cer(text, expected) < 0.02, text


@has_local
def test_unwritable_models_folder_falls_back_to_the_float_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ocr_pdf.engines import int8, local, localmodels

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(int8.ENV, str(blocker / "models"))
    engine = local.RapidOcrEngine()
    assert engine.precision == "float"
    assert "float models" in caplog.text
    assert localmodels.DET_MODEL in engine.cache_id and localmodels.REC_MODEL in engine.cache_id
    image, _ = _draw(PAGE)
    assert "Quarterly Report Summary" in engine.recognize(image).text


@has_local
def test_cache_id_names_the_models_and_settings() -> None:
    from ocr_pdf.engines import local

    fast, exact = local.RapidOcrEngine(), local.RapidOcrEngine(precision="float")
    assert fast.precision == "int8-detector" and exact.precision == "float"
    assert fast.cache_id != exact.cache_id
    assert str(local.DETECTION_SIDE) in fast.cache_id


@pytest.fixture(scope="module")
def engine() -> RapidOcrEngine:
    """One engine (its models loaded once) for the tests that only read with it."""
    from ocr_pdf.engines import local

    return local.RapidOcrEngine()


@has_local
@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_a_turned_page_costs_one_extra_detection(turn: int, engine: RapidOcrEngine) -> None:
    image, blocks = _draw(PAGE)
    if turn:
        image = image.transpose(_TRANSPOSE_CW[turn])
    before = engine.reads
    page = engine.recognize(image)
    assert engine.reads - before == (2 if turn else 1)
    expected = " ".join(" ".join(t for t, _ in line) for b in blocks for line in b)
    assert checks.cer(" ".join(page.text.split()), expected) < 0.03, page.text
    assert (page.width, page.height) == image.size
    # The words' boxes are on the image as given: inside it, wherever the text runs.
    for word in page.words:
        for x, y in word.quad:
            assert -2 <= x <= image.width + 2 and -2 <= y <= image.height + 2


@has_local
def test_blank_page_is_no_detection_and_no_words(engine: RapidOcrEngine) -> None:
    from PIL import Image

    before = engine.reads
    page = engine.recognize(Image.new("L", (1275, 1650), 255))
    assert page.words == () and engine.reads == before


@has_local
def test_pages_read_in_parallel_threads_match_reading_one_at_a_time(
    engine: RapidOcrEngine,
) -> None:
    assert engine.default_jobs >= 1
    images = [_draw(PAGE)[0], _draw(PAGE)[0].transpose(_TRANSPOSE_CW[180])]
    alone = [engine.recognize(image) for image in images]
    together: list[object] = [None, None]

    def read(i: int) -> None:
        together[i] = engine.recognize(images[i])

    threads = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone


@has_local
def test_a_pages_lines_are_read_on_the_shared_pool_as_one_by_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One page alone keeps every core reading (its lines spread over the line pool), and the
    words are exactly those read one line after another."""
    from ocr_pdf.engines import local, ppocr

    image = _draw(PAGE)[0]
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    one_by_one = local.RapidOcrEngine()
    alone = one_by_one.recognize(image)
    one_by_one.close()
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    engine = local.RapidOcrEngine()
    assert engine.default_jobs == 4
    readers: set[str] = set()
    read = ppocr.Recognizer.probabilities

    def noted(self: ppocr.Recognizer, line: object) -> object:
        readers.add(threading.current_thread().name)
        return read(self, line)  # type: ignore[arg-type]

    monkeypatch.setattr(ppocr.Recognizer, "probabilities", noted)
    assert engine.recognize(image) == alone
    assert readers and all(name.startswith("local-lines") for name in readers)
    engine.close()
    assert engine.recognize(image) == alone  # a closed engine makes its pool again


@has_local
def test_sessions_wait_for_work_without_spinning() -> None:
    """onnxruntime's pool threads spin between layers unless told not to: CPU burnt while the
    other cores have pages and lines to read (two-thread detection cost 60-80% more CPU)."""
    from ocr_pdf.engines import ppocr
    from ocr_pdf.engines.localmodels import CLS_MODEL, models_dir

    options = ppocr.session(models_dir() / CLS_MODEL, 2).get_session_options()
    assert options.get_session_config_entry(ppocr.SPINNING) == "0"
    assert options.intra_op_num_threads == 2
