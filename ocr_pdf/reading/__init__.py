"""Page images read by an engine: ``resolution`` decides at how many dots per inch a page is
rendered, ``rendering`` makes each page's image (the scan's own or a render), ``cache`` keys the
readings and opens the OCR cache, ``page`` reads one image through it (``rescue`` reads again a
page that read empty despite its ink), ``workers`` reads a document's images on worker threads
in page order, ``straighten`` answers OCRmyPDF's orientation and deskew from one reading."""
