"""The formats we write and read back: our page model as JSON (the cache's and --ocr-json's),
the --ocr-json document, and the text outputs (sidecar, hOCR)."""
