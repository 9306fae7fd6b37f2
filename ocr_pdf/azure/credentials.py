"""What may carry the key: checks of the endpoint URL and of the key itself, and the requests
session that sends the key nowhere but its own origin."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests

from ocr_pdf.errors import ConfigurationError, ServiceConfigurationError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def on_loopback(endpoint: str) -> bool:
    """Whether ``endpoint`` is a URL on this machine's loopback (a local server such as
    ``ocr-pdf serve``, where no key is needed unless that server asks for one)."""
    return _is_loopback(urlsplit(endpoint.strip()).hostname or "")


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port made explicit."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def describe_origin(url: str) -> str:
    """``scheme://host:port`` of a URL, for messages."""
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def check_endpoint(endpoint: str) -> str:
    """Validate an endpoint URL and return it without a trailing slash.

    Plain http is refused except on loopback (a local stand-in server): the key must never
    cross a network in clear text."""
    parts = urlsplit(endpoint.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"endpoint {endpoint!r} is not a URL; it looks like "
            "https://<resource>.cognitiveservices.azure.com"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"endpoint {endpoint!r} uses plain http; use https (http is allowed on loopback only)"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {endpoint!r} must not have a query or fragment")
    return endpoint.strip().rstrip("/")


def check_key(key: str) -> str:
    """The key, or a ConfigurationError if it cannot be one. Azure keys are letters and
    digits; a space, tab, line break or other character outside visible ASCII means the key
    was set with quotes or a stray newline. The message never repeats the key, whole or in
    part (requests would echo it in its own error)."""
    if not key or any(not 0x21 <= ord(ch) <= 0x7E for ch in key):
        raise ConfigurationError(
            f"the Azure key ({len(key)} characters) contains spaces, line breaks or other "
            "characters no key has: set AZURE_VISION_KEY (or AZURE_VISION_KEY_FILE, "
            "AZURE_DI_KEY) to the key alone, without quotes or a trailing newline"
        )
    return key


class KeyGuardingSession(requests.Session):
    """A session that follows a redirect only within the origin the request was sent to.

    requests strips only ``Authorization`` when a redirect changes host; our key travels in
    ``Ocp-Apim-Subscription-Key`` and a 307/308 would resend the page image too, so a redirect
    elsewhere is refused before anything is sent there."""

    def rebuild_auth(self, prepared_request: Any, response: requests.Response) -> None:
        source, target = response.request.url or "", prepared_request.url or ""
        if origin(source) != origin(target):
            raise ServiceConfigurationError(
                f"{urlsplit(source).path}: the service redirected the request to "
                f"{describe_origin(target)}, another host than {describe_origin(source)}; not "
                "following it, so that neither the key nor the page goes there: check --endpoint",
                status=response.status_code,
            )
        super().rebuild_auth(prepared_request, response)  # type: ignore[no-untyped-call]
