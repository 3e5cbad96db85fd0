"""Fixtures for the services tests: the catalogue, citizens (via the identity factories), officers
of an agency, a signed-in browser client, and small valid files of every accepted type."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hue06.core.security import Actor
from hue06.services import payments, service
from hue06.services.signing import ProvinceSigner
from tests.conftest import TEST_PASSWORD
from tests.identity.factories import CITIZEN_PASSWORD, citizen_sign_in, make_citizen, make_resident, web

LLTP = "DVC06-22"


@pytest.fixture
def catalogue(session: Session) -> None:
    service.ensure_catalogue(session)
    session.commit()


@dataclass
class Citizen:
    actor: Actor
    resident: Any
    account: Any
    secret: str | None


@pytest.fixture
def new_citizen(make_citizen) -> Callable[..., Citizen]:  # type: ignore[no-untyped-def]
    def _make(level: int = 2, **kw: Any) -> Citizen:
        account, resident, secret = make_citizen(level=level, **kw)
        acr = f"urn:hue06:loa:{level}"
        actor = Actor(
            kind="citizen",
            id=str(account.id),
            resident_id=resident.id,
            extra={"level": str(level), "acr": acr},
        )
        return Citizen(actor, resident, account, secret)

    return _make


@pytest.fixture
def citizen(new_citizen, catalogue) -> Citizen:  # type: ignore[no-untyped-def]
    return new_citizen(full_name="Trần Thị Hoài Thương", place_of_birth="Huế", phone="0912345678")


@pytest.fixture
def officer(session: Session) -> Callable[..., Actor]:
    from hue06.identity import service as identity

    def _make(
        username: str = "stp_canbo", agency: str = "STP", role: str = "province", unit: str = "46"
    ) -> Actor:
        official = identity.create_official(session, username, TEST_PASSWORD, role, unit, agency=agency)
        session.commit()
        return identity.official_actor(official)

    return _make


@pytest.fixture
def gateway() -> payments.SimulatorGateway:
    return payments.SimulatorGateway("test-secret-key-not-for-production")


@pytest.fixture
def signer(tmp_path) -> ProvinceSigner:  # type: ignore[no-untyped-def]
    return ProvinceSigner(tmp_path / "keys-test")


def fill_lltp(session: Session, who: Actor, dossier_id: int, forms: tuple[str, ...] = ("1", "2")) -> None:
    """Answer every page of the LLTP e-form."""
    assert (
        service.save_answers(
            session, who, dossier_id, {"loai_phieu": list(forms), "so_ban": "1"}, "loai_phieu"
        )
        == {}
    )
    if "2" in forms:
        assert (
            service.save_answers(
                session,
                who,
                dossier_id,
                {"ho_ten_cha": "Trần Văn Hùng", "ho_ten_me": "Lê Thị Mai"},
                "gia_dinh",
            )
            == {}
        )
    assert (
        service.save_answers(
            session, who, dossier_id, {"qua_trinh_cu_tru": "2005-2024: Phường Tây Lộc, Huế"}, "cu_tru"
        )
        == {}
    )
    answers = {"muc_dich": "Bổ sung hồ sơ xin việc"}
    if "1" in forms:
        answers["xac_nhan_cam_dam_nhiem"] = "no"
    assert service.save_answers(session, who, dossier_id, answers, "muc_dich") == {}


def pay(
    session: Session, who: Actor, dossier_id: int, gw: payments.SimulatorGateway
) -> service.CallbackResult:
    intent = service.begin_payment(session, who, dossier_id, gw)
    body, sig = gw.make_callback(intent.ref, intent.amount)
    return service.handle_payment_callback(session, gw, body, sig)


def submitted_lltp(
    session: Session, who: Actor, gw: payments.SimulatorGateway, forms: tuple[str, ...] = ("1", "2")
):  # type: ignore[no-untyped-def]
    d = service.start_dossier(session, who, LLTP)
    fill_lltp(session, who, d.id, forms)
    result = pay(session, who, d.id, gw)
    assert result.outcome == "captured"
    session.commit()
    return d


# ---------------------------------------------------------------- small files of each type


def pdf_bytes(extra: bytes = b"", body: bytes = b"BT /F1 12 Tf 72 712 Td (Giay to) Tj ET") -> bytes:
    """A minimal well-formed PDF; `extra` is spliced into the catalog dictionary."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def docx_bytes(extra: dict[str, bytes] | None = None, *, compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        zf.writestr(
            "word/document.xml",
            "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>",
        )
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


__all__ = [
    "CITIZEN_PASSWORD",
    "LLTP",
    "PNG_1PX",
    "citizen_sign_in",
    "docx_bytes",
    "fill_lltp",
    "make_citizen",
    "make_resident",
    "pay",
    "pdf_bytes",
    "submitted_lltp",
    "web",
]
