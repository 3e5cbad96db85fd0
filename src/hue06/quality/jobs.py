"""Long verification runs in the web app: a background thread per run, its progress polled.

The run itself is all-or-nothing (quality.service.verify writes in one transaction at the end),
so a server that dies mid-run loses only the job, never half a run; the official starts it again.
Jobs live in this process's memory: serve with one worker for uploads of very large files, or run
them with `hue06 quality verify` (see docs/decisions/0007-quality-jurisdiction.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hue06.core.config import Settings
from hue06.core.db import make_engine, make_sessionmaker
from hue06.core.errors import Hue06Error, not_found
from hue06.core.security import Actor, new_token

log = logging.getLogger("hue06.quality")

STAGES = ("read", "register", "match", "save")
KEEP_SECONDS = 6 * 3600


@dataclass
class Job:
    id: str
    owner: str  # actor label
    sector: str
    file_name: str
    started: float = field(default_factory=time.time)
    stage: str = "queued"
    done: int = 0
    total: int | None = None
    run_id: int | None = None
    error: dict[str, Any] | None = None
    finished: float | None = None

    def as_dict(self) -> dict[str, Any]:
        stage_index = STAGES.index(self.stage) if self.stage in STAGES else 0
        fraction = (self.done / self.total) if self.total else 0.0
        overall = 1.0 if self.run_id else min(0.99, (stage_index + min(fraction, 1.0)) / len(STAGES))
        return {
            "id": self.id,
            "stage": self.stage,
            "done": self.done,
            "total": self.total,
            "percent": round(100 * overall),
            "run_id": self.run_id,
            "error": self.error,
            "finished": self.finished is not None,
            "seconds": round((self.finished or time.time()) - self.started, 1),
        }


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def get(job_id: str, actor: Actor) -> Job:
    with _LOCK:
        job = _JOBS.get(job_id)
    if job is None or job.owner != actor.label:
        raise not_found("lần kiểm tra", "job")
    return job


def _forget_old() -> None:
    cutoff = time.time() - KEEP_SECONDS
    with _LOCK:
        for key in [k for k, j in _JOBS.items() if j.finished and j.finished < cutoff]:
            del _JOBS[key]


# --------------------------------------------------------------------------- uploads


def uploads_dir(settings: Settings) -> Path:
    path = Path(settings.data_dir) / "quality" / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(settings: Settings, data: bytes, name: str, sector: str, actor: Actor) -> str:
    token = new_token(16)
    folder = uploads_dir(settings)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"name": name[:300], "sector": sector, "owner": actor.label, "size": len(data), "at": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return token


def load_upload(settings: Settings, token: str, actor: Actor) -> tuple[bytes, dict[str, Any]]:
    if not token.replace("-", "").replace("_", "").isalnum():
        raise not_found("tệp", "upload")
    folder = uploads_dir(settings)
    meta_path = folder / f"{token}.json"
    if not meta_path.is_file():
        raise not_found("tệp", "upload")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("owner") != actor.label:
        raise not_found("tệp", "upload")
    return (folder / f"{token}.bin").read_bytes(), meta


def update_upload(settings: Settings, token: str, **changes: Any) -> None:
    path = uploads_dir(settings) / f"{token}.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.update(changes)
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def drop_upload(settings: Settings, token: str) -> None:
    for ext in ("bin", "json"):
        (uploads_dir(settings) / f"{token}.{ext}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- running


def start(
    settings: Settings,
    write_factory: sessionmaker[Session],
    actor: Actor,
    token: str,
    data: bytes,
    meta: dict[str, Any],
    spec: dict[str, Any] | None,
) -> Job:
    """Run the verification in a thread; return the job to poll."""
    _forget_old()
    job = Job(new_token(12), actor.label, meta["sector"], meta["name"])
    with _LOCK:
        _JOBS[job.id] = job
    thread = threading.Thread(
        target=_run,
        args=(job, settings, write_factory, actor, token, data, meta, spec),
        name=f"quality-{job.id}",
        daemon=True,
    )
    thread.start()
    return job


def _run(
    job: Job,
    settings: Settings,
    write_factory: sessionmaker[Session],
    actor: Actor,
    token: str,
    data: bytes,
    meta: dict[str, Any],
    spec: dict[str, Any] | None,
) -> None:
    from hue06.quality import service

    def progress(stage: str, done: int, total: int | None) -> None:
        job.stage, job.done, job.total = stage, done, total

    # Reading the register must not hold SQLite's write lock for the minutes a big file takes.
    read_engine = make_engine(settings.database_url, immediate=False)
    try:
        with make_sessionmaker(read_engine)() as read, write_factory() as write:
            prepared = service.prepare(
                data,
                meta["name"],
                meta["sector"],
                spec=spec,
                header_line=meta.get("header_line"),
                session=read,
            )
            report = service.verify(read, prepared, meta["sector"], actor, write=write, progress=progress)
            write.commit()
        job.run_id = report.run_id
        job.stage = "done"
        drop_upload(settings, token)
    except Hue06Error as exc:
        job.error = {"code": exc.code, "vi": exc.message_vi, "en": exc.message_en}
        job.stage = "failed"
    except Exception as exc:  # the job must end with a message, never silently
        log.error("quality job %s failed: %s", job.id, type(exc).__name__)
        job.error = {
            "code": "internal",
            "vi": "Lỗi hệ thống khi xác thực; không có dữ liệu nào được lưu.",
            "en": "A system error stopped the run; nothing was saved.",
        }
        job.stage = "failed"
    finally:
        job.finished = time.time()
        read_engine.dispose()
