"""Token endpoints write their audit entries on a fast path; the chain they write must still verify,
whatever a client sends (PostgreSQL hashes the entry in SQL, SQLite in Python)."""

from __future__ import annotations

from hue06.core import audit


def test_hostile_client_id_is_logged_and_the_chain_verifies(web, session):
    hostile = 'h06c_"Nguyễn\\Thị\u2028😀\x01'
    r = web.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": hostile, "client_secret": "x"}
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_client"
    session.expire_all()
    entries = [e for e in audit.iter_entries(session) if e.action == "oidc.refused"]
    assert [e.actor for e in entries] == [f"client:{hostile}"]
    assert audit.verify(session)[1] is None


def test_tokens_issued_in_a_row_keep_the_chain(web, make_app, session):
    machine = make_app(
        name='Hệ thống "BHXH"', redirect_uris=[], scopes="registry.verify", grant_types=["client_credentials"]
    )
    for _ in range(5):
        r = web.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "registry.verify"},
            auth=(machine.client_id, machine.client_secret),
        )
        assert r.status_code == 200
    session.expire_all()
    count, broken = audit.verify(session)
    issued = [e for e in audit.iter_entries(session) if e.action == "oidc.token_issued"]
    assert broken is None and len(issued) == 5 and count >= 6
    assert [e.seq for e in issued] == list(range(issued[0].seq, issued[0].seq + 5))
