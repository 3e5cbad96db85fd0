"""The province's signing key and the signed result documents.

The key is an Ed25519 key generated into `data_dir/keys/` on first use (mode 600, never in the
repository). A result is a PDF rendered by WeasyPrint with a visible signature block (signer,
time, key fingerprint, document hash of the content); the signature itself is detached: Ed25519
over the PDF's exact bytes, stored beside the document in the wallet and checked every time the
wallet page shows it. Anyone with the public key (`/services/signing-key.pem`) can check it too.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ALGORITHM = "Ed25519"


@dataclass(frozen=True)
class Signature:
    value: str  # base64
    algorithm: str
    key_id: str


class ProvinceSigner:
    """Loads (or creates on first use) the province's key under data_dir."""

    def __init__(
        self, data_dir: Path | str, signer_name: str = "Ủy ban nhân dân tỉnh Thừa Thiên Huế"
    ) -> None:
        self.path = Path(data_dir) / "keys" / "province-ed25519.pem"
        self.signer_name = signer_name
        self._key: Ed25519PrivateKey | None = None

    def _private(self) -> Ed25519PrivateKey:
        if self._key is None:
            if self.path.exists():
                key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
                if not isinstance(key, Ed25519PrivateKey):
                    raise ValueError("the province key is not an Ed25519 key")
                self._key = key
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                key = Ed25519PrivateKey.generate()
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                try:
                    fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:  # another worker created it first: use theirs
                    return self._private()
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem)
                self._key = key
        return self._key

    def public_key(self) -> Ed25519PublicKey:
        return self._private().public_key()

    def public_pem(self) -> bytes:
        return self.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> str:
        raw = self.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, data: bytes) -> Signature:
        return Signature(base64.b64encode(self._private().sign(data)).decode(), ALGORITHM, self.key_id)

    def verify(self, data: bytes, signature_b64: str, key_id: str | None = None) -> bool:
        if key_id is not None and key_id != self.key_id:
            return False
        try:
            self.public_key().verify(base64.b64decode(signature_b64), data)
        except (InvalidSignature, ValueError):
            return False
        return True


def _e(value: object) -> str:
    return html.escape(str(value))


def render_result_pdf(
    *,
    title: str,
    agency: str,
    dossier_code: str,
    procedure: str,
    rows: list[tuple[str, str]],
    decision_text: str,
    signer: ProvinceSigner,
    signed_at: datetime,
    verify_url: str,
) -> bytes:
    """A one-page result in the Decree 30/2020 layout (A4, Times New Roman 13) with a signature block."""
    from weasyprint import HTML  # heavy import: only when a result is issued

    local = signed_at.astimezone(VN_TZ)
    content_hash = hashlib.sha256(
        ("|".join([dossier_code, title, *(f"{k}={v}" for k, v in rows)])).encode()
    ).hexdigest()
    body_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    doc = f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 20mm 15mm 20mm 30mm; }}
body {{ font-family: "Times New Roman", "Liberation Serif", "DejaVu Serif", serif; font-size: 13pt; }}
.head {{ display: flex; justify-content: space-between; text-align: center; }}
.head div {{ width: 48%; }} .b {{ font-weight: bold; }}
h1 {{ text-align: center; font-size: 14pt; margin: 18pt 0 4pt; }}
.sub {{ text-align: center; font-style: italic; margin-bottom: 12pt; }}
table {{ width: 100%; border-collapse: collapse; }} th {{ text-align: left; width: 38%; font-weight: normal; vertical-align: top; padding: 3pt 0; }}
td {{ padding: 3pt 0; }}
.sig {{ margin-top: 18pt; border: 1pt solid #333; padding: 6pt; font-size: 10pt; font-family: "Times New Roman", serif; }}
</style></head><body>
<div class="head"><div><div class="b">{_e(agency.upper())}</div><div>Số hồ sơ: {_e(dossier_code)}</div></div>
<div><div class="b">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div><div class="b">Độc lập - Tự do - Hạnh phúc</div>
<div><i>Huế, ngày {local:%d} tháng {local:%m} năm {local:%Y}</i></div></div></div>
<h1>{_e(title.upper())}</h1><div class="sub">{_e(procedure)}</div>
<table>{body_rows}</table>
<p>{_e(decision_text)}</p>
<div class="sig"><b>Ký số bởi:</b> {_e(signer.signer_name)} — {_e(agency)}<br>
<b>Thời gian ký:</b> {local.isoformat(timespec="seconds")}<br>
<b>Thuật toán:</b> {ALGORITHM} · <b>Mã khóa:</b> {signer.key_id}<br>
<b>Mã nội dung:</b> {content_hash[:32]}<br>
<b>Kiểm tra chữ ký:</b> {_e(verify_url)}</div>
</body></html>"""
    return HTML(string=doc).write_pdf()
