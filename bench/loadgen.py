"""A lean open-loop HTTP/1.1 load generator for the benchmarks.

Why not httpx: on this 2-core machine the load generator shares the cores with the server it
measures. httpx's async client spends about a millisecond of CPU per request, which at 200
requests/s takes a large share of a core away from the server and inflates every latency. This
generator writes pre-built requests on keep-alive sockets and parses only the status line, the
headers and a Content-Length or chunked body: tens of microseconds per request.

Requests are due at a constant rate; each latency is counted from the moment its request was due,
so a server that falls behind pays for the queue (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body or self.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Outcome:
    index: int
    response: Response | None
    latency_ms: float  # from when the request was due
    service_ms: float  # from when it was written to the socket
    error: str = ""


async def _read_response(reader: asyncio.StreamReader) -> Response:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        body = b""
    return Response(status, headers, body)


class _Pool:
    """Keep-alive connections; a request that finds none idle opens a new one (open loop)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0

    async def take(
        self, fresh: bool = False
    ) -> tuple[bool, tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
        """(reused, connection)."""
        if self.idle and not fresh:
            return True, self.idle.pop()
        self.opened += 1
        return False, await asyncio.open_connection(self.host, self.port)

    def give(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], keep: bool) -> None:
        if keep:
            self.idle.append(conn)
        else:
            conn[1].close()

    def close(self) -> None:
        for _, w in self.idle:
            w.close()


async def _run(
    host: str,
    port: int,
    requests: Sequence[Request],
    rate: float,
    check: Callable[[int, Response], bool] | None,
) -> tuple[list[Outcome], float, int]:
    pool = _Pool(host, port)
    hostport = f"{host}:{port}"
    wire = [r.encode(hostport) for r in requests]
    outcomes: list[Outcome] = []

    async def one(i: int, due: float) -> None:
        reused, conn = await pool.take()
        sent = time.perf_counter()
        try:
            conn[1].write(wire[i])
            resp = await _read_response(conn[0])
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            pool.give(conn, keep=False)
            if reused and isinstance(exc, asyncio.IncompleteReadError) and not exc.partial:
                # the server closed a keep-alive connection that sat idle: send again on a new one
                _, conn = await pool.take(fresh=True)
                try:
                    conn[1].write(wire[i])
                    resp = await _read_response(conn[0])
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc2:
                    exc = exc2
                    pool.give(conn, keep=False)
                else:
                    exc = None
            if exc is not None:
                done = time.perf_counter()
                outcomes.append(
                    Outcome(i, None, (done - due) * 1000, (done - sent) * 1000, type(exc).__name__)
                )
                return
        done = time.perf_counter()
        pool.give(conn, keep=resp.headers.get("connection", "").lower() != "close")
        error = "" if check is None or check(i, resp) else "unexpected answer"
        outcomes.append(Outcome(i, resp, (done - due) * 1000, (done - sent) * 1000, error))

    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(len(wire)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    pool.close()
    return sorted(outcomes, key=lambda o: o.index), elapsed, pool.opened


def open_loop(
    base: str, requests: Sequence[Request], rate: float, check: Callable[[int, Response], bool] | None = None
) -> tuple[list[Outcome], float, int]:
    """Send `requests` at `rate` per second to `base` (http://host:port); (outcomes, seconds, connections)."""
    hostport = base.split("://", 1)[1].rstrip("/")
    host, _, port = hostport.partition(":")
    try:
        import uvloop  # installed with uvicorn[standard]; a cheaper event loop for the generator too
    except ImportError:  # pragma: no cover
        return asyncio.run(_run(host, int(port or 80), requests, rate, check))
    return uvloop.run(_run(host, int(port or 80), requests, rate, check))


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
