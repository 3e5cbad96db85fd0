"""Upload checks: size, real type from the bytes, active PDF content, zip bombs and macros, pixel bombs."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from hue06.core.errors import InvalidInput
from hue06.services import files
from tests.services.conftest import PNG_1PX, docx_bytes, pdf_bytes

ALL = ["pdf", "jpg", "png", "docx", "xlsx"]


def refused(name: str, data: bytes, allowed=ALL, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as exc:
        files.check_upload(name, data, allowed, **kw)
    return exc.value.code


def test_clean_files_of_each_type_are_accepted_with_their_hash():
    for name, data, kind in [
        ("a.pdf", pdf_bytes(), "pdf"),
        ("a.png", PNG_1PX, "png"),
        ("a.docx", docx_bytes(), "docx"),
    ]:
        checked = files.check_upload(name, data, ALL)
        assert checked.kind == kind and len(checked.sha256) == 64 and checked.size == len(data)


def test_too_large_is_refused_before_anything_else():
    assert refused("big.pdf", pdf_bytes() + b"0" * 2048, max_bytes=1024) == "upload.too_large"


def test_not_the_declared_type():
    assert refused("virus.pdf", b"MZ\x90\x00" + b"\x00" * 100) == "upload.type"
    assert refused("photo.jpg", pdf_bytes()) == "upload.type_mismatch"
    assert refused("scan.png", PNG_1PX, allowed=["pdf"]) == "upload.type"


def test_empty_file():
    assert refused("x.pdf", b"") == "upload.empty"


@pytest.mark.parametrize(
    "extra",
    [
        b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ",
        b"/Names << /JavaScript 5 0 R >> ",
        b"/OpenAction << /S /Launch /F (cmd.exe) >> ",
        b"/AA << /O << /S /JavaScript /JS (x) >> >> ",
        b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> ",
    ],
)
def test_pdfs_with_scripts_or_launch_actions_are_refused(extra):
    assert refused("don.pdf", pdf_bytes(extra)) == "upload.pdf_active"


def test_script_hidden_in_a_compressed_object_stream_is_found():
    hidden = zlib.compress(b"5 0 << /S /JavaScript /JS (app.alert('x')) >>")
    data = (
        pdf_bytes()
        + b"6 0 obj\n<< /Type /ObjStm /Filter /FlateDecode /Length "
        + str(len(hidden)).encode()
        + b" >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj\n"
    )
    assert refused("don.pdf", data) == "upload.pdf_active"


def test_a_plain_open_at_page_action_is_harmless():
    assert files.check_upload("ok.pdf", pdf_bytes(b"/OpenAction [3 0 R /Fit] "), ALL).kind == "pdf"


def test_zip_bomb_in_a_docx_is_refused():
    bomb = docx_bytes({"word/media/bomb.bin": b"\x00" * (70 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024  # tiny on the wire
    assert refused("bomb.docx", bomb) == "upload.bomb"


def test_a_member_whose_header_lies_about_its_size_is_refused():
    data = bytearray(docx_bytes({"word/media/x.bin": b"A" * 5_000_000}))
    # Patch the central directory's uncompressed size of the last member to claim 10 bytes.
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)
    with pytest.raises(InvalidInput) as exc:
        files.check_upload("liar.docx", bytes(data), ALL)
    assert exc.value.code in ("upload.bomb", "upload.corrupt")


def test_docx_with_macros_is_refused():
    assert refused("macro.docx", docx_bytes({"word/vbaProject.bin": b"\x00" * 64})) == "upload.macro"


def test_zip_that_is_not_an_office_file_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("evil.exe", b"MZ")
    assert refused("x.docx", buf.getvalue()) == "upload.type"


def test_png_with_absurd_dimensions_is_refused():
    huge = bytearray(PNG_1PX)
    struct.pack_into(">II", huge, 16, 100_000, 100_000)
    assert refused("huge.png", bytes(huge)) == "upload.image_size"


def test_filenames_lose_paths_and_control_characters():
    checked = files.check_upload("../../etc/\x00passwd\u202e.pdf", pdf_bytes(), ALL)
    assert checked.filename == "passwd.pdf"


def test_the_signed_results_we_issue_pass_our_own_checks(tmp_path):
    from datetime import UTC, datetime

    from hue06.services.signing import ProvinceSigner, render_result_pdf

    signer = ProvinceSigner(tmp_path)
    pdf = render_result_pdf(
        title="Phiếu lý lịch tư pháp số 1",
        agency="Sở Tư pháp",
        dossier_code="STP-240612-000001",
        procedure="Cấp phiếu lý lịch tư pháp",
        rows=[("Họ và tên", "Trần Thị Hoài Thương")],
        decision_text="Không có án tích.",
        signer=signer,
        signed_at=datetime.now(UTC),
        verify_url="http://127.0.0.1/services/signing-key.pem",
    )
    assert files.check_upload("ket-qua.pdf", pdf, ["pdf"]).kind == "pdf"
    sig = signer.sign(pdf)
    assert signer.verify(pdf, sig.value, sig.key_id)
    assert not signer.verify(pdf.replace(b"Thuong", b"Thuon9") + b" ", sig.value, sig.key_id)
    assert (tmp_path / "keys" / "province-ed25519.pem").stat().st_mode & 0o077 == 0
