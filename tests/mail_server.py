"""A real SMTP server on loopback (aiosmtpd) for the email tests, and the worker that feeds it.

The shop's emails go through Django's SMTP backend to this server, exactly as
they would to a provider's; the server keeps every message it accepts and can
be told to refuse the next few, as a busy or broken mail server does.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from io import StringIO

from aiosmtpd.controller import Controller
from django.core.management import call_command

from bench.servers import free_port
from store.models import OrderEmail

REFUSAL = "451 4.3.0 Mail server busy, try again later"
PERMANENT_REFUSAL = "550 5.1.1 No such mailbox here"


@dataclass
class MailHandler:
    received: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    refusal: str = REFUSAL
    # The next messages are held, unanswered, until released: a sender killed meanwhile
    # never learns whether they were taken (they are not).
    hold_next: int = 0
    held: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.hold_next > 0:
            self.hold_next -= 1
            await self.held.wait()
            return "451 4.3.0 Held and dropped"
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return self.refusal
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if address in message["To"]]


class MailServer:
    def __init__(self) -> None:
        self.handler = MailHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port())

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.received

    def to(self, address: str) -> list[EmailMessage]:
        return self.handler.to(address)

    def refuse_next(self, count: int, refusal: str = REFUSAL) -> None:
        self.handler.refuse_next = count
        self.handler.refusal = refusal

    def hold_next(self, count: int) -> None:
        # On the server's loop, after any release still queued there (reset() queues one).
        self.controller.loop.call_soon_threadsafe(self.handler.held.clear)
        self.handler.hold_next = count

    def release_held(self) -> None:
        self.controller.loop.call_soon_threadsafe(self.handler.held.set)

    def reset(self) -> None:
        self.release_held()
        self.handler.received.clear()
        self.handler.refuse_next = 0
        self.handler.refusal = REFUSAL
        self.handler.hold_next = 0

    def start(self) -> MailServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def run_worker(timeout: float = 10) -> None:
    """Run the background worker until every owed email is sent or given up (retries
    included)."""
    deadline = time.monotonic() + timeout
    while True:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())
        if not OrderEmail.objects.filter(sent_at__isnull=True, gave_up_at__isnull=True).exists():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("emails still unsent after the worker ran")
        time.sleep(0.05)  # a retry waits for its run_after


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html
