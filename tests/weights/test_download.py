"""Downloads against a local HTTP server: cached once, and every failure leaves the cache empty."""

import hashlib
import http.server
import threading
from dataclasses import replace

import pytest
import torch
import torchvision

import paperzoo
from paperzoo.weights import WeightsError, cache_dir, fetch_weights_file, get_weights

FILE = "mobilenet_v2-b0353104.pth"


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        name = self.path.rsplit("/", 1)[-1]
        body = self.files.get(name)
        if body is None:
            self.send_error(404)
            return
        truncated = name.startswith("truncated")
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) * (2 if truncated else 1)))
        self.end_headers()
        self.wfile.write(body)  # a truncated file: the server promises twice what it sends, then closes

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A 127.0.0.1 server of `_Handler.files`, with the torch hub cache in `tmp_path`."""
    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    torch.manual_seed(0)
    state_dict = torchvision.models.mobilenet_v2().state_dict()
    path = tmp_path / "source.pth"
    torch.save(state_dict, path)
    body = path.read_bytes()
    monkeypatch.setattr(_Handler, "files", {FILE: body, "truncated.pth": body})
    monkeypatch.setattr(_Handler, "hits", [])
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    entry = get_weights("mobilenet_v2", "IMAGENET1K_V1")
    weights = replace(
        entry,
        url=f"http://127.0.0.1:{httpd.server_port}/models/{FILE}",
        sha256=hashlib.sha256(body).hexdigest(),
    )
    yield weights, state_dict
    httpd.shutdown()
    httpd.server_close()


def _cached() -> list[str]:
    folder = cache_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_good_file_is_downloaded_once_into_the_hub_cache(server):
    weights, state_dict = server
    path = fetch_weights_file(weights, progress=False)
    assert path == cache_dir() / FILE and _cached() == [FILE]
    assert fetch_weights_file(weights, progress=False) == path
    assert _Handler.hits == [f"/models/{FILE}"]  # the second call did not reach the server
    model = paperzoo.create_model("mobilenet_v2", weights=weights, progress=False)
    torch.testing.assert_close(model.state_dict()["classifier.1.weight"], state_dict["classifier.1.weight"])


def test_the_published_hash_prefix_is_enough(server):
    weights, _ = server
    fetch_weights_file(replace(weights, sha256=weights.sha256[:8]), progress=False)
    assert _cached() == [FILE]


def test_a_wrong_hash_names_the_file_and_leaves_no_file(server):
    weights, _ = server
    with pytest.raises(
        WeightsError, match=rf"{FILE} from http://127\.0\.0\.1:\d+/models/{FILE} is not the published"
    ):
        fetch_weights_file(replace(weights, sha256="0123abcd"), progress=False)
    assert _cached() == []


def test_a_truncated_download_says_so_and_leaves_no_file(server):
    weights, _ = server
    truncated = replace(weights, url=weights.url.replace(FILE, "truncated.pth"))
    with pytest.raises(
        WeightsError, match=r"download of truncated\.pth .*(truncated|cut off).*weights_file=PATH"
    ):
        fetch_weights_file(truncated, progress=False)
    assert _cached() == []


def test_an_unreachable_host_says_what_to_do_and_leaves_no_file(server):
    weights, _ = server
    unreachable = replace(weights, url=f"http://127.0.0.1:1/models/{FILE}")
    with pytest.raises(WeightsError, match=rf"could not download {FILE} from .*pass weights_file=PATH"):
        fetch_weights_file(unreachable, progress=False)
    assert _cached() == []


def test_a_local_copy_is_hash_checked_and_not_copied(server, tmp_path):
    weights, state_dict = server
    local = tmp_path / "copy.pth"
    local.write_bytes(_Handler.files[FILE])
    model = paperzoo.create_model("mobilenet_v2", weights=weights, weights_file=local)
    torch.testing.assert_close(model.features[0][0].weight, state_dict["features.0.0.weight"])
    assert _Handler.hits == [] and _cached() == []
    local.write_bytes(_Handler.files[FILE][:-10])
    with pytest.raises(
        WeightsError, match="copy.pth is not the published file of mobilenet_v2.IMAGENET1K_V1"
    ):
        paperzoo.create_model("mobilenet_v2", weights=weights, weights_file=local)
    with pytest.raises(WeightsError, match="weights_file .*missing.pth does not exist"):
        paperzoo.create_model("mobilenet_v2", weights=weights, weights_file=tmp_path / "missing.pth")


def test_weights_without_a_published_hash_need_an_explicit_opt_in(server, tmp_path):
    weights, _ = server
    unknown = replace(weights, sha256=None)
    with pytest.raises(WeightsError, match="no published SHA-256 .* allow_unverified=True"):
        fetch_weights_file(unknown, progress=False)
    assert _Handler.hits == [] and _cached() == []
    with pytest.warns(UserWarning, match=f"SHA-256 {weights.sha256}"):
        fetch_weights_file(unknown.using(allow_unverified=True), progress=False)
    assert _cached() == [FILE]
    # timm's MobileNetV1 weights are such an entry: refused before any network access.
    with pytest.raises(WeightsError, match="mobilenet_v1.RA4_E3600_R224_IN1K .*allow_unverified=True"):
        paperzoo.create_model("mobilenet_v1", pretrained=True)
