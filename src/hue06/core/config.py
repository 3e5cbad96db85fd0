"""Settings from environment variables (HUE06_*) or a `hue06.toml` file, environment first.

Secrets are never in the repository: the secret key is read from HUE06_SECRET_KEY or generated
once into `var/secret.key` (mode 600) on first use.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def _default_data_dir() -> Path:
    return Path(os.environ.get("HUE06_DATA_DIR", "var")).resolve()


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    data_dir: Path = field(default_factory=_default_data_dir)
    base_url: str = "http://127.0.0.1:8000"
    province_code: str = "46"
    secret_key: str = ""
    environment: str = "development"  # "production" turns on secure cookies and HSTS
    session_hours: int = 12
    sms_outbox: str = ""  # file the development SMS sender writes to
    log_level: str = "INFO"
    # The audit log's signing key (Ed25519 PEM; generated on first use), outside the database.
    audit_key_file: str = ""
    # How often a server signs a checkpoint of the audit chains' heads (0: never, e.g. in tests).
    audit_checkpoint_seconds: float = 10.0

    def __post_init__(self) -> None:
        data_dir = Path(self.data_dir)
        object.__setattr__(self, "data_dir", data_dir)
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{data_dir / 'hue06.db'}")
        if not self.audit_key_file:
            object.__setattr__(self, "audit_key_file", str(data_dir / "keys" / "audit-ed25519.pem"))
        if not self.sms_outbox:
            object.__setattr__(self, "sms_outbox", str(data_dir / "sms-outbox.log"))

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def with_database(self, url: str | None) -> Settings:
        return replace(self, database_url=url) if url else self

    def get_secret_key(self) -> str:
        """The key that signs sessions and CSRF tokens; created on first use, never committed."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: object) -> Settings:
    """Read `hue06.toml` (or HUE06_CONFIG), then HUE06_* variables, then explicit overrides."""
    values: dict[str, object] = {}
    path = Path(config_file or os.environ.get("HUE06_CONFIG", "hue06.toml"))
    if path.exists():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        values.update(data.get("hue06", data))
    names = {f.name for f in fields(Settings)}
    for name in names:
        env = os.environ.get(f"HUE06_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - names
    for key in unknown:
        values.pop(key)
    if "audit_checkpoint_seconds" in values:
        values["audit_checkpoint_seconds"] = float(values["audit_checkpoint_seconds"])  # type: ignore[arg-type]
    if "session_hours" in values:
        values["session_hours"] = int(values["session_hours"])  # type: ignore[arg-type]
    if "data_dir" in values:
        values["data_dir"] = Path(str(values["data_dir"])).resolve()
    return Settings(**values)  # type: ignore[arg-type]
