"""PDF files, read and written: the only code that touches pypdfium2 and pikepdf.

PDFium (pypdfium2): ``pdfium`` opens a PDF, reads each page's geometry and text and renders it as
displayed, one call at a time in a process; ``pdfium_checks`` checks a whole file with it (an
input's header, the output we wrote, the pages of a PDF in memory).
qpdf (pikepdf): ``original`` opens the input and checks what reading it would cost, ``scans``
finds a page that is one image and nothing else and gives that image's own bytes, ``graft`` lays
the text-layer pages over the original pages and saves, every original object kept as it was.
Raw bytes (stdlib): ``raw`` finds the object and cross-reference streams before any library
opens the file, ``streams`` measures what a stream decodes to without holding it."""
