"""Raw HTTP on a socket, for what a client library would never send (stdlib only)."""

from __future__ import annotations

import socket
import time


def exchange(host: str, port: int, data: bytes, wait: float) -> tuple[bytes, float]:
    """Send ``data`` on a new connection; everything the server sends until it closes the
    connection (or ``wait`` seconds pass), and when that was."""
    sock = socket.create_connection((host, port))
    sock.settimeout(0.2)
    started = time.monotonic()
    sock.sendall(data)
    got = b""
    while time.monotonic() - started < wait:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    sock.close()
    return got, time.monotonic() - started
