"""The dataset registry: the manifest, variants, local copies, checked downloads, offline errors."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from prover.data.registry import DatasetSource, dataset_file, find_source, load_registry
from prover.errors import DependencyError, InputError

BODY = b'{"name": "t1", "formal_statement": "theorem t1 : 1 = 1 := by", "header": "import Mathlib"}\n'


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/minif2f.jsonl"
    httpd.shutdown()


def source(url: str, sha256: str, local: Path | None = None) -> DatasetSource:
    return DatasetSource(
        dataset="toy", variant="v", url=url, sha256=sha256, rows=1, schema_name="deepseek", local=local
    )


def test_every_manifest_entry_is_read_and_named() -> None:
    sources = load_registry()
    names = {s.name for s in sources}
    assert {"minif2f.dspplus", "minif2f.deepseek_v15", "proofnet.verified", "putnambench.lean4"} <= names
    assert find_source(sources, "minif2f").name == "minif2f.deepseek_v15"  # the default variant
    assert find_source(sources, "MiniF2F.goedel_v2_test").rows == 244
    assert find_source(sources, "minif2f", "harmonic_valid").name == "minif2f.harmonic_valid"
    with pytest.raises(InputError, match=r"known: minif2f\.dspplus"):
        find_source(sources, "minif2f.nope")


def test_the_local_copies_match_the_manifest_checksums(shared_dir: Path) -> None:
    from prover.data.registry import sha256_of

    for entry in load_registry():
        if entry.local is not None and entry.local.is_file() and entry.is_problem_set:
            assert sha256_of(entry.local) == entry.sha256, entry.name


def test_download_is_checked_and_cached(tmp_path: Path, server: str) -> None:
    good = source(server, hashlib.sha256(BODY).hexdigest())
    path = dataset_file(good, tmp_path)
    assert path.read_bytes() == BODY and path.is_relative_to(tmp_path / "datasets")
    assert (
        dataset_file(good.model_copy(update={"url": "http://127.0.0.1:1/gone"}), tmp_path) == path
    )  # cached


def test_a_checksum_mismatch_keeps_nothing(tmp_path: Path, server: str) -> None:
    with pytest.raises(DependencyError, match="checksum"):
        dataset_file(source(server, "0" * 64), tmp_path)
    assert not any((tmp_path / "datasets").iterdir())


def test_offline_names_the_url_and_file_option(tmp_path: Path) -> None:
    offline = source("http://127.0.0.1:1/minif2f.jsonl", "0" * 64, local=tmp_path / "absent.jsonl")
    with pytest.raises(DependencyError, match=r"127\.0\.0\.1:1/minif2f\.jsonl.*--file") as raised:
        dataset_file(offline, tmp_path, timeout_s=2)
    assert raised.value.exit_code == 3
    folder = source("https://github.com/x/y/tree/abc/MiniF2F", "0" * 64)
    with pytest.raises(DependencyError, match="--file"):
        dataset_file(folder, tmp_path)
