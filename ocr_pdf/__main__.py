"""``python -m ocr_pdf``: the same as the ``ocr-pdf`` command."""

from ocr_pdf.cli import run

run()
