"""Settings every test shares."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _private_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the developer's caches (the DNS cache would change results between runs)."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


_LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost", "ip6-localhost")


def _is_loopback(host: object) -> bool:
    text = str(host)
    return text in _LOOPBACK_NAMES or text.startswith(("127.", "::ffff:127."))


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Network traffic in tests goes only to 127.0.0.1/::1 (a project rule): any connection, datagram or name
    lookup elsewhere is refused, recorded, and fails the test at teardown. A name lookup counts: it is traffic
    to the system's resolver, and on a machine without DNS it fails before any connect would be seen."""
    attempts: list[object] = []
    real_connect, real_sendto, real_getaddrinfo = socket.socket.connect, socket.socket.sendto, socket.getaddrinfo

    def refuse(what: object) -> OSError:
        attempts.append(what)
        return OSError("network disabled in tests: only loopback is allowed")

    def connect(sock: socket.socket, address: Any) -> Any:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise refuse(address)
        return real_connect(sock, address)

    def sendto(sock: socket.socket, data: bytes, *args: Any) -> Any:
        address = args[-1]
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise refuse(address)
        return real_sendto(sock, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            attempts.append((host, "getaddrinfo"))
            raise socket.gaierror(socket.EAI_NONAME, "network disabled in tests: only loopback is allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "sendto", sendto)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"the test tried to reach the network beyond loopback: {attempts[:5]}"
