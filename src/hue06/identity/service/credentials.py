"""New passwords and TOTP secrets: length matters, composition rules do not (NIST SP 800-63B)."""

from __future__ import annotations

import pyotp

from hue06.core.errors import InvalidInput

MIN_PASSWORD = 8
MAX_PASSWORD = 128


def check_new_password(password: str, *personal: str) -> None:
    """NIST SP 800-63B: length matters, composition rules do not; refuse the obvious ones."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            "password.short",
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.",
            f"The password must have at least {MIN_PASSWORD} characters.",
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            "password.long",
            f"Mật khẩu không được dài quá {MAX_PASSWORD} ký tự.",
            f"The password must not be longer than {MAX_PASSWORD} characters.",
        )
    lowered = password.lower()
    if (
        len(set(password)) < 3
        or lowered in _COMMON_PASSWORDS
        or any(p and p.lower() in lowered for p in personal)
    ):
        raise InvalidInput(
            "password.weak",
            "Mật khẩu quá dễ đoán (ví dụ 12345678, hoặc chứa số định danh).",
            "The password is too easy to guess (e.g. 12345678, or contains your ID number).",
        )


_COMMON_PASSWORDS = frozenset(
    {
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "password1",
        "matkhau",
        "matkhau123",
        "abc12345",
        "qwertyui",
        "qwerty123",
        "11111111",
        "88888888",
        "66666666",
        "iloveyou",
        "anhyeuem",
        "vietnam1",
        "admin123",
        "12341234",
        "87654321",
        "00000000",
        "123123123",
        "abcd1234",
    }
)


def new_totp_secret() -> str:
    return pyotp.random_base32(32)


def totp_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name="hue06")
