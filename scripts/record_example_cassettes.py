"""Re-record examples/cassettes against the loopback stand-in (tests/standin.py), which answers
for samples/letter.pdf with what the bundled local engine reads on it. Not Azure: the cassettes
say so in their x-stand-in headers. Against a real resource, run instead:
    AZURE_VISION_ENDPOINT=... AZURE_VISION_KEY=... pytest examples --record-mode=rewrite
Run from the repository root: python scripts/record_example_cassettes.py"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr_pdf.engines.local import RapidOcrEngine  # noqa: E402
from ocr_pdf.pdf.pdfium import Document  # noqa: E402
from tests.standin import StandIn, truth_from_reading  # noqa: E402

with Document(ROOT / "samples" / "letter.pdf") as doc, doc.page(0) as page:
    image = page.render(300)  # what the default Azure engine sends
truth = truth_from_reading("letter", image, RapidOcrEngine().recognize(image))
with StandIn(key="recording-key", pages=[truth]) as standin:
    env = {
        **os.environ,
        "AZURE_VISION_ENDPOINT": standin.endpoint,
        "AZURE_VISION_KEY": "recording-key",
    }
    sys.exit(
        subprocess.call(
            [
                sys.executable,
                "-m",
                "pytest",
                "examples",
                "--record-mode=rewrite",
                "--allowed-hosts=127.0.0.1",
                "-q",
            ],
            cwd=ROOT,
            env=env,
        )
    )
