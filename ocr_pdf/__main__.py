"""``python -m ocr_pdf``: the same as the ``ocr-pdf`` command."""

from ocr_pdf.cli import run

if __name__ == "__main__":  # not when a worker process imports this module again
    run()
