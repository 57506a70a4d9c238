"""Tests may not reach the network: only loopback connections are allowed (pytest-socket, see pyproject)."""

from __future__ import annotations

import socket

import pytest
import pytest_socket


def test_connections_beyond_loopback_fail_before_any_traffic():
    # The guard must be installed first, so this test never sends a packet even if the setup breaks.
    assert socket.socket.connect.__name__ == "guarded_connect"
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock,
        pytest.raises(pytest_socket.SocketConnectBlockedError),
        pytest.warns(UserWarning, match="192.0.2.1"),
    ):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1, never routed


def test_loopback_is_allowed():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
