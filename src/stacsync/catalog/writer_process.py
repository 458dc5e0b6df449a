"""Item files written by a child process, so file system calls run beside the GIL.

A large batch spends most of its time in system calls (mkdir, open, write, link). Made from
threads, each call has to win the GIL back from the thread that prepares the items, so
preparing and writing mostly take turns. A child process has its own interpreter: it writes
while the parent prepares the next items.

The child runs :func:`stacsync.atomic.sync_file` for each file of a request and answers
with what happened. Requests arrive on its stdin; answers leave on a private copy of its
stdout (anything the child prints goes to stderr instead). Integers are little-endian::

    request   b"W" count:u32 durable:u8, then per file:
              make_folder:u8 len(path):u32 len(data):u32 path data
    answer    per file, in order, one of:
              b"=" unchanged | b"+" written | b"~" len:u32 old-bytes  (written, replacing)
              b"!" errno:i32 len:u32 message len:u32 filename  (failed; the rest is skipped)

A child ignores SIGINT, so an interrupted writer's children finish the request at hand
(every file stays whole) and exit when their stdin closes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import stacsync
from stacsync.atomic import sync_file
from stacsync.errors import CatalogError

_REQUEST = struct.Struct("<cIB")
_FILE = struct.Struct("<BII")
_SIZE = struct.Struct("<I")
_FAILURE = struct.Struct("<iI")

FileSync = tuple[str, bytes, bool]
"""One file of a request: path, data, whether to create its folder first."""
Outcome = tuple[bool, bytes | None]
"""Whether the file was written, and the bytes it held before if it was replaced."""

_PACKAGE_ROOT = str(Path(stacsync.__file__).resolve().parent.parent)
_BOOTSTRAP = (
    "import runpy, sys; sys.path.append(sys.argv[1]); "
    "runpy.run_path(sys.argv[2], run_name='__main__')"
)
"""How a child starts: this file run as a script, so it imports what the file needs and not
the catalogue package (pystac): ready in ~30 ms instead of ~150. The folder holding stacsync
goes last on its sys.path, in case stacsync is importable here only by a path set at run
time; -P keeps the working folder off it."""

CLOSE_TIMEOUT = 10.0
"""Seconds a child may take to finish after its stdin closes, before it is killed."""


class WriterProcess:
    """A child process that brings files up to date on request; one request at a time."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-P", "-c", _BOOTSTRAP, _PACKAGE_ROOT, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        if self._proc.stdin is None or self._proc.stdout is None:  # pragma: no cover
            raise CatalogError("no pipes to the item writer process")
        self._to: IO[bytes] = self._proc.stdin
        self._from: IO[bytes] = self._proc.stdout

    def sync(self, files: Sequence[FileSync], *, durable: bool) -> list[Outcome]:
        """Have the child bring ``files`` up to date; raise the first error it met."""
        try:
            self._to.write(encode_request(files, durable=durable))
            self._to.flush()
        except BrokenPipeError:
            self._died()
        outcomes: list[Outcome] = []
        for _ in files:
            status = self._read(1)
            if status == b"=":
                outcomes.append((False, None))
            elif status == b"+":
                outcomes.append((True, None))
            elif status == b"~":
                outcomes.append((True, self._read(self._size())))
            elif status == b"!":
                code, size = _FAILURE.unpack(self._read(_FAILURE.size))
                message = self._read(size).decode()
                filename = os.fsdecode(self._read(self._size()))
                raise OSError(code, message, filename)
            else:
                self._died()
        return outcomes

    @property
    def exit_code(self) -> int | None:
        """The child's exit code, or None while it runs."""
        return self._proc.poll()

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    def stop(self) -> None:
        """Tell the child to exit once the request at hand is answered."""
        with contextlib.suppress(OSError):  # it is gone already
            self._to.close()

    def wait(self) -> None:
        """Wait for the child to exit after :meth:`stop`; kill it if it takes too long."""
        try:
            self._proc.wait(timeout=CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._from.close()

    def _size(self) -> int:
        size: int = _SIZE.unpack(self._read(_SIZE.size))[0]
        return size

    def _read(self, size: int) -> bytes:
        data = self._from.read(size)
        if len(data) != size:
            self._died()
        return data

    def _died(self) -> None:
        try:
            code = self._proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        raise CatalogError(f"the item writer process stopped unexpectedly (exit code {code})")


def encode_request(files: Sequence[FileSync], *, durable: bool) -> bytes:
    """The bytes of a request for ``files``."""
    parts = [_REQUEST.pack(b"W", len(files), durable)]
    for path, data, make_folder in files:
        raw = os.fsencode(path)
        parts += [_FILE.pack(make_folder, len(raw), len(data)), raw, data]
    return b"".join(parts)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: answer requests until ``requests`` ends."""
    while header := requests.read(_REQUEST.size):
        kind, count, durable = _REQUEST.unpack(_whole(header, _REQUEST.size))
        if kind != b"W":
            raise ValueError(f"unknown request {kind!r}")
        answer = bytearray()
        failed = False
        for _ in range(count):
            make_folder, path_size, data_size = _FILE.unpack(_take(requests, _FILE.size))
            path = os.fsdecode(_take(requests, path_size))
            data = _take(requests, data_size)
            if failed:
                continue  # the request is read to its end, not acted upon
            try:
                written, old = sync_file(
                    path, data, make_folder=bool(make_folder), durable=bool(durable)
                )
            except OSError as exc:
                answer += _failure(exc, path)
                failed = True
                continue
            if not written:
                answer += b"="
            elif old is None:
                answer += b"+"
            else:
                answer += b"~" + _SIZE.pack(len(old)) + old
        answers.write(answer)
        answers.flush()


def run_child() -> None:
    """Entry point of a child process: serve requests from stdin until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints cannot corrupt answers
    with contextlib.suppress(EOFError):  # the parent left mid-request: no file is half-written
        serve(sys.stdin.buffer, answers)


def _failure(exc: OSError, path: str) -> bytes:
    message = (exc.strerror or str(exc)).encode()
    named = exc.filename if isinstance(exc.filename, str | bytes) else path
    filename = os.fsencode(named)
    return (
        b"!"
        + _FAILURE.pack(exc.errno or 0, len(message))
        + message
        + _SIZE.pack(len(filename))
        + filename
    )


def _take(stream: IO[bytes], size: int) -> bytes:
    return _whole(stream.read(size), size)


def _whole(data: bytes, size: int) -> bytes:
    if len(data) != size:
        raise EOFError("the request ended early")
    return data


if __name__ == "__main__":
    run_child()
