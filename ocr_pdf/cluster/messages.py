"""What travels between the client and the workers, as JSON: a conversion's options (the
keyword arguments of ``make_searchable``) and its result (stdlib and our own types)."""

from __future__ import annotations

from dataclasses import asdict, fields
from enum import Enum
from pathlib import Path
from typing import Any

from ocr_pdf.engines.base import EngineConfig
from ocr_pdf.options import ConversionOptions
from ocr_pdf.results import ConversionResult, DryRun, PageResult

_NOT_SENT = {"settings"}
_NOT_SENT_SETTINGS = {"key"}  # workers read the key from their own environment


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def options_message(options: ConversionOptions) -> dict[str, Any]:
    """``options`` as the keyword arguments of make_searchable, JSON-ready: what a worker
    rebuilds them from (``ConversionOptions.from_kwargs``). The key never travels."""
    message = {
        f.name: _plain(getattr(options, f.name))
        for f in fields(ConversionOptions)
        if f.name not in _NOT_SENT
    }
    for f in fields(EngineConfig):
        if f.name not in _NOT_SENT_SETTINGS:
            message[f.name] = getattr(options.settings, f.name)
    return message


def result_message(result: ConversionResult) -> dict[str, Any]:
    """A ConversionResult as JSON-ready data (see :func:`result_from`)."""
    data = asdict(result)
    data["output"] = str(result.output)
    return data


def result_from(data: dict[str, Any]) -> ConversionResult:
    """The ConversionResult a convert_document task returned (as :func:`result_message`)."""
    dry = data.get("dry_run")
    return ConversionResult(
        output=Path(data["output"]),
        pages=tuple(PageResult(**page) for page in data["pages"]),
        seconds=float(data["seconds"]),
        bytes_added=int(data["bytes_added"]),
        calls=int(data.get("calls", 0)),
        dry_run=DryRun(**{**dry, "to_read": tuple(dry["to_read"])}) if dry else None,
    )
