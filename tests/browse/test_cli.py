"""``stacsync browse`` as a user runs it: URLs printed, Ctrl-C, clear usage errors."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
from typer.testing import CliRunner

from stacsync.cli import ExitCode, app
from tests.browse.conftest import DATA

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACSYNC_")}
    env["STACSYNC_CACHE_DIR"] = str(cache)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def _lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


@contextmanager
def browsing(args: list[str], cache: Path) -> Iterator[tuple[subprocess.Popen[str], Any]]:
    """``stacsync browse ARGS --json`` in a subprocess; yields it and its first stdout line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stacsync", "browse", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(cache),
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        try:
            first = lines.get(timeout=20)
        except queue.Empty:
            pytest.fail("stacsync browse printed nothing within 20 s")
        yield proc, json.loads(first)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_browse_serves_until_stopped(
    catalogue: Path, dist: Path, tmp_path: Path, stop: signal.Signals
) -> None:
    with browsing([str(catalogue), "--port", "0", "--browser", str(dist)], tmp_path) as (
        proc,
        urls,
    ):
        assert urls["problem"] is None
        assert urls["browser"].startswith("http://127.0.0.1:")
        assert urls["browser"].endswith("/#/")
        base = urls["browser"].removesuffix("/#/")
        assert urls["catalog"] == f"{base}/catalog/catalog.json"
        status, body = _get(urls["catalog"])
        assert (status, body) == (200, (catalogue / "catalog.json").read_bytes())
        status, body = _get(f"{base}/catalog/{DATA}", Range="bytes=0-3")
        assert (status, body) == (206, (catalogue / DATA).read_bytes()[:4])
        assert _get(f"{base}/config.js")[1].decode().count(urls["catalog"]) == 1
        proc.send_signal(stop)
        assert proc.wait(timeout=15) == ExitCode.OK
        assert proc.stderr is not None
        stderr = proc.stderr.read()
        assert "Traceback" not in stderr
        assert "Ctrl-C" in stderr
    with pytest.raises(OSError):
        _get(urls["catalog"])


def test_browse_without_stac_browser_serves_the_catalogue_and_says_how_to_build(
    catalogue: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "empty-cache"
    with browsing([str(catalogue), "--port", "0"], cache) as (proc, urls):
        assert urls["browser"] is None
        assert "not built" in urls["problem"]
        assert str(cache / "stac-browser" / "4.0.1" / "dist") in urls["problem"]
        assert _get(urls["catalog"])[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == ExitCode.OK


def test_browse_text_output_names_both_urls(catalogue: Path, dist: Path, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "stacsync", "browse", str(catalogue), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path / "empty-cache"),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("catalogue") and "/catalog/catalog.json" in first
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == ExitCode.OK
        assert proc.stderr is not None
        stderr = flat(proc.stderr.read())
        assert "STAC Browser is not built" in stderr
        assert "just stac-browser" in stderr
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_browser_path_is_under_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACSYNC_CACHE_DIR", str(tmp_path / "c"))
    result = runner.invoke(app, ["browse", "--browser-path"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'c' / 'stac-browser' / '4.0.1' / 'dist'}\n"


def test_missing_catalogue_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["browse", str(tmp_path / "nowhere"), "--port", "0"])
    assert result.exit_code == ExitCode.USAGE
    assert "no catalog.json" in flat(result.stderr)


def test_invalid_catalogue_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "catalog.json").write_text("{broken")
    result = runner.invoke(app, ["browse", str(tmp_path), "--port", "0"])
    assert result.exit_code == ExitCode.USAGE
    assert "not a readable STAC catalogue" in flat(result.stderr)


def test_port_in_use_is_a_usage_error(catalogue: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["browse", str(catalogue), "--port", str(port)])
    assert result.exit_code == ExitCode.USAGE
    message = flat(result.stderr)
    assert f"127.0.0.1:{port}: the port is in use" in message
    assert "--port" in message


def test_port_out_of_range_is_a_usage_error(catalogue: Path) -> None:
    result = runner.invoke(app, ["browse", str(catalogue), "--port", "70000"])
    assert result.exit_code == ExitCode.USAGE


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["browse", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.stdout and "stacsync browse build/demo-catalog" in result.stdout


@pytest.mark.parametrize(
    ("flags", "display", "opened"),
    [([], ":0", True), (["--no-open"], ":0", False), ([], None, False), (["--open"], None, True)],
)
def test_opens_the_web_browser_only_when_wanted(
    catalogue: Path,
    dist: Path,
    tmp_path: Path,
    flags: list[str],
    display: str | None,
    opened: bool,
) -> None:
    record = tmp_path / "opened.txt"
    fake_browser = tmp_path / "fake-browser"
    fake_browser.write_text(f'#!/bin/sh\nprintf "%s" "$1" > {record}\n')
    fake_browser.chmod(0o755)
    env = _env(tmp_path / "cache")
    env["BROWSER"] = f"{fake_browser} %s"
    if display is not None:
        env["DISPLAY"] = display
    args = ["browse", str(catalogue), "--port", "0", "--browser", str(dist), "--json", *flags]
    proc = subprocess.Popen(
        [sys.executable, "-m", "stacsync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        urls = json.loads(proc.stdout.readline())
        assert "Ctrl-C" in proc.stderr.readline()  # printed after the browser was opened
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == ExitCode.OK
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
    if opened:
        assert record.read_text() == urls["browser"]
    else:
        assert not record.exists()
