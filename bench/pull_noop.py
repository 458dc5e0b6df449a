"""Benchmark: a no-op pull of 10,000 synced assets, and the memory of pulling them.

A Terrascope sandbox (own process, rate limits off) serves its small files; the catalogue has
``--items`` items of ``--assets`` assets each (hrefs repeat across items, each copy is its
own file). A first pull (child process) fetches everything and reports its peak RSS; a second
pull, with nothing changed upstream, must take under 2 s and make no data request, counted in
the sandbox's own request log.

Prints one JSON line.

    python bench/pull_noop.py --items 500 --assets 20
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pull_throughput import UNLIMITED


def serve(conn: Any) -> None:
    from stacsync.sandbox import ProviderOptions, SandboxOptions, running_sandbox

    options = SandboxOptions(
        providers=("terrascope",), terrascope=ProviderOptions(rate_limits=UNLIMITED)
    )
    with running_sandbox(options) as sb:
        em: Any = sb.emulator("terrascope")
        small = [(p, len(em.files.data(p))) for p in em.files.paths() if "_60M_" in p]
        base = sb.endpoints()["terrascope"]["download"].split("/download/")[0]
        conn.send({"describe": sb.describe(), "files": small, "base": base})
        while True:
            message = conn.recv()
            if message == "stop":
                return
            entries = sb.log.entries(path_prefix="/download/")
            conn.send(len(entries))


def make_catalog(root: Path, base: str, files: list[tuple[str, int]], n: int, k: int) -> None:
    from stacsync.catalog import CatalogInfo, CatalogStore

    collection = {
        "type": "Collection",
        "id": "noop",
        "stac_version": "1.1.0",
        "description": "no-op benchmark",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
            "temporal": {"interval": [[None, None]]},
        },
        "links": [],
    }

    def item(i: int) -> dict[str, Any]:
        assets = {}
        for j in range(k):
            path, size = files[(i * k + j) % len(files)]
            assets[f"a{j:02d}"] = {
                "href": base + path,
                "type": "image/tiff; application=geotiff",
                "roles": ["data"],
                "file:size": size,
            }
        return {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": f"item-{i:05d}",
            "collection": "noop",
            "geometry": None,
            "properties": {"datetime": "2024-01-01T00:00:00Z", "updated": "2024-01-02T00:00:00Z"},
            "assets": assets,
            "links": [],
        }

    with CatalogStore.open(root, create=CatalogInfo(id="noop", description="bench")) as store:
        store.upsert_collection(collection)
        store.upsert_items(item(i) for i in range(n))


def pull_in_child(spec: Path) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("pull_throughput.py")),
            "--child-pull",
            str(spec),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--assets", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child,), daemon=True)
    server.start()
    info = parent.recv()
    result: dict[str, Any] = {"assets": args.items * args.assets}
    with tempfile.TemporaryDirectory(prefix="stacsync-noop-") as tmp_name:
        tmp = Path(tmp_name)
        root = tmp / "cat"
        make_catalog(root, info["base"], info["files"], args.items, args.assets)
        spec = tmp / "spec.json"
        spec.write_text(
            json.dumps({"root": str(root), "describe": info["describe"], "parallel": args.parallel})
        )
        first = pull_in_child(spec)
        assert first["ok"] and first["fetched"] == result["assets"], first
        result["first_pull_s"] = round(first["seconds"], 2)
        result["first_pull_rss_mb"] = round(first["rss_mb"], 1)
        parent.send("count")
        before = parent.recv()
        started = time.perf_counter()
        second = pull_in_child(spec)
        result["noop_process_s"] = round(time.perf_counter() - started, 2)
        parent.send("count")
        after = parent.recv()
        result["noop_pull_s"] = round(second["seconds"], 3)
        result["noop_skipped"] = second["skipped"]
        result["noop_rss_mb"] = round(second["rss_mb"], 1)
        result["noop_data_requests"] = after - before
        result["noop_under_2s"] = second["seconds"] < 2.0
    parent.send("stop")
    server.join(10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
