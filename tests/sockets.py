"""Raw HTTP on a socket, for what a client library would never send (stdlib only)."""

from __future__ import annotations

import gc
import socket
import struct
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


TCP_INFO = getattr(socket, "TCP_INFO", 11)  # Linux's


def retransmissions(sock: socket.socket) -> int:
    """Segments this connection has sent again (Linux's TCP_INFO ``tcpi_total_retrans``): read
    before any data is sent, the SYNs a listener's full queue dropped. Counted by the kernel,
    so a busy machine does not change it."""
    info = sock.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)
    return int(struct.unpack_from("I", info, 100)[0])


def accepted_socket(client: socket.socket) -> socket.socket:
    """The socket an in-process server accepted ``client``'s connection on."""
    me = client.getsockname()
    for obj in gc.get_objects():
        if isinstance(obj, socket.socket) and obj.fileno() != -1:
            try:
                if obj.getpeername() == me:
                    return obj
            except OSError:
                continue
    raise LookupError(f"no server socket in this process is connected to {me}")
