"""stac-validator (PyPI ``stac-valid``) run offline against the project's schema store.

The store's ``schema-map.json`` maps schema URLs to paths relative to the map. stac-validator
wants absolute paths in its ``--schema-config`` file, and the schemas' own ``$id`` URLs as well
(projection v2.0.0 ``$ref``s PROJJSON by its ``$id``), so a config is generated per run.

The validator runs with every HTTP(S) proxy pointed at a closed loopback port: a schema that is
not in the store makes the object invalid (``ProxyError``) instead of being downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.peers.peer_tools import PeersVenv

OFFLINE_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused
TIMEOUT = 300.0


@dataclass(frozen=True)
class StacValidatorReport:
    """The outcome of one stac-validator run.

    ``entries`` is stac-validator's JSON report, one dict per object checked, in the order
    checked (``path``, ``valid_stac``, ``schema``, and on failure ``error_type``,
    ``error_message``, ``failed_schema``). Recursive validation stops at the first invalid
    object, so a failing run lists the objects up to and including that one.
    """

    returncode: int
    entries: list[dict[str, Any]]
    output: str
    failed_schemas: list[str]  # per failure, as a schema URL (local store paths mapped back)

    @property
    def valid(self) -> bool:
        """True if stac-validator exited 0 and every object checked is valid."""
        return (
            self.returncode == 0
            and bool(self.entries)
            and all(entry.get("valid_stac") is True for entry in self.entries)
        )

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The entries of invalid objects."""
        return [entry for entry in self.entries if entry.get("valid_stac") is not True]

    @property
    def paths(self) -> list[Path]:
        """The files checked, normalised (stac-validator joins links as ``dir/./file``)."""
        return [Path(os.path.normpath(entry["path"])) for entry in self.entries]


@dataclass(frozen=True)
class SchemaConfig:
    """A stac-validator ``--schema-config`` file and, for reading reports, file -> schema URL."""

    path: Path
    urls: dict[str, str]


def schema_config(store: Path) -> dict[str, Any]:
    """A stac-validator schema config for ``store``: absolute paths, plus ``$id`` aliases."""
    store = store.resolve()
    mapping: dict[str, str] = json.loads((store / "schema-map.json").read_text())
    schemas = {url: os.fspath(store / rel) for url, rel in mapping.items()}
    for rel in mapping.values():
        own_id = json.loads((store / rel).read_text()).get("$id", "")
        alias = own_id.rstrip("#") if isinstance(own_id, str) else ""
        if alias and alias not in schemas:
            schemas[alias] = os.fspath(store / rel)
    return {"schemas": dict(sorted(schemas.items()))}


def write_schema_config(store: Path, dest: Path) -> SchemaConfig:
    """Write the config for ``store`` to ``dest`` (JSON, which stac-validator reads as YAML)."""
    dest.write_text(json.dumps(schema_config(store), indent=1))
    mapping: dict[str, str] = json.loads((store / "schema-map.json").read_text())
    urls = {os.fspath(store.resolve() / rel): url for url, rel in mapping.items()}
    return SchemaConfig(path=dest, urls=urls)


def run_stac_validator(
    venv: PeersVenv,
    config: SchemaConfig,
    target: Path,
    *,
    recursive: bool = True,
    workdir: Path,
) -> StacValidatorReport:
    """Validate ``target`` (a catalogue, collection or item file) with ``stac-valid``."""
    handle, name = tempfile.mkstemp(prefix="stac-validator-", suffix=".json", dir=workdir)
    os.close(handle)
    report_file = Path(name)
    command = [os.fspath(venv.tool("stac-valid")), "validate", "--schema-config"]
    command += [os.fspath(config.path), "--no_output", "--log_file", os.fspath(report_file)]
    if recursive:
        command.append("--recursive")
    command.append(os.fspath(target.resolve()))
    env = {
        "PATH": f"{venv.root / 'bin'}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": os.fspath(workdir),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        env[name] = env[name.upper()] = OFFLINE_PROXY
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=workdir, timeout=TIMEOUT
    )
    output = (done.stdout + done.stderr).strip()
    try:
        entries = json.loads(report_file.read_text())
    except (OSError, ValueError) as error:
        raise RuntimeError(
            f"stac-validator wrote no JSON report for {target} (exit {done.returncode}): "
            f"{output[-2000:]}"
        ) from error
    finally:
        report_file.unlink(missing_ok=True)
    if isinstance(entries, dict):
        entries = [entries]
    failed = [
        config.urls.get(entry.get("failed_schema", ""), entry.get("failed_schema", ""))
        for entry in entries
        if entry.get("valid_stac") is not True
    ]
    return StacValidatorReport(
        returncode=done.returncode, entries=entries, output=output, failed_schemas=failed
    )
