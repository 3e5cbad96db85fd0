"""Settings come from hue06.toml and HUE06_* variables; the secret key is generated, never committed."""

from __future__ import annotations

import os
import stat

from hue06.core.config import load_settings
from hue06.core.db import normalize_url


def test_defaults_to_an_sqlite_file_under_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("HUE06_DATABASE_URL", raising=False)
    monkeypatch.setenv("HUE06_DATA_DIR", str(tmp_path))
    s = load_settings(tmp_path / "none.toml")
    assert s.database_url == f"sqlite:///{tmp_path / 'hue06.db'}"


def test_environment_wins_over_the_file(tmp_path, monkeypatch):
    cfg = tmp_path / "hue06.toml"
    cfg.write_text('[hue06]\ndatabase_url = "sqlite:///from-file.db"\nbase_url = "https://hue06.example"\n')
    monkeypatch.setenv("HUE06_DATABASE_URL", "postgresql://u@db/hue06")
    s = load_settings(cfg)
    assert s.database_url == "postgresql://u@db/hue06"
    assert s.base_url == "https://hue06.example"


def test_postgres_urls_use_psycopg3():
    assert normalize_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_secret_key_is_generated_once_with_private_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("HUE06_SECRET_KEY", raising=False)
    monkeypatch.setenv("HUE06_DATA_DIR", str(tmp_path))
    s = load_settings(tmp_path / "none.toml")
    key = s.get_secret_key()
    assert len(key) >= 40
    assert s.get_secret_key() == key
    mode = stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode)
    assert mode == 0o600
