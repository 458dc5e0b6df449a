"""``stacsync browse``'s server over real sockets: ranges, CORS, config.js, refusals."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from stacsync import api
from stacsync.browse import BrowseServer, config_script
from stacsync.config import Settings
from stacsync.errors import ConfigError
from tests.browse.conftest import DATA, DATA_SIZE, INDEX_HTML, ITEM, fetch, symlink

EXPOSED = {"content-range", "accept-ranges"}


def data_bytes() -> bytes:
    return random.Random(7).randbytes(DATA_SIZE)


def exposed(headers: dict[str, str]) -> set[str]:
    return {h.strip().lower() for h in headers["access-control-expose-headers"].split(",")}


def test_range_request_gives_206_with_the_exact_bytes(served: BrowseServer) -> None:
    reply = fetch(served, f"/catalog/{DATA}", headers={"Range": "bytes=1000-1999"})
    assert reply.status == 206
    assert reply.body == data_bytes()[1000:2000]
    assert reply.headers["content-range"] == f"bytes 1000-1999/{DATA_SIZE}"
    assert reply.headers["accept-ranges"] == "bytes"


def test_suffix_and_open_ranges(served: BrowseServer) -> None:
    tail = fetch(served, f"/catalog/{DATA}", headers={"Range": "bytes=-100"})
    assert (tail.status, tail.body) == (206, data_bytes()[-100:])
    rest = fetch(served, f"/catalog/{DATA}", headers={"Range": f"bytes={DATA_SIZE - 10}-"})
    assert (rest.status, rest.body) == (206, data_bytes()[-10:])


def test_unsatisfiable_range_is_416(served: BrowseServer) -> None:
    reply = fetch(served, f"/catalog/{DATA}", headers={"Range": f"bytes={DATA_SIZE + 5}-"})
    assert reply.status == 416
    assert reply.headers["content-range"] == f"bytes */{DATA_SIZE}"


def test_if_range_with_a_stale_etag_gives_the_whole_file(served: BrowseServer) -> None:
    whole = fetch(served, f"/catalog/{DATA}")
    assert (whole.status, whole.body) == (200, data_bytes())
    etag = whole.headers["etag"]
    same = fetch(served, f"/catalog/{DATA}", headers={"Range": "bytes=0-9", "If-Range": etag})
    assert (same.status, same.body) == (206, data_bytes()[:10])
    stale = fetch(served, f"/catalog/{DATA}", headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert (stale.status, len(stale.body)) == (200, DATA_SIZE)


def test_head_gives_size_without_body(served: BrowseServer) -> None:
    reply = fetch(served, f"/catalog/{DATA}", method="HEAD")
    assert reply.status == 200
    assert reply.headers["content-length"] == str(DATA_SIZE)
    assert reply.body == b""


@pytest.mark.parametrize(
    "path",
    [f"/catalog/{DATA}", "/catalog/catalog.json", "/config.js", "/", "/catalog/missing.json"],
)
def test_every_response_allows_any_origin_and_exposes_ranges(
    served: BrowseServer, path: str
) -> None:
    reply = fetch(served, path, headers={"Origin": "http://elsewhere.example"})
    assert reply.headers["access-control-allow-origin"] == "*"
    assert exposed(reply.headers) >= EXPOSED


def test_preflight_allows_range(served: BrowseServer) -> None:
    reply = fetch(
        served,
        f"/catalog/{DATA}",
        method="OPTIONS",
        headers={
            "Origin": "http://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range",
        },
    )
    assert reply.status == 204
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "GET" in reply.headers["access-control-allow-methods"]
    assert "range" in reply.headers["access-control-allow-headers"].lower()


def test_catalogue_json_is_served_as_json(served: BrowseServer, catalogue: Path) -> None:
    reply = fetch(served, f"/catalog/{ITEM}")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.body == (catalogue / ITEM).read_bytes()


def test_catalogue_folder_redirects_to_catalog_json(served: BrowseServer) -> None:
    for path in ("/catalog", "/catalog/"):
        reply = fetch(served, path)
        assert reply.status == 302
        assert reply.headers["location"] == "/catalog/catalog.json"


def test_config_js_points_stac_browser_at_the_catalogue(served: BrowseServer) -> None:
    reply = fetch(served, "/config.js")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/javascript")
    text = reply.body.decode()
    match = re.match(r"window\.STAC_BROWSER_CONFIG = (\{.*?\});\n", text, re.DOTALL)
    assert match is not None, text
    config = json.loads(match.group(1))
    assert config == {
        "catalogUrl": served.catalog_url,
        "historyMode": "hash",
        "allowExternalAccess": True,
    }
    assert served.catalog_url == f"http://127.0.0.1:{served.port}/catalog/catalog.json"


def test_config_js_follows_the_host_the_client_used(served: BrowseServer) -> None:
    reply = fetch(served, "/config.js", headers={"Host": f"localhost:{served.port}"})
    assert f'"http://localhost:{served.port}/catalog/catalog.json"' in reply.body.decode()
    forged = fetch(served, "/config.js", headers={"Host": 'x";alert(1);"'})
    assert "alert" not in forged.body.decode()
    assert served.catalog_url in forged.body.decode()


def test_config_script_is_plain_json_in_javascript() -> None:
    text = config_script('http://127.0.0.1:1/catalog/"x".json')
    first, _, rest = text.partition(";\n")
    config = json.loads(first.removeprefix("window.STAC_BROWSER_CONFIG = "))
    assert config["catalogUrl"] == 'http://127.0.0.1:1/catalog/"x".json'
    assert "https:\\/\\/epsg\\.io" in rest  # the projection lookups are redirected


@pytest.mark.parametrize(("code", "expected"), [(3035, "+proj=laea"), (32631, "+zone=31")])
def test_projection_definitions_are_served(served: BrowseServer, code: int, expected: str) -> None:
    reply = fetch(served, f"/proj4/epsg/{code}.proj4")
    assert reply.status == 200
    text = reply.body.decode()
    assert text.startswith("+proj=") and expected in text
    assert "=True" not in text
    assert reply.headers["access-control-allow-origin"] == "*"


def test_unknown_projection_is_404(served: BrowseServer) -> None:
    assert fetch(served, "/proj4/epsg/999999.proj4").status == 404
    assert fetch(served, "/proj4/epsg/abc.proj4").status == 404


def test_stac_browser_build_is_served_at_the_root(served: BrowseServer) -> None:
    index = fetch(served, "/")
    assert (index.status, index.body.decode()) == (200, INDEX_HTML)
    asset = fetch(served, "/js/app.js")
    assert asset.status == 200
    assert asset.body == b"console.log('app');\n"
    assert served.browser_url == f"http://127.0.0.1:{served.port}/#/"
    assert served.page_url(ITEM) == f"http://127.0.0.1:{served.port}/#/{ITEM}"
    assert served.file_url(DATA) == f"http://127.0.0.1:{served.port}/catalog/{DATA}"


@pytest.mark.parametrize(
    "path",
    [
        "/catalog/../outside.txt",
        "/catalog/coll/../../outside.txt",
        "/catalog/%2e%2e/outside.txt",
        "/catalog/coll/%2E%2E/%2E%2E/outside.txt",
        "/catalog/..%2foutside.txt",
        "/catalog/..%5coutside.txt",
        "/catalog//../outside.txt",
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/catalog/%00",
    ],
)
def test_path_traversal_is_refused(served: BrowseServer, outside: Path, path: str) -> None:
    reply = fetch(served, path)
    assert reply.status in (400, 403, 404), reply
    assert b"not part of the catalogue" not in reply.body


def test_state_folder_and_lock_are_hidden(served: BrowseServer) -> None:
    for path in (
        "/catalog/.stacsync/state.sqlite",
        "/catalog/.stacsync/",
        "/catalog/%2estacsync/state.sqlite",
        "/catalog/.stacsync.lock",
        "/catalog/coll/./../.stacsync/state.sqlite",
    ):
        reply = fetch(served, path)
        assert reply.status == 404, path
        assert b"secret state" not in reply.body


def test_symlink_leading_out_of_the_catalogue_is_refused(
    served: BrowseServer, catalogue: Path, outside: Path
) -> None:
    symlink(catalogue / "coll" / "escape.txt", outside)
    symlink(catalogue / "linked-dir", outside.parent)
    assert fetch(served, "/catalog/coll/escape.txt").status == 403
    assert fetch(served, "/catalog/linked-dir/outside.txt").status == 403


def test_symlink_into_the_state_folder_is_refused(served: BrowseServer, catalogue: Path) -> None:
    symlink(catalogue / "coll" / "state.sqlite", catalogue / ".stacsync" / "state.sqlite")
    reply = fetch(served, "/catalog/coll/state.sqlite")
    assert reply.status == 404
    assert b"secret state" not in reply.body


def test_symlink_inside_the_catalogue_is_followed(served: BrowseServer, catalogue: Path) -> None:
    symlink(catalogue / "coll" / "alias.tif", catalogue / DATA)
    reply = fetch(served, "/catalog/coll/alias.tif", headers={"Range": "bytes=0-99"})
    assert (reply.status, reply.body) == (206, data_bytes()[:100])


def test_missing_file_is_404(served: BrowseServer) -> None:
    assert fetch(served, "/catalog/coll/none.json").status == 404
    assert fetch(served, "/catalog/coll").status == 404  # a folder, not a file


def test_served_requests_are_logged_with_their_ranges(served: BrowseServer) -> None:
    fetch(served, f"/catalog/{DATA}", headers={"Range": "bytes=0-99"})
    fetch(served, "/catalog/none.json")
    log = served.served()
    assert [(r.method, r.path, r.range, r.status) for r in log[-2:]] == [
        ("GET", f"/catalog/{DATA}", "bytes=0-99", 206),
        ("GET", "/catalog/none.json", None, 404),
    ]
    assert log[-2].length == 100


def test_without_a_built_browser_the_catalogue_is_still_served(
    served_without_browser: BrowseServer, catalogue: Path
) -> None:
    server = served_without_browser
    assert server.browser_url is None
    assert server.browser_problem is not None
    assert "not built" in server.browser_problem
    assert server.options.browser.dist == Settings().cache_dir / "stac-browser" / "4.0.1" / "dist"
    reply = fetch(server, "/catalog/catalog.json")
    assert (reply.status, reply.body) == (200, (catalogue / "catalog.json").read_bytes())
    ranged = fetch(server, f"/catalog/{DATA}", headers={"Range": "bytes=5-9"})
    assert (ranged.status, ranged.body) == (206, data_bytes()[5:10])
    page = fetch(server, "/")
    assert page.status == 503
    assert b"just stac-browser" in page.body
    assert server.catalog_url.encode() in page.body
    assert fetch(server, "/js/app.js").status == 404
    assert fetch(server, "/config.js").status == 200


def test_build_without_the_config_script_is_not_served(catalogue: Path, dist: Path) -> None:
    (dist / "index.html").write_text("<html><body>built without config.js</body></html>")
    with api.browse(catalogue, Settings(), port=0, browser=dist) as server:
        assert server.browser_url is None
        assert server.browser_problem is not None
        assert "/config.js" in server.browser_problem
        assert fetch(server, "/").status == 503


def test_catalog_json_path_is_accepted(catalogue: Path, dist: Path) -> None:
    with api.browse(catalogue / "catalog.json", Settings(), port=0, browser=dist) as server:
        assert fetch(server, f"/catalog/{ITEM}").status == 200


@pytest.mark.parametrize("content", [None, "not json", '["a list"]', '{"no": "links"}'])
def test_folder_without_a_catalogue_is_a_config_error(tmp_path: Path, content: str | None) -> None:
    if content is not None:
        (tmp_path / "catalog.json").write_text(content)
    with pytest.raises(ConfigError, match="STAC catalogue"):
        api.browse_root(tmp_path)


def test_port_in_use_is_a_config_error(served: BrowseServer, catalogue: Path) -> None:
    in_use = rf"127\.0\.0\.1:{served.port}: the port is in use"
    with (
        pytest.raises(ConfigError, match=in_use),
        api.browse(catalogue, Settings(), port=served.port),
    ):
        pass


def test_server_stops_and_frees_its_port(catalogue: Path) -> None:
    with api.browse(catalogue, Settings(), port=0) as server:
        port = server.port
        assert fetch(server, "/catalog/catalog.json").status == 200
    with api.browse(catalogue, Settings(), port=port) as again:
        assert fetch(again, "/catalog/catalog.json").status == 200


def test_several_ranges_give_the_whole_file(served: BrowseServer) -> None:
    reply = fetch(served, f"/catalog/{DATA}", headers={"Range": "bytes=0-9,100-109"})
    assert (reply.status, reply.body) == (200, data_bytes())


def test_if_range_with_a_weak_etag_gives_the_whole_file(served: BrowseServer) -> None:
    etag = fetch(served, f"/catalog/{DATA}", method="HEAD").headers["etag"]
    reply = fetch(
        served, f"/catalog/{DATA}", headers={"Range": "bytes=0-9", "If-Range": f"W/{etag}"}
    )
    assert (reply.status, len(reply.body)) == (200, DATA_SIZE)
