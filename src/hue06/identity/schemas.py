"""What the identity JSON API hands out and accepts (the OAuth endpoints answer in RFC shapes)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SessionOut(BaseModel):
    id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str
    user_agent: str
    acr: str
    current: bool


class LevelIn(BaseModel):
    qr: str


class LevelOut(BaseModel):
    account_id: int
    level: int
    checked_by: str
    checked_at: datetime
