"""Alembic environment: every module's tables in one metadata, one branch per module."""

from __future__ import annotations

from alembic import context

from hue06.core.config import load_settings
from hue06.core.db import Base, make_engine
from hue06.modules import import_all_models

config = context.config
import_all_models()
target_metadata = Base.metadata

url = config.get_main_option("sqlalchemy.url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=False
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
