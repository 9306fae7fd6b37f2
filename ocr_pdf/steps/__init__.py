"""The steps of a conversion that :mod:`ocr_pdf.pipeline` runs in order around the reading:
``inputs`` opens and checks each input once, ``planning`` decides what happens to each page,
``costs`` guards the pages and the budget (and answers ``--dry-run``), ``assembly`` turns the
readings into text-layer pages as they arrive."""
