"""A real STAC API for tests: stac-fastapi-pgstac on a throwaway PostgreSQL + PostGIS cluster.

``running_pgstac(venv, postgres)`` creates a cluster in a fresh temp folder (initdb, run as the
``postgres`` account when we are root, since initdb refuses root), starts the server on a unix
socket in that folder and on 127.0.0.1:<free port>, installs pgstac with ``pypgstac migrate``,
starts the API with uvicorn on 127.0.0.1:<free port> and waits until its landing page answers.
On exit (also after a failed start) it stops the API and the server (both are our own child
processes, stopped by PID) and deletes the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.peers.peer_tools import PeersVenv, PostgresInstall, free_port, scratch_dir

HOST = "127.0.0.1"
START_ATTEMPTS = 3  # a "free" port can be taken by someone else before the server binds it
STOP_TIMEOUT = 20.0
COMMAND_TIMEOUT = 300.0


class PeerError(RuntimeError):
    """A peer program failed to start or to do what it was asked."""


@dataclass(frozen=True)
class PgstacApi:
    """A running stac-fastapi-pgstac API and its database."""

    url: str
    dsn: str
    pg_port: int
    workdir: Path
    venv: PeersVenv
    postgres: PostgresInstall

    def load(
        self, collections: Sequence[Mapping[str, Any]], items: Iterable[Mapping[str, Any]]
    ) -> None:
        """Upsert ``collections`` then ``items`` with ``pypgstac load`` (collections first)."""
        batch = Path(tempfile.mkdtemp(prefix="load-", dir=self.workdir))
        for kind, records in (("collections", collections), ("items", items)):
            lines = [json.dumps(record) + "\n" for record in records]
            if not lines:
                continue
            path = batch / f"{kind}.ndjson"
            path.write_text("".join(lines), encoding="utf-8")
            load = argv(self.venv.tool("pypgstac"), "load", kind, path, "--dsn", self.dsn)
            _run([*load, "--method", "upsert"], f"pypgstac load {kind}", self.workdir)

    def reset(self) -> None:
        """Delete every collection and item, keeping the pgstac schema."""
        self.sql("DELETE FROM pgstac.items; DELETE FROM pgstac.collections;")

    def sql(self, statement: str) -> str:
        """Run SQL with psql as the ``postgres`` role; returns its unaligned output."""
        psql = argv(self.postgres.tool("psql"), "-X", "-qAt", "-v", "ON_ERROR_STOP=1")
        target = ["-h", HOST, "-p", str(self.pg_port), "-U", "postgres", "-d", "postgres"]
        return _run([*psql, *target, "-c", statement], "psql", self.workdir)

    def versions(self) -> dict[str, str]:
        """Versions of the server, PostGIS and pgstac in the database."""
        row = self.sql("SELECT version(), postgis_lib_version(), pgstac.get_version();")
        server, postgis, pgstac = row.strip().split("|")
        return {"postgresql": server, "postgis": postgis, "pgstac": pgstac}


def _environment(workdir: Path, path: str = "/usr/bin:/bin", **extra: str) -> dict[str, str]:
    """A minimal environment: no PG*, proxy or virtualenv variables leak in from the caller."""
    return {"PATH": path, "LANG": "C.UTF-8", "HOME": os.fspath(workdir), **extra}


def argv(*parts: str | Path) -> list[str]:
    """A command line from strings and paths."""
    return [os.fspath(part) for part in parts]


def _run(args: list[str], what: str, workdir: Path) -> str:
    """Run a command to completion; raise PeerError with its output if it fails."""
    try:
        done = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env=_environment(workdir),
            cwd=workdir,
            timeout=COMMAND_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        raise PeerError(f"{what} did not finish in {COMMAND_TIMEOUT:.0f} s: {args}") from error
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-3000:]
        raise PeerError(f"{what} failed (exit {done.returncode}): {output}")
    return done.stdout


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-size:]
    except OSError:
        return ""


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Stop our own child process: ``sig``, then SIGKILL if it lingers; always reap it."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def _spawn(
    stack: ExitStack,
    args: list[str],
    *,
    log: Path,
    env: dict[str, str],
    cwd: Path,
    user: str | None,
    stop_signal: signal.Signals,
) -> subprocess.Popen[bytes]:
    """Start a long-running child with output to ``log``; ``stack`` stops it."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    stack.callback(_stop, process, stop_signal)
    return process


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll ``ready()`` until true; False as soon as ``process`` exits; PeerError on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.1)
    raise PeerError(f"not ready after {timeout:.0f} s: {process.args!r}")


def _start_postgres(
    stack: ExitStack, postgres: PostgresInstall, workdir: Path, timeout: float
) -> int:
    """initdb + postgres on a unix socket in ``workdir`` and on 127.0.0.1; returns the port."""
    data = workdir / "data"
    env = _environment(workdir)
    initdb = argv(postgres.tool("initdb"), "-D", data, "-U", "postgres", "--auth=trust")
    done = subprocess.run(
        [*initdb, "-E", "UTF8", "--no-locale", "--no-sync"],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        user=postgres.run_as,
        group=postgres.run_as,
        extra_groups=[] if postgres.run_as else None,
        timeout=COMMAND_TIMEOUT,
    )
    if done.returncode != 0:
        raise PeerError(f"initdb failed in {data}: {(done.stdout + done.stderr)[-3000:]}")
    log = workdir / "postgres.log"
    for _ in range(START_ATTEMPTS):
        port = free_port(HOST)
        server = argv(postgres.tool("postgres"), "-D", data, "-p", str(port), "-k", workdir)
        for setting in (
            f"listen_addresses={HOST}",
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
        ):
            server += ["-c", setting]
        process = _spawn(
            stack,
            server,
            log=log,
            env=env,
            cwd=workdir,
            user=postgres.run_as,
            stop_signal=signal.SIGINT,  # "fast" shutdown
        )
        isready = argv(postgres.tool("pg_isready"), "-q", "-h", HOST, "-p", str(port))

        def accepting(command: list[str] = isready) -> bool:
            return subprocess.run(command, check=False).returncode == 0

        if _wait(accepting, process, timeout):
            return port
    raise PeerError(f"PostgreSQL did not start: {_tail(log)}")


def _start_api(
    stack: ExitStack, venv: PeersVenv, pg_port: int, workdir: Path, timeout: float
) -> str:
    """uvicorn + stac-fastapi-pgstac on 127.0.0.1:<free port>; returns the root URL."""
    env = _environment(
        workdir,
        f"{venv.root / 'bin'}:/usr/bin:/bin",
        PGUSER="postgres",
        PGPASSWORD="unused",  # required by the settings even with trust authentication
        PGHOST=HOST,
        PGPORT=str(pg_port),
        PGDATABASE="postgres",
    )
    log = workdir / "api.log"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(START_ATTEMPTS):
        port = free_port(HOST)
        url = f"http://{HOST}:{port}/"
        command = argv(venv.tool("uvicorn"), "--factory", "stac_fastapi.pgstac.app:create_app")
        command += ["--host", HOST, "--port", str(port), "--log-level", "warning"]
        process = _spawn(
            stack,
            [*command, "--no-access-log"],
            log=log,
            env=env,
            cwd=workdir,
            user=None,
            stop_signal=signal.SIGTERM,
        )

        def landing(root: str = url) -> bool:
            try:
                with opener.open(root, timeout=5) as reply:
                    return bool(reply.status == 200)
            except (urllib.error.URLError, OSError):
                return False

        if _wait(landing, process, timeout):
            return url
    raise PeerError(f"stac-fastapi-pgstac did not start: {_tail(log)}")


@contextmanager
def running_pgstac(
    venv: PeersVenv, postgres: PostgresInstall, *, timeout: float = 60.0
) -> Iterator[PgstacApi]:
    """A running stac-fastapi-pgstac API on a throwaway database, torn down on exit."""
    with ExitStack() as stack:
        workdir = scratch_dir("stacsync-pgstac-", postgres.run_as)
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        pg_port = _start_postgres(stack, postgres, workdir, timeout)
        dsn = f"postgresql://postgres@{HOST}:{pg_port}/postgres"
        _run(argv(venv.tool("pypgstac"), "migrate", "--dsn", dsn), "pypgstac migrate", workdir)
        url = _start_api(stack, venv, pg_port, workdir, timeout)
        yield PgstacApi(
            url=url, dsn=dsn, pg_port=pg_port, workdir=workdir, venv=venv, postgres=postgres
        )
