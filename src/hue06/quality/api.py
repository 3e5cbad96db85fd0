"""JSON routes: a run's progress (polled by the progress page) and runs' summaries for other systems."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from hue06.core.security import Actor
from hue06.quality import jobs, service
from hue06.web.deps import official
from hue06.web.transaction import db

router = APIRouter(prefix="/api", tags=["quality"])


@router.get("/quality/jobs/{job_id}")
def job_status(job_id: str, who: Actor = Depends(official)) -> dict[str, Any]:
    """Progress of a verification started in the web app (stage, rows done, run id when finished)."""
    return jobs.get(job_id, who).as_dict()


@router.get("/v1/quality/runs")
def list_runs(
    who: Actor = Depends(official), session: Session = Depends(db), limit: int = 50
) -> list[dict[str, Any]]:
    """The latest runs with the totals the caller may see."""
    out = []
    for run in service.list_runs(session, who, min(max(limit, 1), 200)):
        totals = service.run_counts(session, run, who)
        out.append(
            {
                "id": run.id,
                "sector": run.sector,
                "file_name": run.file_name,
                "finished_at": run.finished_at,
                "total": totals["total"],
                "counts": totals["counts"],
                "whole_file": totals["whole_file"],
            }
        )
    return out


@router.get("/v1/quality/runs/{run_id}")
def get_run(run_id: int, who: Actor = Depends(official), session: Session = Depends(db)) -> dict[str, Any]:
    """One run: totals, per-commune lines and changes since the previous run, within the caller's communes."""
    run = service.get_run(session, run_id, who)
    totals = service.run_counts(session, run, who)
    return {
        "id": run.id,
        "sector": run.sector,
        "file_name": run.file_name,
        "file_sha256": run.file_sha256,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "totals": totals,
        "summary": {"vi": service.run_summary(run, "vi"), "en": service.run_summary(run, "en")}
        if totals["whole_file"]
        else None,
        "communes": service.commune_breakdown(session, run, who),
        "changes": json.loads(run.changes or "{}") if totals["whole_file"] else None,
    }
