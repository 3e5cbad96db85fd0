"""What the pages and the JSON API both take from the running app: the province's signer (one per
app, its key loaded once) and the payment gateway. Neither is a page, so both route files import
them from here.
"""

from __future__ import annotations

from fastapi import Request

from hue06.services.payments import SimulatorGateway
from hue06.services.signing import ProvinceSigner


def signer_for(request: Request) -> ProvinceSigner:
    settings = request.app.state.settings
    cached = getattr(request.app.state, "svc_signer", None)
    if cached is None:
        cached = ProvinceSigner(settings.data_dir)
        request.app.state.svc_signer = cached
    return cached


def gateway_for(request: Request) -> SimulatorGateway:
    return SimulatorGateway(request.app.state.settings.get_secret_key())
