"""Checks on every uploaded file before it is stored: size, real type, and active content.

The type is read from the file's first bytes (magic numbers), never from its name or the
browser's Content-Type. PDFs with scripts or launch actions are refused, also when the keyword
is hidden with #xx name escapes or inside a compressed object stream. Office files are ZIPs:
they are refused when they hold macros or when they would inflate to far more than they weigh
(zip bombs) — measured by actually inflating, with a cap, since ZIP headers can lie.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from hue06.core.errors import InvalidInput

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_ENTRIES = 2000
MAX_IMAGE_PIXELS = 60_000_000
MAX_PDF_OBJECTS = 100_000

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png", "docx": "docx", "xlsx": "xlsx"}
# Names that make a PDF run something when opened or clicked.
_PDF_ACTIVE = (
    "/JavaScript",
    "/JS",
    "/Launch",
    "/AA",
    "/SubmitForm",
    "/ImportData",
    "/RichMedia",
    "/XFA",
    "/EmbeddedFile",
    "/EmbeddedFiles",
)
_PDF_NAME_RE = re.compile(rb"/[A-Za-z0-9#]+")


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    kind: str  # pdf / jpg / png / docx / xlsx
    content_type: str
    size: int
    sha256: str
    data: bytes


def _refuse(code: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(f"upload.{code}", vi, en)


def safe_filename(name: str) -> str:
    """The base name only, without control characters or path parts, at most 120 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 115 - len(ext)] + dot + ext) if dot else name[:120]
    return name or "tep"


def sniff(data: bytes) -> str | None:
    """The real type from the first bytes, or None."""
    if data.startswith(b"%PDF-") or data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def _unescape_name(raw: bytes) -> bytes:
    """PDF names may write any byte as #xx: /J#61vaScript is /JavaScript."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _active_names(blob: bytes) -> set[str]:
    found = set()
    for m in _PDF_NAME_RE.finditer(blob):
        name = _unescape_name(m.group(0)).decode("latin-1")
        if name in _PDF_ACTIVE:
            found.add(name)
    return found


def _inflate_streams(data: bytes) -> bytes:
    """The inflated content of every Flate stream (object streams hide dictionaries there), capped."""
    out = io.BytesIO()
    budget = MAX_UNZIPPED_BYTES
    for m in re.finditer(rb"stream\r?\n", data):
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            break
        chunk = data[start:end]
        try:
            d = zlib.decompressobj()
            piece = d.decompress(chunk, budget)
        except zlib.error:
            continue
        budget -= len(piece)
        out.write(piece)
        if budget <= 0:
            raise _refuse(
                "bomb",
                "Tệp PDF giải nén ra quá lớn; có thể là tệp độc hại.",
                "The PDF inflates to far too much data; it may be malicious.",
            )
    return out.getvalue()


def _open_action_is_script(data: bytes) -> bool:
    """An /OpenAction that is an action dictionary other than GoTo (a plain destination is harmless)."""
    for m in re.finditer(rb"/OpenAction\s*(<<.{0,400}?>>|\d+\s+\d+\s+R|\[)", _unescape_name(data), re.S):
        target = m.group(1)
        if target.startswith(b"["):
            continue
        if target.startswith(b"<<"):
            if b"/GoTo" not in target or b"/GoToR" in target or b"/GoToE" in target:
                return True
            continue
        num = target.split()[0]
        obj = re.search(rb"(?<![0-9])" + num + rb"\s+0\s+obj(.{0,400}?)endobj", data, re.S)
        if (
            obj
            and obj.group(1).lstrip().startswith(b"<<")
            and (b"/S" in obj.group(1))
            and b"/GoTo" not in obj.group(1)
        ):
            return True
    return False


def check_pdf(data: bytes) -> None:
    plain = _active_names(data)
    inflated = _inflate_streams(data)
    hidden = _active_names(inflated)
    if plain or hidden or _open_action_is_script(data) or _open_action_is_script(inflated):
        raise _refuse(
            "pdf_active",
            "Tệp PDF chứa mã lệnh hoặc hành động tự chạy (JavaScript, Launch, OpenAction…) nên không được nhận.",
            "The PDF contains scripts or automatic actions (JavaScript, Launch, OpenAction…) and is refused.",
        )
    if b"/Encrypt" in data:
        raise _refuse(
            "pdf_encrypted",
            "Tệp PDF được mã hóa; hãy gửi bản không đặt mật khẩu.",
            "The PDF is encrypted; send a copy without a password.",
        )
    if data.count(b" obj") > MAX_PDF_OBJECTS:
        raise _refuse("pdf_objects", "Tệp PDF có quá nhiều đối tượng.", "The PDF has too many objects.")


def check_zip(data: bytes, kind: str) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse(
            "corrupt", "Tệp bị hỏng, không mở được.", "The file is damaged and cannot be opened."
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _refuse("bomb", "Tệp có quá nhiều thành phần bên trong.", "The file holds too many parts.")
        for info in infos:
            low = info.filename.lower()
            if low.endswith("vbaproject.bin") or (low.endswith(".bin") and "activex" in low):
                raise _refuse(
                    "macro", "Tệp chứa macro nên không được nhận.", "The file contains macros and is refused."
                )
            if info.filename.startswith("/") or ".." in info.filename.split("/"):
                raise _refuse("corrupt", "Tệp có đường dẫn bất thường.", "The file has unusual paths inside.")
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            inflated = 0
            try:
                with zf.open(info) as fh:
                    while True:
                        chunk = fh.read(1 << 16)
                        if not chunk:
                            break
                        inflated += len(chunk)
                        total += len(chunk)
                        if total > MAX_UNZIPPED_BYTES or (
                            info.compress_size and inflated > max(1 << 20, info.compress_size * MAX_ZIP_RATIO)
                        ):
                            raise _refuse(
                                "bomb",
                                "Tệp giải nén ra quá lớn so với kích thước của nó (nghi là “bom zip”).",
                                "The file inflates to far more than its size (a suspected zip bomb).",
                            )
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
                raise _refuse(
                    "corrupt", "Tệp bị hỏng, không mở được.", "The file is damaged and cannot be opened."
                ) from None


def check_image(data: bytes, kind: str) -> None:
    width = height = 0
    if kind == "png" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
    elif kind == "jpg":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            seg = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                break
            i += 2 + seg
    if width * height > MAX_IMAGE_PIXELS:
        raise _refuse(
            "image_size", "Ảnh có kích thước điểm ảnh quá lớn.", "The image has far too many pixels."
        )


def check_upload(
    filename: str, data: bytes, allowed: list[str] | tuple[str, ...], max_bytes: int = MAX_FILE_BYTES
) -> CheckedFile:
    """Refuse what is too large, not what it claims to be, or active; return the checked file."""
    allowed_kinds = [EXTENSIONS.get(a.lower(), a.lower()) for a in allowed]
    names = ", ".join(a.upper() for a in allowed_kinds)
    if not data:
        raise _refuse("empty", "Tệp rỗng.", "The file is empty.")
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise _refuse("too_large", f"Tệp lớn hơn {mb} MB.", f"The file is larger than {mb} MB.")
    name = safe_filename(filename)
    ext = EXTENSIONS.get(name.rsplit(".", 1)[-1].lower() if "." in name else "", "")
    real = sniff(data)
    if real is None or real not in allowed_kinds:
        raise _refuse("type", f"Tệp phải là {names}.", f"The file must be {names}.")
    if ext and ext != real:
        raise _refuse(
            "type_mismatch",
            f"Đuôi tệp (.{ext}) không khớp nội dung thật của tệp ({real.upper()}).",
            f"The file's extension (.{ext}) does not match its real content ({real.upper()}).",
        )
    if real == "pdf":
        check_pdf(data)
    elif real in ("docx", "xlsx"):
        check_zip(data, real)
    else:
        check_image(data, real)
    if not ext:
        name = f"{name}.{real}"
    return CheckedFile(name, real, CONTENT_TYPES[real], len(data), hashlib.sha256(data).hexdigest(), data)
