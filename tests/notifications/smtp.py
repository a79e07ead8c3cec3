"""A real SMTP server for the tests (aiosmtpd on a free local port) that can refuse, hold a message, or be
stopped and started again on the same port (a closed port: the client's connection is refused), or be slow."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.processes import free_port

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller


class Collector:
    """An aiosmtpd handler keeping every accepted message; refuses the first `refuse` ones with 451; with
    `hold_at=n`, keeps the n-th message and then does not answer (the client waits for its "250") until
    `release` is set: the message is delivered, and its sender does not know it yet. The addresses in
    `refuse_rcpt` are refused with 550 (a mailbox that does not take mail) while they are in it. With
    `delay`, each message is answered that many seconds after its data (a slow server)."""

    def __init__(
        self, refuse: int = 0, hold_at: int | None = None, refuse_rcpt: tuple[str, ...] = (), delay: float = 0.0
    ) -> None:
        self.refuse = refuse
        self.delay = delay
        self.refused = 0
        self.hold_at = hold_at
        self.refuse_rcpt = set(refuse_rcpt)
        self.holding = threading.Event()
        self.release = threading.Event()
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse_rcpt:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.refused < self.refuse:
                self.refused += 1
                return "451 try later"
            message = email.message_from_bytes(
                envelope.original_content or envelope.content, policy=email.policy.default
            )
            message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(message)
            hold = len(self.messages) == self.hold_at
        if self.delay:
            await asyncio.sleep(self.delay)
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"

    def texts(self) -> list[str]:
        """The plain-text part of every message received."""
        return [_plain(m) for m in self.messages]


def _plain(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "a message without a plain-text part"
    return body.get_content()


class SMTPServer:
    """The server on one port; `stop()` closes the port (connections refused), `start()` opens it again."""

    def __init__(self, handler: Collector, port: int | None = None) -> None:
        self.handler = handler
        self.port = port or free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest) -> Iterator[tuple[Collector, int]]:
    """A running server (parametrize indirectly with Collector's arguments): (its handler, its port)."""
    server = SMTPServer(Collector(**getattr(request, "param", {})))
    server.start()
    try:
        yield server.handler, server.port
    finally:
        server.stop()
