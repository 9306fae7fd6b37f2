"""pikepdf (qpdf): the only code that touches it.

``original`` opens the input and checks what reading it would cost, ``scans`` finds a page that
is one image and nothing else and gives that image's own bytes, ``graft`` lays the text-layer
pages over the original pages and saves, every original object kept as it was."""
