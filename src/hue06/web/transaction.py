"""The transaction policy of every route, in one place.

One request, one unit of work: `db` hands the route the request's session (opened by the
`UnitOfWork` middleware in `web/app.py`). The unit of work ends in one of two places, by one rule:

- by default the middleware ends it just before the response starts: **commit** when the answer is
  below 500 and no error was raised, or the error raised is a `Hue06Error` with `keep_changes`
  (a refused login's failure count, a refused read's audit entry); **roll back** otherwise;
- a sync route whose work appends to the audit chain may end it early, in its own worker thread,
  with `with finished(session):` — the same rule, applied at the end of the block. The chain head's
  lock is held until commit, so committing where the work was done releases it (and the pooled
  connection) at once rather than after the response has crossed the event loop.

Services never commit; they flush when they need an ID. Background jobs and the CLI open their own
session with `core.db.session_scope`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlalchemy.orm import Session

from hue06.core.errors import Hue06Error


async def db(request: Request) -> Session:
    """The request's unit of work. (`async` because it does no I/O: FastAPI would run a plain
    `def` dependency in a worker thread.)"""
    return request.state.db


def keeps_changes(status: int, error: BaseException | None) -> bool:
    """The rule: commit a unit of work that answered below 500 with no error, or whose error says
    its changes stay."""
    if status >= 500:
        return False
    return error is None or (isinstance(error, Hue06Error) and error.keep_changes)


@contextmanager
def finished(session: Session) -> Iterator[None]:
    """End the unit of work at the end of the block, in this thread, by the rule above.

    A block that builds its own answer (an OAuth error response, a page re-shown with errors) and
    must not keep its changes calls `session.rollback()` before leaving.
    """
    try:
        yield
    except BaseException as exc:
        if keeps_changes(400, exc):
            session.commit()
        else:
            session.rollback()
        raise
    session.commit()
