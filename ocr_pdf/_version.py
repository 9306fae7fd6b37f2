"""The package's version, in a module of its own so that any module can say it (a User-Agent, a
PDF's producer) without importing the package's face, which imports the pipeline."""

__version__ = "0.1.0"
