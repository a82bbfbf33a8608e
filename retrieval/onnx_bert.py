"""The query encoder on ONNX Runtime: the checkpoint's BERT graph, written by us from its weights.

A query is a dozen or two tokens, so the encoder's cost is six layers of small matrix products. ONNX Runtime
runs them about twice as fast as numpy's BLAS (``bench/retrieval.py``, encoder table), which is what brings a
warm hybrid query under 20 ms. The graph is written from the same ``model.safetensors`` that
sentence-transformers loads (``export_graph``; no torch, no exporter), once per dense index
(``retrieval.store``), and reproduces sentence-transformers' embeddings to float32 rounding (tested). The word
embedding table stays outside the graph, memory-mapped (``words_file``): a session then loads in about half
the time, which a cold search pays.

Only ``export_graph`` needs the ``onnx`` package (index build time); searching needs ``onnxruntime``.
"""

from __future__ import annotations

import os
import tempfile
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from prover.errors import DependencyError, RetrievalError
from retrieval.bert_checkpoint import BertCheckpoint, FloatArray

GRAPH_FILE = "query_encoder.onnx"
OPSET = 18  # LayerNormalization is in the default domain from opset 17


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def query_threads() -> int:
    """Threads for one query: two cut a 15-token query from 11 to 7 ms here (p50; ``bench/retrieval.py``);
    more were not measured, and a query's matrices are small."""
    return min(2, usable_cores())


def runtime_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def export_graph(checkpoint: BertCheckpoint, out: Path) -> None:
    """Write the encoder as an ONNX graph (token word vectors and positions in, the mean-pooled vector out)
    and its word table beside it (``words_file``).

    Written atomically; ``DependencyError`` without the ``onnx`` package.
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:
        raise DependencyError("the onnx package is not installed (pip install 'prover[local]')") from exc

    w = checkpoint.weights
    dim, heads = checkpoint.dimension, checkpoint.heads
    head_dim = dim // heads
    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: Any) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(kind: str, inputs: list[str], **attributes: Any) -> str:
        output = f"{kind.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def layer_norm(x: str, name: str) -> str:
        scale, bias = const(f"{name}.weight", w[f"{name}.weight"]), const(f"{name}.bias", w[f"{name}.bias"])
        return op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=checkpoint.eps)

    def linear(x: str, name: str, weight: FloatArray, bias: FloatArray) -> str:
        transposed = const(f"{name}.weight_t", np.ascontiguousarray(weight.T))
        return op("Add", [op("MatMul", [x, transposed]), const(f"{name}.bias", bias)])

    def dense(x: str, name: str) -> str:
        return linear(x, name, w[f"{name}.weight"], w[f"{name}.bias"])

    # Token type 0 is the only one a single sentence uses; it is folded into the position table.
    positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
    x = op("Add", ["word_vectors", op("Gather", [const("positions", positions), "position_ids"])])
    x = layer_norm(x, "embeddings.LayerNorm")
    by_head = const("by_head", np.array([0, heads, head_dim], np.int64))
    by_token = const("by_token", np.array([0, dim], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(head_dim), np.float32))
    half, one = const("half", np.array(0.5, np.float32)), const("one", np.array(1.0, np.float32))
    inv_sqrt2 = const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), np.float32))
    for i in range(checkpoint.layers):
        p = f"encoder.layer.{i}"
        parts = ("query", "key", "value")
        weight = np.concatenate([w[f"{p}.attention.self.{n}.weight"] for n in parts])
        bias = np.concatenate([w[f"{p}.attention.self.{n}.bias"] for n in parts])
        qkv = linear(x, f"{p}.attention.self.qkv", weight, bias)
        q, k, v = (f"{p}.{n}" for n in "qkv")
        nodes.append(helper.make_node("Split", [qkv], [q, k, v], axis=-1, num_outputs=3))
        q = op("Transpose", [op("Reshape", [q, by_head])], perm=[1, 0, 2])  # (head, token, d)
        k = op("Transpose", [op("Reshape", [k, by_head])], perm=[1, 2, 0])  # (head, d, token)
        v = op("Transpose", [op("Reshape", [v, by_head])], perm=[1, 0, 2])
        attention = op("Softmax", [op("Mul", [op("MatMul", [q, k]), scale])], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [attention, v])], perm=[1, 0, 2]), by_token])
        x = layer_norm(
            op("Add", [x, dense(context, f"{p}.attention.output.dense")]), f"{p}.attention.output.LayerNorm"
        )
        hidden = dense(x, f"{p}.intermediate.dense")
        erf = op("Erf", [op("Mul", [hidden, inv_sqrt2])])
        gelu = op("Mul", [op("Mul", [hidden, half]), op("Add", [erf, one])])
        x = layer_norm(op("Add", [x, dense(gelu, f"{p}.output.dense")]), f"{p}.output.LayerNorm")
    nodes.append(
        helper.make_node(
            "ReduceMean", [x, const("token_axis", np.array([0], np.int64))], ["pooled"], keepdims=0
        )
    )
    graph = helper.make_graph(
        nodes,
        "sentence_encoder",
        [
            helper.make_tensor_value_info("word_vectors", TensorProto.FLOAT, ["tokens", dim]),
            helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["tokens"]),
        ],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [dim])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # the oldest IR that opset 18 allows: readable by every onnxruntime since 1.14
    onnx.checker.check_model(model)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The word table is half the weights: kept out of the graph and memory-mapped, a session loads in half
    # the time (a cold ``prover search``) and a query reads only its own tokens' rows. Written first, so a
    # graph on disk always has its table.
    _write_atomic(
        out.parent, words_file(out), lambda path: np.save(path, w["embeddings.word_embeddings.weight"])
    )
    _write_atomic(out.parent, out, lambda path: onnx.save(model, path))


def _write_atomic(folder: Path, target: Path, write: Any) -> None:
    fd, staging = tempfile.mkstemp(prefix=f".{target.name}-", suffix=target.suffix, dir=folder)
    os.close(fd)
    try:
        write(staging)
        os.chmod(staging, 0o644)  # mkstemp's 0600 would hide the index from other users of a shared cache
        os.replace(staging, target)
    finally:
        Path(staging).unlink(missing_ok=True)


def words_file(graph: Path) -> Path:
    """The word-embedding table that goes with ``graph`` (float32, one row per token id)."""
    return graph.with_name(graph.stem + ".words.npy")


def graph_complete(graph: Path) -> bool:
    """Whether ``graph`` and its word table are both there (an older index has a graph without the table)."""
    return graph.is_file() and words_file(graph).is_file()


def ensure_graph(model_dir: Path, folder: Path) -> bool:
    """Write the graph of the checkpoint in ``model_dir`` into ``folder`` unless it is complete there.

    Returns whether it was written; ``DependencyError`` without the ``onnx`` package.
    """
    if graph_complete(folder / GRAPH_FILE):
        return False
    export_graph(BertCheckpoint(model_dir), folder / GRAPH_FILE)
    return True


def usable_graph(folder: Path) -> Path | None:
    """The complete graph in ``folder`` when ONNX Runtime can run it here, else ``None``."""
    graph = folder / GRAPH_FILE
    return graph if graph_complete(graph) and runtime_available() else None


class _SessionLoader:
    """An ONNX Runtime session created on a thread of its own.

    Creating the session (~0.1 s) runs mostly without the GIL, so the tokenizer, the word table and the dense
    graph load meanwhile: a cold hybrid ``prover search`` took 0.83 s instead of 0.92 (median of 11, idle).
    ``session()`` waits for it and raises its error, if any, as ``RetrievalError``.
    """

    def __init__(self, graph: Path, options: Any) -> None:
        self._graph = graph
        self._options = options
        self._session: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._create, name="onnx-session")
        self._thread.start()

    def _create(self) -> None:
        import onnxruntime

        try:
            self._session = onnxruntime.InferenceSession(
                str(self._graph), self._options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # handed to the waiting thread; ONNX Runtime's errors share no base class
            self._error = exc

    def session(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise RetrievalError(
                f"cannot load the query encoder graph: {self._error}", where=str(self._graph)
            ) from self._error
        return self._session


class OnnxBertEncoder:
    """Encodes texts one by one: a query on ``threads`` ONNX Runtime threads (``query_threads`` by default).

    ``encode_batch`` (documents, at index build time) instead runs ``batch_threads`` texts at once, each on
    one thread and unpadded, which here embeds about 1.5 times faster than sentence-transformers' padded torch
    batches (``bench/retrieval.py``, document encoder table). The session loads in the background
    (``_SessionLoader``); the first encoding waits for it.
    """

    def __init__(
        self,
        graph: Path,
        model_dir: Path,
        *,
        max_tokens: int | None = None,
        threads: int | None = None,
        batch_threads: int = 1,
    ) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise DependencyError("onnxruntime is not installed (pip install 'prover[local]')") from exc
        self._batch_threads = max(1, batch_threads)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1 if batch_threads > 1 else (threads or query_threads())
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: on a shared machine spinning only steals the other cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._loader = _SessionLoader(graph, options)
        self._checkpoint = BertCheckpoint(model_dir, max_tokens=max_tokens)
        self.dimension = self._checkpoint.dimension
        try:
            self._words: Any = np.load(words_file(graph), mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise RetrievalError(
                f"cannot load the query encoder's word table: {exc}", where=str(graph)
            ) from exc

    @cached_property
    def _session(self) -> Any:
        return self._loader.session()

    def _encode_one(self, text: str) -> FloatArray:
        ids = self._checkpoint.token_ids(text)
        words = np.asarray(self._words[ids], dtype=np.float32)
        feeds = {"word_vectors": words, "position_ids": np.arange(len(ids), dtype=np.int64)}
        pooled = self._session.run(["pooled"], feeds)[0]
        return self._checkpoint.finish(np.asarray(pooled, dtype=np.float32))

    def encode(self, texts: list[str]) -> FloatArray:
        return (
            np.stack([self._encode_one(text) for text in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )

    def encode_batch(self, texts: list[str]) -> FloatArray:
        if self._batch_threads == 1 or len(texts) < 2:
            return self.encode(texts)
        from concurrent.futures import ThreadPoolExecutor

        # ONNX Runtime releases the GIL while it runs, so the threads' forward passes overlap.
        with ThreadPoolExecutor(max_workers=self._batch_threads, thread_name_prefix="onnx-embed") as pool:
            return np.stack(list(pool.map(self._encode_one, texts)))
