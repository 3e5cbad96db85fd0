"""Payment gateways: one small interface, a simulator that behaves like a real gateway.

A gateway gets a payment intent (our `ref`, the amount) and later calls us back, server to
server, with a JSON body signed by HMAC-SHA256 over the exact bytes with a secret we share. We
accept a callback only when the signature is right, the event id is new, and the amount and
currency are the intent's. Connecting a real gateway (Napas, VNPT Pay, the national portal's
payment platform) means writing one more class with the same three methods.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Protocol

from hue06.core.errors import InvalidInput
from hue06.core.security import new_token

SIGNATURE_HEADER = "X-Hue06-Signature"


@dataclass(frozen=True)
class CallbackEvent:
    event_id: str
    payment_ref: str
    status: str  # captured / failed
    amount: int
    currency: str
    gateway_txn: str


class Gateway(Protocol):
    name: str

    def checkout_url(self, payment_ref: str, amount: int) -> str: ...

    def parse_callback(self, body: bytes, signature: str) -> CallbackEvent: ...

    def refund(self, payment_ref: str, gateway_txn: str, amount: int) -> str: ...


def forged() -> InvalidInput:
    return InvalidInput(
        "payment.signature",
        "Chữ ký của thông báo thanh toán không hợp lệ; thông báo bị từ chối.",
        "The payment notification's signature is not valid; it is refused.",
    )


class SimulatorGateway:
    """A stand-in for a bank: a checkout page inside hue06 and HMAC-signed callbacks."""

    name = "simulator"

    def __init__(self, secret: str) -> None:
        self._secret = hmac.new(secret.encode(), b"hue06 payment simulator v1", hashlib.sha256).digest()

    def checkout_url(self, payment_ref: str, amount: int) -> str:
        return f"/services/payments/simulator/{payment_ref}"

    def sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def make_callback(
        self,
        payment_ref: str,
        amount: int,
        status: str = "captured",
        event_id: str | None = None,
        currency: str = "VND",
    ) -> tuple[bytes, str]:
        """What the simulated bank posts back: the body and its signature."""
        body = json.dumps(
            {
                "event_id": event_id or "evt_" + new_token(12),
                "payment_ref": payment_ref,
                "status": status,
                "amount": amount,
                "currency": currency,
                "gateway_txn": "SIM" + new_token(8),
            },
            separators=(",", ":"),
        ).encode()
        return body, self.sign(body)

    def parse_callback(self, body: bytes, signature: str) -> CallbackEvent:
        if not signature or not hmac.compare_digest(self.sign(body), signature.strip().lower()):
            raise forged()
        try:
            data: dict[str, Any] = json.loads(body)
            event = CallbackEvent(
                str(data["event_id"])[:80],
                str(data["payment_ref"])[:40],
                str(data["status"]),
                int(data["amount"]),
                str(data.get("currency", "VND")),
                str(data.get("gateway_txn", ""))[:80],
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidInput(
                "payment.callback",
                "Thông báo thanh toán không đúng định dạng.",
                "The payment notification is malformed.",
            ) from None
        if event.status not in ("captured", "failed"):
            raise InvalidInput(
                "payment.callback", "Trạng thái thanh toán không hợp lệ.", "Unknown payment status."
            )
        return event

    def refund(self, payment_ref: str, gateway_txn: str, amount: int) -> str:
        return "SIMREFUND" + new_token(6)


def gateway_for(name: str, secret_key: str) -> Gateway:
    if name == "simulator":
        return SimulatorGateway(secret_key)
    raise InvalidInput("payment.gateway", "Cổng thanh toán không được hỗ trợ.", "Unknown payment gateway.")
