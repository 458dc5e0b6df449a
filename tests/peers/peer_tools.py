"""Where the third-party peer programs live, and why a peer cannot run here.

The peers are installed by ``.ci/install-peers``: PostgreSQL + PostGIS from Debian packages and
a separate virtualenv (``.peers/venv``) with stac-fastapi-pgstac, pypgstac, uvicorn and
stac-validator, kept apart from the project's own environment.
"""

from __future__ import annotations

import os
import pwd
import re
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO / ".peers" / "venv"
INSTALL_HINT = "install the peers with `.ci/install-peers` (apt PostgreSQL/PostGIS + .peers/venv)"
POSTGRES_ROOTS = (Path("/usr/lib/postgresql"),)
SERVER_TOOLS = ("initdb", "postgres", "psql", "pg_isready")


@dataclass(frozen=True)
class PeersVenv:
    """The peers' own virtualenv."""

    root: Path

    def tool(self, name: str) -> Path:
        """A console script of the venv, e.g. ``uvicorn`` or ``stac-valid``."""
        return self.root / "bin" / name

    def missing(self, *tools: str) -> list[str]:
        """Which of ``tools`` the venv lacks."""
        return [name for name in tools if not os.access(self.tool(name), os.X_OK)]


@dataclass(frozen=True)
class PostgresInstall:
    """A PostgreSQL server installation with PostGIS."""

    bindir: Path
    major: int
    run_as: str | None  # the account that runs the server when we are root (initdb refuses root)

    def tool(self, name: str) -> Path:
        """A PostgreSQL program, e.g. ``initdb``."""
        return self.bindir / name

    def version(self) -> str:
        """``postgres --version``, e.g. ``postgres (PostgreSQL) 15.18 (Debian ...)``."""
        done = subprocess.run(
            [self.tool("postgres"), "--version"], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


def peers_venv(configured: str | None = None) -> PeersVenv:
    """The peers venv: ``configured`` if given, else ``<repo>/.peers/venv``."""
    return PeersVenv(Path(configured) if configured else DEFAULT_VENV)


def _extension_dir(bindir: Path) -> Path:
    """PostgreSQL's extension folder (Debian: /usr/share/postgresql/<major>/extension)."""
    pg_config = bindir / "pg_config"
    if os.access(pg_config, os.X_OK):
        done = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip()) / "extension"
    return Path("/usr/share/postgresql") / bindir.parent.name / "extension"


def find_postgres() -> tuple[PostgresInstall | None, str]:
    """The newest PostgreSQL with PostGIS, or None and the reason none is usable."""
    candidates: list[tuple[int, Path]] = []
    for root in POSTGRES_ROOTS:
        if root.is_dir():
            for entry in root.iterdir():
                if re.fullmatch(r"\d+", entry.name):
                    candidates.append((int(entry.name), entry / "bin"))
    if not candidates:
        return None, f"no PostgreSQL server under {', '.join(map(str, POSTGRES_ROOTS))}"
    reasons = []
    for major, bindir in sorted(candidates, reverse=True):
        absent = [t for t in SERVER_TOOLS if not os.access(bindir / t, os.X_OK)]
        if absent:
            reasons.append(f"PostgreSQL {major} lacks {', '.join(absent)} in {bindir}")
            continue
        if not (_extension_dir(bindir) / "postgis.control").exists():
            reasons.append(f"PostgreSQL {major} has no PostGIS (postgresql-{major}-postgis-3)")
            continue
        run_as = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                reasons.append("running as root and there is no `postgres` account for initdb")
                continue
            run_as = "postgres"
        return PostgresInstall(bindir=bindir, major=major, run_as=run_as), ""
    return None, "; ".join(reasons)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def scratch_dir(prefix: str, owner: str | None) -> Path:
    """A fresh folder in the system temp dir, handed to ``owner`` if given.

    The system temp dir (not pytest's per-user 0700 tree) keeps the path short enough for a
    unix socket and reachable by the ``postgres`` account.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if owner is not None:
        account = pwd.getpwnam(owner)
        os.chown(path, account.pw_uid, account.pw_gid)
    return path
