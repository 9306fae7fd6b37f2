"""Int8 copies of the local engine's models, quantized on this machine from the float models in
RapidOCR's wheel (onnxruntime.quantization; nothing is downloaded) and kept in the user cache.

Only the detector runs int8 by default (see :mod:`ocr_pdf.engines.local`): its int8 copy takes
a third of the float one's time and finds the same lines, while the int8 recognizer lost words
on real scans (receipts, old print), so it is kept only for comparison
(``OCR_PDF_LOCAL_PRECISION=int8``). Models are quantized statically (QDQ, per-channel int8
weights, uint8 activations) with ranges calibrated on pages and lines drawn here with Pillow's
own font, so every machine derives the same model from the same wheel. Weights use 7 of their
8 bits (``reduce_range``): x86 CPUs without VNNI multiply uint8 by int8 in pairs summed into
16 bits, which saturates with full-range weights, so that one CPU read a blank page as "1"
where another read nothing; with 7-bit weights no sum can saturate, and the integer arithmetic
is exact, the same on every CPU.

A model is built once, the first time the engine runs, written atomically beside a file
holding its SHA-256 (checked on every start: a truncated or garbled copy is rebuilt, with a
warning), and named by the SHA-256 of its float source and ``RECIPE``, so a new wheel or a new
recipe builds anew (and the stale copy is removed)."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ocr_pdf.engines.scripts import is_latin
from ocr_pdf.errors import MissingDependencyError

log = logging.getLogger(__name__)

ENV = "OCR_PDF_MODELS_DIR"
RECIPE = "qdq-u8s8-perchannel-reducerange-minmax-float-sequence-128-lines-v3"
"""Changes whenever the calibration data or the quantization settings change."""
LATIN_RECIPE = "latin-classifier-v2"
"""Changes whenever the Latin character set (ocr_pdf.engines.scripts) changes."""

REC_HEIGHT = 48  # the recognition model's fixed input height
DET_SIDE = 1024  # detector calibration pages: longer side, pixels (x 3/4 also a multiple of 32)

_WORDS = (
    "the of and to in is was for on that with as by at from his her which an be this are "
    "Invoice Total Amount Date Name Street Road Company Office Report Page Table Section Account "
    "received payment order quantity price balance number county parish council river market "
    "January February April June September December Monday Thursday Saturday London Paris Bern "
    "über straße café garçon niño Zürich São"
).split()


Announce = Callable[[Path], None]
"""Told the models folder before a model is built there (the engine says so, once)."""


def _quiet(folder: Path) -> None:
    pass


def models_folder() -> Path:
    """$OCR_PDF_MODELS_DIR, else ``models`` in the platform's user cache folder."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("ocr-pdf", appauthor=False)) / "models"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def int8_path(source: Path, folder: Path | None = None) -> Path:
    """Where the int8 copy of float model ``source`` is kept."""
    tag = hashlib.sha256(f"{file_digest(source)}|{RECIPE}".encode()).hexdigest()[:16]
    return (folder or models_folder()) / f"{source.stem}.int8-{tag}.onnx"


def latin_path(source: Path, folder: Path | None = None) -> Path:
    """Where the Latin-only copy of recognizer ``source`` is kept."""
    tag = hashlib.sha256(f"{file_digest(source)}|{LATIN_RECIPE}".encode()).hexdigest()[:16]
    return (folder or models_folder()) / f"{source.stem}.latin-{tag}.onnx"


def ready(target: Path) -> bool:
    """Whether ``target`` is there whole: its bytes match the SHA-256 written beside it when it
    was built. A damaged copy (a truncated or garbled file, a lost digest) is removed, with a
    warning, so that it is built again."""
    digest = _digest_file(target)
    if not target.is_file() and not digest.is_file():
        return False
    try:
        if digest.read_text().strip() == file_digest(target):
            return True
    except OSError:
        pass
    log.warning(
        "the cached model %s is damaged (truncated, altered or incomplete): building it again",
        target,
    )
    target.unlink(missing_ok=True)
    digest.unlink(missing_ok=True)
    return False


def int8_model(
    source: Path, kind: str, folder: Path | None = None, announce: Announce = _quiet
) -> Path:
    """The int8 copy of float model ``source`` (``kind`` "rec" or "det"), built into ``folder``
    (default :func:`models_folder`) when not there whole. Raises MissingDependencyError when
    the ``onnx`` package that onnxruntime's quantizer needs is missing, OSError when the folder
    cannot be written. ``announce`` is called with the folder before anything is built."""
    target = int8_path(source, folder)
    if ready(target):
        return target
    onnx = _onnx()  # onnxruntime.quantization needs it
    target.parent.mkdir(parents=True, exist_ok=True)
    announce(target.parent)
    log.info("building the int8 copy of %s in %s (once)", source.name, target.parent)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as work:
        model = onnx.load(str(_quantize(source, kind, Path(work))))
    _publish(model, target, f"{source.stem}.int8-*.onnx")
    return target


def latin_model(source: Path, folder: Path | None = None, announce: Announce = _quiet) -> Path:
    """A copy of recognizer ``source`` whose classifier keeps only the characters of Latin
    script (:func:`ocr_pdf.engines.scripts.is_latin`), CTC's blank and the space: 898 of its
    18 710. The classifier (a matrix product over every character for each of a line's
    columns, then a softmax) was a fifth of the recognizer's time; for a Latin page the
    other characters only ever add misreadings (a CJK comma for a Latin one). Built into
    ``folder`` once, like :func:`int8_model`."""
    target = latin_path(source, folder)
    if ready(target):
        return target
    onnx = _onnx()
    from onnx import numpy_helper

    target.parent.mkdir(parents=True, exist_ok=True)
    announce(target.parent)
    model = onnx.load(str(source))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    matmul = [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights][-1]
    add = next(n for n in graph.node if n.op_type == "Add" and matmul.output[0] in n.input)
    bias = next(name for name in add.input if name in weights)
    meta = next(p for p in model.metadata_props if p.key == "character")
    listed = meta.value.splitlines()
    # Outputs: CTC's blank, the listed characters, then the space.
    keep = [0, *(i + 1 for i, ch in enumerate(listed) if len(ch) == 1 and is_latin(ch))]
    keep.append(len(listed) + 1)
    for name, axis in ((matmul.input[1], 1), (bias, 0)):
        array = numpy_helper.to_array(weights[name]).take(keep, axis=axis)
        weights[name].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(array), name))
    meta.value = "\n".join(listed[i - 1] for i in keep[1:-1])
    _publish(model, target, f"{source.stem}.latin-*.onnx")
    return target


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError(
            "deriving the local engine's models needs the onnx package: "
            "pip install '.[local]' in a checkout of ocr-pdf ('ocr-pdf[local]' from an index)"
        ) from None
    return onnx


def _digest_file(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _publish(model: Any, target: Path, pattern: str) -> None:
    """Write ``model`` to ``target`` and its SHA-256 beside it, each atomically (a concurrent
    run sees no half-written file), and remove the copies of older wheels or recipes matching
    ``pattern``."""
    onnx = _onnx()
    folder = target.parent
    with tempfile.TemporaryDirectory(dir=folder, prefix=".build-") as work:
        built, digest = Path(work) / target.name, Path(work) / "digest"
        onnx.save(model, str(built))
        digest.write_text(file_digest(built) + "\n")
        os.replace(built, target)
        os.replace(digest, _digest_file(target))
    for stale in folder.glob(pattern):
        if stale != target:
            stale.unlink(missing_ok=True)
            _digest_file(stale).unlink(missing_ok=True)


def _quantize(source: Path, kind: str, work: Path) -> Path:
    import onnx
    from onnx import version_converter

    from ocr_pdf.engines.ppocr import runtime

    runtime()  # onnxruntime's first import: with its telemetry off
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # The wheel's models are opset 11; per-channel QDQ needs opset 13 or later.
    upgraded, prepared, out = work / "opset.onnx", work / "pre.onnx", work / "int8.onnx"
    onnx.save(version_converter.convert_version(onnx.load(str(source)), 17), str(upgraded))
    quant_pre_process(str(upgraded), str(prepared), skip_symbolic_shape=True)
    graph = onnx.load(str(prepared)).graph
    input_name = graph.input[0].name
    samples = rec_calibration() if kind == "rec" else det_calibration()

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.items = iter(samples)

        def get_next(self) -> dict[str, Any] | None:
            item = next(self.items, None)
            return None if item is None else {input_name: item}

    quantize_static(
        str(prepared),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        reduce_range=True,  # 7-bit weights: no CPU's 16-bit pair sums saturate (see above)
        nodes_to_exclude=_kept_float(graph) if kind == "rec" else [],
    )
    return out


def _kept_float(graph: Any) -> list[str]:
    """Nodes of the recognition model left in float: its sequence part (from the first MatMul
    on: attention, layer norms, GELU, the classifier over 18 710 characters and its softmax),
    except the convolutions there. Quantizing them too saved 10% more time but dropped
    letters on faded and low-contrast lines (Office read as Ofice)."""
    nodes = list(graph.node)
    first = next((i for i, n in enumerate(nodes) if n.op_type == "MatMul"), len(nodes))
    return [n.name for n in nodes[first:] if n.op_type != "Conv"]


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size)  # Pillow's own font: the same on every machine
    assert isinstance(font, ImageFont.FreeTypeFont)
    return font


def _phrase(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 9)):
        roll = rng.random()
        if roll < 0.7:
            word = rng.choice(_WORDS)
            parts.append(word.upper() if rng.random() < 0.1 else word)
        elif roll < 0.85:
            parts.append(f"{rng.randint(0, 9999)}{rng.choice(('', '.', ',', '.00', '%'))}")
        else:
            parts.append(rng.choice(("-", "(a)", "No.", "12/03/1987", "$45.10", "#7", "§ 4;")))
    return " ".join(parts)


def _line_image(rng: random.Random) -> Image.Image:
    """One text line as the detector would crop it: dark-ish ink on light-ish paper, some
    blur and grain, a little margin around the text."""
    size = rng.randint(14, 44)
    font = _font(size)
    text = _phrase(rng)
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    pad_x, pad_y = rng.randint(2, size // 2), rng.randint(2, size // 3)
    paper, ink = rng.randint(170, 255), rng.randint(0, 120)
    image = Image.new("L", (right - left + 2 * pad_x, bottom - top + 2 * pad_y), paper)
    ImageDraw.Draw(image).text(
        (pad_x - left, pad_y - top), text, font=font, fill=ink, stroke_width=rng.choice((0, 0, 1))
    )
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    return _grain(image, rng, rng.uniform(0, 16))


def _grain(image: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, sigma, image.size[::-1])
    pixels = np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def normalize(rgb: np.ndarray) -> np.ndarray:
    """HWC uint8 RGB to the models' CHW float input, scaled to [-1, 1]."""
    scaled: np.ndarray = ((rgb.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
    return scaled


def rec_calibration(count: int = 128, seed: int = 1) -> Iterator[np.ndarray]:
    """Recognition inputs (1 x 3 x 48 x W) of generated text lines."""
    rng = random.Random(seed)
    for _ in range(count):
        line = _line_image(rng).convert("RGB")
        width = max(REC_HEIGHT * 320 // 48, round(line.width * REC_HEIGHT / line.height))
        resized = line.resize((width, REC_HEIGHT), Image.Resampling.BILINEAR)
        yield normalize(np.asarray(resized))[None]


def det_calibration(count: int = 6, seed: int = 2) -> Iterator[np.ndarray]:
    """Detection inputs (1 x 3 x H x W, sides multiples of 32) of generated pages: paragraphs,
    a ruled table, a grey band, at several text sizes."""
    rng = random.Random(seed)
    for n in range(count):
        width, height = (DET_SIDE * 3 // 4, DET_SIDE) if n % 3 else (DET_SIDE, DET_SIDE * 3 // 4)
        page = Image.new("L", (width, height), rng.randint(200, 255))
        draw = ImageDraw.Draw(page)
        y = rng.randint(10, 60)
        while y < height - 40:
            size = rng.randint(8, 30)
            font = _font(size)
            if rng.random() < 0.15:
                draw.rectangle((20, y, width - 20, y + size + 8), fill=rng.randint(190, 230))
            if rng.random() < 0.15:
                draw.line((20, y + size + 6, width - 20, y + size + 6), fill=60)
            x = rng.randint(10, 80)
            draw.text((x, y), _phrase(rng), font=font, fill=rng.randint(0, 120))
            if rng.random() < 0.4:
                draw.text((width // 2 + 10, y), _phrase(rng), font=font, fill=rng.randint(0, 120))
            y += int(size * rng.uniform(1.3, 2.2))
        page = _grain(page.filter(ImageFilter.GaussianBlur(rng.uniform(0, 0.8))), rng, 6)
        yield normalize(np.asarray(page.convert("RGB")))[None]
