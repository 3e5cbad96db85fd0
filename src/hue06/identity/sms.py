"""Sending one-time codes by SMS: a pluggable sender.

Development writes each message to `settings.sms_outbox` and prints it on the console, and
nowhere else (the access log and the audit log never see a code). Production names its gateway
in HUE06_SMS_SENDER as "package.module:factory"; the factory gets the settings and returns an
object with `send(phone, text)`. Production without a gateway refuses to send rather than
writing codes to a file.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from hue06.core.config import Settings
from hue06.core.errors import Hue06Error


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class DevSmsSender:
    """Appends `time<TAB>phone<TAB>text` lines to the outbox file and prints them."""

    _lock = threading.Lock()

    def __init__(self, outbox: str | Path, echo: bool = True) -> None:
        self.outbox = Path(outbox)
        self.echo = echo

    def send(self, phone: str, text: str) -> None:
        line = f"{datetime.now(UTC).isoformat(timespec='seconds')}\t{phone}\t{text}\n"
        with self._lock:
            self.outbox.parent.mkdir(parents=True, exist_ok=True)
            with self.outbox.open("a", encoding="utf-8") as fh:
                fh.write(line)
        if self.echo:
            print(f"[SMS → {phone}] {text}", file=sys.stderr, flush=True)


class SmsUnavailable(Hue06Error):
    status_code = 503


def get_sender(settings: Settings) -> SmsSender:
    spec = os.environ.get("HUE06_SMS_SENDER", "")
    if spec:
        module_name, _, attr = spec.partition(":")
        factory = getattr(importlib.import_module(module_name), attr or "create_sender")
        return factory(settings)
    if settings.is_production:
        raise SmsUnavailable(
            "sms.unavailable",
            "Chưa cấu hình cổng gửi tin nhắn SMS.",
            "No SMS gateway is configured (HUE06_SMS_SENDER).",
        )
    return DevSmsSender(settings.sms_outbox)


def read_outbox(path: str | Path) -> list[tuple[str, str]]:
    """(phone, text) of every message in a development outbox, oldest first (tests and the demo)."""
    p = Path(path)
    if not p.exists():
        return []
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3:
            out.append((parts[1], parts[2]))
    return out
