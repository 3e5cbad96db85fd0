"""Assemble the FastAPI app: every module's routers, sessions per request, errors, logging.

The access log names the route template (`/api/v1/residents/{personal_id}`), never the path
itself, so personal IDs and search words never reach a log file.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hue06 import __version__, modules
from hue06.core import audit
from hue06.core.config import Settings, load_settings
from hue06.core.db import POOL_SIZE, make_engine, make_sessionmaker, session_scope
from hue06.core.errors import Hue06Error, InvalidInput, not_found
from hue06.core.security import Actor, new_token
from hue06.identity import service as identity
from hue06.web.deps import CSRF_COOKIE, SESSION_COOKIE, SignInRequired, login_redirect
from hue06.web.i18n import pick_lang
from hue06.web.templating import render
from hue06.web.transaction import keeps_changes

log = logging.getLogger("hue06.access")


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", None) or "(unmatched)"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(
        ("/api/", "/oauth", "/.well-known")
    ) and "text/html" in request.headers.get("accept", "")


class UnitOfWork:
    """One database session per request: committed when the request succeeds, rolled back otherwise.

    A plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task and a stream per request).
    The commit happens in a worker thread just before the response starts, so the client never sees
    a success that was not stored, and the event loop never waits on the database.
    """

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        app = self.fastapi_app
        request = Request(scope)
        session = app.state.sessionmaker()
        state = request.state
        state.db = session
        state.error = None
        state.lang = pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)
        csrf = request.cookies.get(CSRF_COOKIE) or new_token(24)
        state.csrf_token = csrf
        state.actor = None
        secure = app.state.settings.is_production
        status_seen: list[int] = []

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                status_seen.append(status)
                error = state.error
                if not session.in_transaction():
                    pass  # nothing to end (the route ended it with `finished`, or never used the DB)
                elif keeps_changes(status, error):
                    await run_in_threadpool(session.commit)
                else:
                    await run_in_threadpool(session.rollback)
                headers = MutableHeaders(scope=message)
                if CSRF_COOKIE not in request.cookies:
                    headers.append("set-cookie", _cookie(CSRF_COOKIE, csrf, secure=secure, httponly=True))
                if "lang" in request.query_params and state.lang != request.cookies.get("lang"):
                    headers.append(
                        "set-cookie", _cookie("lang", state.lang, secure=secure, max_age=365 * 86400)
                    )
                for name, value in _SECURITY_HEADERS:
                    if name not in headers:
                        headers[name] = value
                # Pages and answers may hold personal data: no browser or proxy keeps them (so Back
                # after signing out shows nothing). Public documents say so themselves.
                if "cache-control" not in headers and not scope["path"].startswith("/static/"):
                    headers["cache-control"] = "no-store"
            await send(message)

        try:
            # In a worker thread, and the connection handed back before the route runs: a loop
            # blocked waiting for a pooled connection would stall every request.
            if app.state.load_actor is not _load_actor or _may_have_actor(request):
                state.actor = _recent_api_actor(app, request)
                if state.actor is None:
                    await run_in_threadpool(_load_actor_and_release, app, request, session)
            await self.app(scope, receive, send_wrapper)
        except Exception:
            if session.in_transaction():
                await run_in_threadpool(session.rollback)
            raise
        finally:
            # Without a transaction the session holds no connection: closing it is no I/O.
            if session.in_transaction():
                await run_in_threadpool(session.close)
            else:
                session.close()
            log.info(
                "%s %s %s %.1fms",
                request.method,
                _route_template(request),
                status_seen[0] if status_seen else 500,
                (time.perf_counter() - started) * 1000,
            )


def _too_large(value: object) -> bool:
    """An integer beyond PostgreSQL's `integer` (the narrowest key column hue06 uses)."""
    text_ = str(value).strip()
    return text_.lstrip("+-").isdigit() and not -(2**31) <= int(text_) < 2**31


_SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
)


def _cookie(
    name: str, value: str, *, secure: bool, httponly: bool = False, max_age: int | None = None
) -> str:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if httponly:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def _load_actor_and_release(app: FastAPI, request: Request, session) -> None:  # type: ignore[no-untyped-def]
    app.state.load_actor(request, session)
    session.commit()


def _api_token(request: Request) -> str | None:
    """The `Authorization: Bearer` token of an API request (tokens are not accepted on pages)."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer " and request.url.path.startswith("/api/"):
        return auth[7:].strip()
    return None


def _may_have_actor(request: Request) -> bool:
    """Whether `_load_actor` has anything to look up (if not, the request skips a thread hop)."""
    return bool(request.cookies.get(SESSION_COOKIE)) or _api_token(request) is not None


def _recent_api_actor(app: FastAPI, request: Request) -> Actor | None:
    """An API token's actor from the identity module's short cache: no thread hop, no query."""
    token = _api_token(request) if app.state.load_actor is _load_actor else None
    if token is None:
        return None
    return identity.cached_api_actor(token, request.client.host if request.client else "")


def _load_actor(request: Request, session) -> None:  # type: ignore[no-untyped-def]
    """Who is asking: a browser session cookie or an `Authorization: Bearer` API token."""
    token = _api_token(request)
    ip = request.client.host if request.client else ""
    if token is not None:
        request.state.actor = identity.actor_from_api_token(session, token, ip)
        return
    ws = identity.load_session(session, request.cookies.get(SESSION_COOKIE))
    if ws is not None:
        request.state.web_session = ws
        request.state.actor = identity.actor_for_session(session, ws, ip)


def _include_module_routers(app: FastAPI) -> None:
    for part in ("api", "views"):
        for _name, module in modules.parts(part, extra=True):
            router = getattr(module, "router", None)
            if router is not None:
                app.include_router(router)


# Worker threads for sync routes, at most as many as the PostgreSQL pool holds (core.db.POOL_SIZE):
# more threads than pooled connections make the pool open and close short-lived connections
# under a burst, each costing a PostgreSQL backend, and two cores gain nothing from more threads.
WORKER_THREADS = POOL_SIZE


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    every = app.state.settings.audit_checkpoint_seconds
    async with anyio.create_task_group() as tasks:
        if every > 0:
            tasks.start_soon(_sign_checkpoints, app, every)
        yield
        tasks.cancel_scope.cancel()
    app.state.engine.dispose()


async def _sign_checkpoints(app: FastAPI, every: float) -> None:
    """Every few seconds, sign the audit chains' heads (nothing is written when nothing changed).
    Each server does it; the database lets one at a time through."""
    key = audit.CheckpointKey.load(app.state.settings.audit_key_file)
    while True:
        await anyio.sleep(every)
        try:
            await run_in_threadpool(_checkpoint_once, app, key)
        except Exception as exc:  # a missed checkpoint is retried next time; the server stays up
            logging.getLogger("hue06.audit").warning("audit checkpoint failed: %s", type(exc).__name__)


def _checkpoint_once(app: FastAPI, key: audit.CheckpointKey) -> None:
    with session_scope(app.state.sessionmaker) as session:
        audit.checkpoint(session, key)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        title="hue06",
        version=__version__,
        lifespan=_lifespan,
        description="Đề án 06 platform: population register, e-ID, data quality, public services.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.load_actor = _load_actor
    app.add_middleware(UnitOfWork, fastapi_app=app)

    static_dir = Path(__file__).parent / "static"
    app.mount("/static", StaticFiles(directory=static_dir), name="static")

    @app.exception_handler(Hue06Error)
    async def _hue06_error(request: Request, exc: Hue06Error) -> Response:
        request.state.error = exc
        if _wants_html(request):
            return render(request, "error.html", {"error": exc}, status_code=exc.status_code)
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return login_redirect(request, exc.login_path)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        request.state.error = exc
        fields = [".".join(str(p) for p in err.get("loc", ())) for err in exc.errors()]
        return JSONResponse(
            {
                "error": "validation",
                "fields": fields,
                "message": {"vi": "Dữ liệu gửi lên không hợp lệ.", "en": "The request is not valid."},
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        request.state.error = exc
        if _wants_html(request):
            err = Hue06Error(
                "http",
                "Không tìm thấy trang." if exc.status_code == 404 else "Lỗi.",
                "Page not found." if exc.status_code == 404 else "Error.",
            )
            return render(request, "error.html", {"error": err}, status_code=exc.status_code)
        return JSONResponse(
            {"error": "http", "detail": exc.detail},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        """A number too large for its column (SQLite: OverflowError; PostgreSQL: 'integer out of
        range'). In the path it names nothing, exactly like an unknown ID; elsewhere it is invalid."""
        request.state.error = exc
        if any(_too_large(v) for v in request.path_params.values()):
            err: Hue06Error = not_found()
        else:
            err = InvalidInput("out_of_range", "Giá trị số vượt quá giới hạn.", "A number is out of range.")
        if _wants_html(request):
            return render(request, "error.html", {"error": err}, status_code=err.status_code)
        return JSONResponse(err.to_dict(), status_code=err.status_code)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        """No stack trace, no personal data: a reference the operator can find in the log."""
        ref = new_token(6)
        logging.getLogger("hue06.error").error(
            "unhandled error ref=%s route=%s type=%s", ref, _route_template(request), type(exc).__name__
        )
        return JSONResponse(
            {
                "error": "internal",
                "ref": ref,
                "message": {
                    "vi": "Lỗi hệ thống. Mã tham chiếu: " + ref,
                    "en": "Internal error. Reference: " + ref,
                },
            },
            status_code=500,
        )

    @app.get("/healthz", include_in_schema=True, tags=["ops"])
    def healthz(request: Request) -> dict[str, str]:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": request.app.state.engine.dialect.name}

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        return render(request, "home.html", {"cards": HOME_CARDS})

    _include_module_routers(app)
    return app


# The front page's doors; modules that are not installed simply do not answer their link.
HOME_CARDS = [
    {"href": "/registry/residents", "title": "Dân cư", "text": "Tra cứu cư dân, hộ gia đình, địa chỉ số."},
    {
        "href": "/account",
        "title": "Tài khoản định danh",
        "text": "Đăng ký, đăng nhập một lần cho mọi ứng dụng của tỉnh.",
    },
    {"href": "/quality", "title": "Làm sạch dữ liệu", "text": "Xác thực dữ liệu các ngành với CSDL dân cư."},
    {"href": "/services", "title": "Dịch vụ công", "text": "Nộp hồ sơ không khai lại điều Nhà nước đã biết."},
    {"href": "/steering", "title": "Điều hành Đề án 06", "text": "Nhiệm vụ, mô hình, báo cáo định kỳ."},
]
