"""Where an audited request becomes durable: at its commit, before the response starts.

A server killed with `kill -9` while requests are in flight has an audit entry for every answer
a client received, its chains still verify, and the checkpoints it signed while running hold.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select
from tests.conftest import _free_port

from hue06.core import audit
from hue06.identity import service as identity

UNKNOWN = "046190999999"


def _wait_until_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError("the server exited at start")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.mark.slow
def test_every_answer_a_client_got_is_audited_after_kill_9(session, db_url, make_official, tmp_path):
    make_official("canbo", "commune", "19750")
    token = identity.create_api_token(session, "canbo", "durability")
    session.commit()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HUE06_DATA_DIR": str(tmp_path), "HUE06_AUDIT_CHECKPOINT_SECONDS": "0.3"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hue06", "serve", "--db", db_url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answered: list[int] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=5) as c:
            while not stop.is_set():
                try:
                    r = c.get(f"{base}/api/v1/residents/{UNKNOWN}")
                except httpx.HTTPError:
                    return  # the server is gone: this request got no answer
                if r.status_code == 404 and r.json()["error"] == "not_found":
                    answered.append(1)

    try:
        _wait_until_up(base, proc)
        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)  # long enough for the server to sign checkpoints as it goes
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
    assert len(answered) > 20
    session.expire_all()
    logged = session.scalar(
        select(func.count())
        .select_from(audit.AuditEntry)
        .where(audit.AuditEntry.action == "resident.read_refused", audit.AuditEntry.subject_id == UNKNOWN)
    )
    assert logged >= len(answered)
    key = audit.CheckpointKey.load(tmp_path / "keys" / "audit-ed25519.pem", create=False)
    report = audit.verify_log(session, key=key)
    assert report.intact, report.breaks
    assert report.checkpoints >= 1 and report.newest is not None
