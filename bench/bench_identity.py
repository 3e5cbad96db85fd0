"""Identity benchmarks over HTTP against PostgreSQL: password logins/s, client-credentials grants/s,
refresh-token grants/s (with rotation), userinfo/s, and what 10,000 live sessions cost.

It creates a scratch database `hue06_bench_identity_<pid>`, serves the real app with Uvicorn
(`--workers` processes, 2 by default: one per core), drives it from this process with httpx
(asyncio, `--concurrency` connections), and drops the database at the end. The load generator
shares the two cores with the server, so the per-core figures (rate / cores) are conservative.

    .venv/bin/python bench/bench_identity.py [--seconds 10] [--concurrency 16] [--workers 2]
        [--repeat 3] [--only refresh,userinfo] [--sessions 0]

On a shared machine take several short runs (`--repeat`): it prints each run, then the best and
the median rate and CPU per request.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hue06.core.db import make_engine, make_sessionmaker, normalize_url, session_scope
from hue06.core.migrate import upgrade
from hue06.core.personal_id import make_personal_id
from hue06.core.security import hash_password, new_token, token_hash
from hue06.core.text import fold, split_name

PG_ADMIN = normalize_url(os.environ.get("HUE06_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
KEYCLOAK_PER_VCPU = {"password logins/s": 15, "client-credentials grants/s": 120, "refreshes/s": 120}
PASSWORD = "bench-mat-khau-2024"  # noqa: S105 - accounts of a scratch database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, accounts: int, chains: int) -> dict:
    """Residents with level-1 accounts, a sign-in app, a machine client, live token chains."""
    from hue06.identity import oidc
    from hue06.identity.models import CitizenAccount, OAuthToken
    from hue06.registry.models import Resident

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    pw_hash = hash_password(PASSWORD)  # one hash for all: seeding speed, same verification cost
    ids = []
    with session_scope(factory) as s:
        for i in range(accounts):
            gender = "female" if i % 2 else "male"
            pid = make_personal_id("046", gender, 1980 + i % 30, 100_000 + i)
            name = "Nguyễn Thị Lan" if gender == "female" else "Trần Văn Minh"
            parts = split_name(name)
            r = Resident(
                personal_id=pid,
                family_name=parts.family,
                middle_name=parts.middle,
                given_name=parts.given,
                full_name=name,
                search_key=fold(name),
                given_key=fold(parts.given),
                gender=gender,
                date_of_birth=date(1980 + i % 30, 1 + i % 12, 1 + i % 28),
                commune_code="19750",
                address_detail=f"{i} Lê Lợi",
            )
            s.add(r)
            s.flush()
            s.add(
                CitizenAccount(
                    subject=secrets.token_hex(16),
                    resident_id=r.id,
                    personal_id=pid,
                    password_hash=pw_hash,
                    phone="0912345678",
                    status="active",
                    level=1,
                )
            )
            ids.append(pid)
        web = oidc.register_client(
            s, "Bench web app", ["https://bench.example.vn/cb"], ["openid profile address phone"]
        )
        machine = oidc.register_client(
            s, "Bench machine", [], ["registry.verify"], grant_types=["client_credentials"]
        )
        s.flush()
        account_ids = [a for (a,) in s.execute(text("SELECT id FROM citizen_accounts ORDER BY id"))]
        refresh, access = [], []
        now = __import__("hue06.core.db", fromlist=["utcnow"]).utcnow()
        for i in range(chains):
            rt, at = new_token(48), new_token(32)
            s.add(
                OAuthToken(
                    client_id=web.client_id,
                    account_id=account_ids[i % len(account_ids)],
                    scope="openid profile address phone",
                    access_hash=token_hash(at),
                    refresh_hash=token_hash(rt),
                    family=secrets.token_hex(16),
                    acr="urn:hue06:loa:1",
                    amr="pwd",
                    auth_time=int(time.time()),
                    expires_at=now + timedelta(hours=2),
                    refresh_expires_at=now + timedelta(days=1),
                )
            )
            refresh.append(rt)
            access.append(at)
    engine.dispose()
    return {"pids": ids, "web": web, "machine": machine, "refresh": refresh, "access": access}


class RawHTTP:
    """A minimal HTTP/1.1 keep-alive client for the token endpoints' figures.

    httpx spends about 2 ms of CPU per request here, as much as the server's whole work, and the
    load generator shares the two cores with the server: with it, the measured rate says more about
    the client than about hue06. This sends a request and reads a Content-Length body, no more.
    """

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        host_port = base.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port = int(port)
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host_port, **(headers or {})}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    @staticmethod
    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    async def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        body = urlencode(form).encode() if form is not None else b""
        ctype = "Content-Type: application/x-www-form-urlencoded\r\n" if form is not None else ""
        self.writer.write(
            f"{method} {path} HTTP/1.1\r\n{self.fixed}{ctype}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError("response without Content-Length")
        length = int(lower[at + 17 : lower.find(b"\r\n", at + 2)])
        data = await self.reader.readexactly(length)
        if b"\r\nconnection: close" in lower:
            self.writer.close()
            self.reader = self.writer = None
        return status, data


async def _run(seconds: float, concurrency: int, make_worker) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    ok = fail = 0
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        nonlocal ok, fail
        step = await make_worker(i)
        while time.perf_counter() < deadline:
            if await step():
                ok += 1
            else:
                fail += 1

    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    return ok, fail


def _cpu(pid: int) -> float:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class CpuMeter:
    """CPU seconds used by the server (master + workers) and by its PostgreSQL backends.

    On a machine shared with other work the request rate understates what the code can do; CPU
    per request does not depend on what else runs, so it gives the capacity per core as well.
    """

    def __init__(self, server_pid: int, db_name: str) -> None:
        self.server_pid = server_pid
        self.db_name = db_name
        self.admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")

    def pids(self) -> set[int]:
        return self.server_pids() | self.pg_pids()

    def server_pids(self) -> set[int]:
        out = {self.server_pid}
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.server_pid:
                        out.add(int(p.name))
                except (OSError, IndexError, ValueError):
                    continue
        return out

    def pg_pids(self) -> set[int]:
        with self.admin.connect() as conn:
            return {
                int(r[0])
                for r in conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": self.db_name}
                )
            }

    def snapshot(self) -> dict[int, float]:
        return {pid: _cpu(pid) for pid in self.pids()}

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(t - before.get(pid, 0.0) for pid, t in after.items())


METER: CpuMeter | None = None
CPU_MS: dict[str, list[float]] = {}
RATES: dict[str, list[float]] = {}


def measure(name: str, seconds: float, concurrency: int, make_worker) -> float:  # type: ignore[no-untyped-def]
    before = METER.snapshot() if METER else {}
    own = time.process_time()
    started = time.perf_counter()
    ok, fail = asyncio.run(_run(seconds, concurrency, make_worker))
    rate = ok / (time.perf_counter() - started)
    client_ms = (time.process_time() - own) / ok * 1000 if ok else float("nan")
    after = METER.snapshot() if METER else {}
    cpu = CpuMeter.used(before, after)
    pg = CpuMeter.used(before, {p: t for p, t in after.items() if p in METER.pg_pids()}) if METER else 0.0
    per = cpu / ok * 1000 if ok else float("nan")
    CPU_MS.setdefault(name, []).append(per)
    RATES.setdefault(name, []).append(rate)
    print(
        f"  {name:<30} {rate:8.1f}/s   ({ok} ok, {fail} failed, {concurrency} connections; CPU per request "
        f"{per:.1f} ms = server {per - pg / ok * 1000:.1f} + PostgreSQL {pg / ok * 1000:.1f}; "
        f"the load generator itself {client_ms:.1f} ms)",
        flush=True,
    )
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--accounts", type=int, default=400)
    ap.add_argument(
        "--sessions", type=int, default=10_000, help="live sessions for the memory figure (0: skip)"
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs of each figure (best and median are printed)")
    ap.add_argument(
        "--only", default="login,cc,refresh,userinfo", help="comma-separated: login,cc,refresh,userinfo"
    )
    args = ap.parse_args()
    only = set(args.only.split(","))
    cores = os.cpu_count() or 1

    name = f"hue06_bench_identity_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        upgrade(url)
        print(f"seeding {args.accounts} accounts …", flush=True)
        data = seed(url, args.accounts, args.concurrency * 4)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        tmp = tempfile.mkdtemp(prefix="hue06-bench-")
        env = {
            **os.environ,
            "HUE06_DATABASE_URL": url,
            "HUE06_DATA_DIR": tmp,
            "HUE06_SECRET_KEY": "b" * 48,
            "HUE06_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "hue06.web.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        httpx.get(f"{base}/oauth/jwks")  # signing keys exist before the timed runs
        global METER
        METER = CpuMeter(server.pid, name)
        limits = httpx.Limits(max_connections=args.concurrency * 2)
        print(
            f"hue06 identity benchmark — {date.today()} — {platform.node()} {cores} cores, "
            f"{args.workers} Uvicorn workers, PostgreSQL",
            flush=True,
        )

        pids = data["pids"]
        machine = data["machine"]
        web = data["web"]
        chains = list(data["refresh"])  # the live end of every refresh chain, across runs

        async def login_worker(i: int):  # type: ignore[no-untyped-def]
            client = httpx.AsyncClient(base_url=base, limits=limits)
            await client.get("/account/login")
            csrf = client.cookies.get("hue06_csrf")
            n = [i]

            async def step() -> bool:
                n[0] += args.concurrency
                r = await client.post(
                    "/account/login",
                    data={"personal_id": pids[n[0] % len(pids)], "password": PASSWORD, "csrf_token": csrf},
                )
                return r.status_code == 303 and r.headers.get("location") == "/account"

            return step

        async def cc_worker(i: int):  # type: ignore[no-untyped-def]
            client = RawHTTP(base, RawHTTP.basic(machine.client_id, machine.client_secret))
            form = {"grant_type": "client_credentials", "scope": "registry.verify"}

            async def step() -> bool:
                return (await client.request("POST", "/oauth/token", form))[0] == 200

            return step

        async def refresh_worker(i: int):  # type: ignore[no-untyped-def]
            client = RawHTTP(base, RawHTTP.basic(web.client_id, web.client_secret))
            turn = [0]

            async def step() -> bool:
                k = i * 4 + turn[0] % 4
                turn[0] += 1
                status, body = await client.request(
                    "POST", "/oauth/token", {"grant_type": "refresh_token", "refresh_token": chains[k]}
                )
                if status != 200:
                    return False
                chains[k] = json.loads(body)["refresh_token"]
                return True

            return step

        access: list[str] = []

        async def userinfo_worker(i: int):  # type: ignore[no-untyped-def]
            client = RawHTTP(base, {"Authorization": f"Bearer {access[i % len(access)]}"})

            async def step() -> bool:
                return (await client.request("GET", "/oauth/userinfo"))[0] == 200

            return step

        plan = [
            ("login", "password logins/s", "password logins (argon2id)", login_worker),
            ("cc", "client-credentials grants/s", "client-credentials grants", cc_worker),
            ("refresh", "refreshes/s", "refresh (rotation)", refresh_worker),
            ("userinfo", "userinfo/s", "userinfo (claims from register)", userinfo_worker),
        ]
        labels: dict[str, str] = {}
        for short, key, label, worker in plan:
            if short not in only:
                continue
            if short == "userinfo" and not access:
                access.extend(
                    fresh_access(base, web, chains, args.concurrency)
                    or seed_access(url, web.client_id, args.concurrency)
                )
            labels[key] = label
            for _ in range(args.repeat):
                measure(label, args.seconds, args.concurrency, worker)

        if args.sessions:
            db_bytes, rss_before, rss_after = session_memory(url, base, server.pid, args.sessions)
            print(
                f"  {args.sessions:,} live sessions: {db_bytes / 1e6:.1f} MB in PostgreSQL "
                f"(web_sessions table + indexes, {db_bytes / args.sessions:.0f} B each); server RSS "
                f"{rss_before / 1e6:.0f} → {rss_after / 1e6:.0f} MB after one request on each session",
                flush=True,
            )

        print(f"\nper core beside Keycloak's published sizing per vCPU ({args.repeat} run(s) each):")
        print(
            f"  {'':<28} {'measured/cores best':>19} {'median':>7} {'CPU-ms best':>11} {'median':>7} "
            f"{'1000/CPU-ms best':>16} {'median':>7}"
        )
        for key, label in labels.items():
            kc = KEYCLOAK_PER_VCPU.get(key)
            rates, ms = RATES[label], CPU_MS[label]
            best_ms, med_ms = min(ms), statistics.median(ms)
            print(
                f"  {key:<28} {max(rates) / cores:19.1f} {statistics.median(rates) / cores:7.1f} "
                f"{best_ms:11.2f} {med_ms:7.2f} {1000 / best_ms:16.1f} {1000 / med_ms:7.1f}"
                + (f"   (Keycloak {kc})" if kc else "")
            )
        loadavg = os.getloadavg()
        print(
            f"\nload average at the end: {loadavg[0]:.2f} {loadavg[1]:.2f} {loadavg[2]:.2f} on {cores} cores"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                    "AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def fresh_access(base: str, web, chains: list[str], n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Access tokens for userinfo, from the live end of the refresh chains (which move on)."""
    out = []
    with httpx.Client(base_url=base, auth=(web.client_id, web.client_secret)) as c:
        for k in range(min(n, len(chains))):
            r = c.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": chains[k]})
            if r.status_code == 200:
                chains[k] = r.json()["refresh_token"]
                out.append(r.json()["access_token"])
    return out


def seed_access(url: str, client_id: str, n: int) -> list[str]:
    from hue06.core.db import utcnow
    from hue06.identity.models import OAuthToken

    engine = make_engine(url)
    out = []
    with session_scope(make_sessionmaker(engine)) as s:
        account_id = s.execute(text("SELECT min(id) FROM citizen_accounts")).scalar()
        for _ in range(n):
            at = new_token(32)
            s.add(
                OAuthToken(
                    client_id=client_id,
                    account_id=account_id,
                    scope="openid profile address phone",
                    access_hash=token_hash(at),
                    family=secrets.token_hex(16),
                    expires_at=utcnow() + timedelta(hours=1),
                )
            )
            out.append(at)
    engine.dispose()
    return out


def _rss(pid: int) -> int:
    """Resident memory of the server and its worker processes."""
    total = 0
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text().split()
            if int(p.name) == pid or int(stat[3]) == pid:
                total += int((p / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def session_memory(url: str, base: str, server_pid: int, n: int) -> tuple[int, int, int]:
    """Sessions live in the database, not in the server: measure both."""
    from hue06.identity import service

    engine = make_engine(url)
    tokens = []
    with session_scope(make_sessionmaker(engine)) as s:
        ids = [a for (a,) in s.execute(text("SELECT id FROM citizen_accounts ORDER BY id"))]
        s.execute(text("DELETE FROM web_sessions"))
        for i in range(n):
            new = service.start_session(
                s,
                "citizen",
                ids[i % len(ids)],
                ip="127.0.0.1",
                user_agent="Mozilla/5.0 (bench) Chrome/120",
                acr="urn:hue06:loa:1",
            )
            tokens.append(new.token)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE web_sessions"))
        size = conn.execute(text("SELECT pg_total_relation_size('web_sessions')")).scalar()
    engine.dispose()
    before = _rss(server_pid)

    async def touch() -> None:
        async with httpx.AsyncClient(base_url=base) as client:
            sem = asyncio.Semaphore(16)

            async def one(tok: str) -> None:
                async with sem:
                    await client.get("/healthz", cookies={"hue06_session": tok})

            await asyncio.gather(*(one(t) for t in tokens))

    asyncio.run(touch())
    return int(size), before, _rss(server_pid)


if __name__ == "__main__":
    main()
