"""A real WHOIS server (TCP, RFC 3912) on 127.0.0.1 for tests: each query gets what a function returns.

The answer may be bytes (sent, then the connection is closed, as WHOIS servers do), or SILENT (the server
reads the query and never answers, until the test ends). Every query received is recorded in `queries`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType

SILENT = b"\x00silent\x00"
Answer = Callable[[str], bytes]


class WhoisServer:
    def __init__(self, answer: Answer | bytes) -> None:
        self._answer: Answer = (lambda _query: answer) if isinstance(answer, bytes) else answer
        self.queries: list[str] = []
        self._stop = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            data = b""
            try:
                while b"\n" not in data and len(data) < 4096:
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    data += chunk
                query = data.decode("ascii", errors="replace").strip()
                self.queries.append(query)
                answer = self._answer(query)
                if answer == SILENT:
                    self._stop.wait(5)
                    return
                conn.sendall(answer)
            except OSError:
                return

    def __enter__(self) -> WhoisServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(2)
        self._listener.close()
        for thread in self._threads:
            thread.join(2)


ARIN_CLOUDFLARE = b"""\
#
# ARIN WHOIS data and services are subject to the Terms of Use
#

NetRange:       104.16.0.0 - 104.31.255.255
CIDR:           104.16.0.0/12
NetName:        CLOUDFLARENET
Organization:   Cloudflare, Inc. (CLOUD14)

OrgName:        Cloudflare, Inc.
OrgId:          CLOUD14
City:           San Francisco
Country:        US
"""

RIPE_MOROCCO = b"""\
% This is the RIPE Database query service.

inetnum:        0.0.0.0 - 255.255.255.255
netname:        IANA-BLK
country:        EU # Country is really world wide

inetnum:        41.248.0.0 - 41.251.255.255
netname:        MT-MA-ADSL
descr:          Itissalat Al-Maghrib
country:        MA
source:         AFRINIC
"""
