#!/usr/bin/env bash
# Make sure the PostgreSQL server the suite uses answers; start the local Debian cluster if not.
# The suite creates and drops its own database on it (tests/conftest.py).
set -u
URL="${HUE06_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
if command -v pg_isready >/dev/null 2>&1; then
  if pg_isready -d "$URL" -q; then exit 0; fi
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    ver=$(ls /etc/postgresql 2>/dev/null | head -n1)
    [ -n "$ver" ] && pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1
    for _ in $(seq 1 20); do pg_isready -d "$URL" -q && exit 0; sleep 0.5; done
  fi
fi
if [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $URL and CI requires it." >&2
  exit 1
fi
echo "PostgreSQL not reachable at $URL: PostgreSQL tests will be skipped." >&2
exit 0
