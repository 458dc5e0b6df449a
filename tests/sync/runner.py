"""Run one pull in this process: ``python -m tests.sync.runner <spec.json>``.

The spec holds the catalogue root, the sandbox's ``describe()`` output and the pull options.
Prints ``ready`` once everything is imported (so a test can kill it mid-pull), waits for a
line on stdin when ``wait_for_go`` is set, then prints the report as one JSON line.
``fsize_limit`` caps the size of files this process may write; ``pace`` slows each batch.
"""

from __future__ import annotations

import asyncio
import json
import resource
import signal
import sys
from pathlib import Path

from stacsync.sync import PullOptions, pull
from stacsync.transport import ProviderConfig, load_provider_configs
from stacsync.transport.credentials import sandbox_configs

FAST = {"max_attempts": 4, "backoff_base": 0.01, "backoff_cap": 0.05, "rate_limits": ()}


def _slow_down(pace: float) -> None:
    """Sleep ``pace`` seconds per ``chunk_size`` bytes received, so a kill lands mid-body."""
    from stacsync.sync.sources import HttpSource

    original = HttpSource._batches

    async def batches(self, response):  # type: ignore[no-untyped-def]
        async for batch in original(self, response):  # as a slow link: chunk_size at a time
            for piece in batch:
                view = memoryview(piece)
                for start in range(0, len(view), self.chunk_size):
                    await asyncio.sleep(pace)
                    yield [view[start : start + self.chunk_size]]

    HttpSource._batches = batches  # type: ignore[method-assign]


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    base = load_provider_configs(environ={}, use_netrc=False)
    configs = {
        name: ProviderConfig(**{**config.model_dump(), **FAST})
        for name, config in sandbox_configs(spec["sandbox"], base).items()
    }
    options = PullOptions(**spec.get("options", {}))
    if "fsize_limit" in spec:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (spec["fsize_limit"], spec["fsize_limit"]))
    pace = float(spec.get("pace", 0))
    if pace:
        _slow_down(pace)
    print("ready", flush=True)
    if spec.get("wait_for_go"):
        sys.stdin.readline()
    report = asyncio.run(pull(Path(spec["root"]), configs, options))
    print(json.dumps(report.as_dict()), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
