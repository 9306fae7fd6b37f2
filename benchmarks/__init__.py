"""Benchmarks: scripts that print tables comparing ocr-pdf with its peers (see README)."""
