"""Pixels, not PDF pages: ``to_pdf`` turns image files (JPEG, PNG, TIFF, ...) into a PDF of one
page per image (img2pdf), ``encoding`` brings page images of any mode and bit depth to 8-bit
samples and encodes them within an OCR service's limits (Pillow), ``ink`` finds where a page
image's print is (text boxes, line profiles, skew; NumPy)."""
