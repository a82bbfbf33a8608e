"""A torch-free BERT sentence encoder for queries in plain numpy: mean pooling + L2 normalisation.

Importing torch and sentence-transformers costs seconds, which a cold ``prover search`` cannot afford. For
the checkpoints ``retrieval.bert_checkpoint.supports`` accepts (the default all-MiniLM-L6-v2), this
reproduces their forward pass from the same ``model.safetensors`` and ``tokenizer.json``. It is the fallback
of ``retrieval.onnx_bert`` (about twice as fast) when ONNX Runtime or the index's exported graph is missing;
equality with sentence-transformers is checked by a test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.bert_checkpoint import BertCheckpoint, FloatArray


def _layer_norm(h: FloatArray, weight: FloatArray, bias: FloatArray, eps: float) -> FloatArray:
    """Layer norm of each column (one token per column)."""
    mean = h.mean(axis=0, keepdims=True)
    centred = h - mean
    var = (centred * centred).mean(axis=0, keepdims=True)
    return np.asarray(centred / np.sqrt(var + eps) * weight + bias, dtype=np.float32)


class _Layer:
    """One encoder layer's weights, laid out for column-major activations: ``W @ h + b``."""

    def __init__(self, w: dict[str, FloatArray], p: str) -> None:
        def col(name: str) -> FloatArray:
            return np.ascontiguousarray(w[name], dtype=np.float32)[:, None]

        attention = f"{p}.attention.self"
        self.qkv = np.ascontiguousarray(
            np.concatenate([w[f"{attention}.{n}.weight"] for n in ("query", "key", "value")]), np.float32
        )
        self.qkv_bias = np.concatenate([col(f"{attention}.{n}.bias") for n in ("query", "key", "value")])
        self.out = np.ascontiguousarray(w[f"{p}.attention.output.dense.weight"], np.float32)
        self.out_bias = col(f"{p}.attention.output.dense.bias")
        self.norm1 = (
            col(f"{p}.attention.output.LayerNorm.weight"),
            col(f"{p}.attention.output.LayerNorm.bias"),
        )
        self.up = np.ascontiguousarray(w[f"{p}.intermediate.dense.weight"], np.float32)
        self.up_bias = col(f"{p}.intermediate.dense.bias")
        self.down = np.ascontiguousarray(w[f"{p}.output.dense.weight"], np.float32)
        self.down_bias = col(f"{p}.output.dense.bias")
        self.norm2 = (col(f"{p}.output.LayerNorm.weight"), col(f"{p}.output.LayerNorm.bias"))


class NumpyBertEncoder:
    """Encodes texts one by one (queries are few); output rows are unit vectors when the model normalises.

    Activations are kept one token per column (hidden x tokens), so every projection is ``W @ h`` with the
    checkpoint's row-major ``W`` as the large left operand: for the handful of tokens a query has, BLAS runs
    that shape about 2.5 times faster on one thread than ``h @ W.T`` (``bench/retrieval.py``, encoder table).
    """

    def __init__(self, model_dir: Path, *, max_tokens: int | None = None) -> None:
        self._checkpoint = checkpoint = BertCheckpoint(model_dir, max_tokens=max_tokens)
        w = checkpoint.weights
        self._eps = checkpoint.eps
        self._heads = checkpoint.heads
        self.dimension = checkpoint.dimension
        self._words = w["embeddings.word_embeddings.weight"]
        # Token type 0 is the only one a single sentence uses; fold it into the position table.
        self._positions = (
            w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
        )
        self._embedding_norm = (
            np.ascontiguousarray(w["embeddings.LayerNorm.weight"])[:, None],
            np.ascontiguousarray(w["embeddings.LayerNorm.bias"])[:, None],
        )
        self._layers = [_Layer(w, f"encoder.layer.{i}") for i in range(checkpoint.layers)]

    def _encode_one(self, text: str) -> FloatArray:
        from scipy.special import erf

        ids = self._checkpoint.token_ids(text)
        length, dim, heads = len(ids), self.dimension, self._heads
        head_dim = dim // heads
        scale = np.float32(1.0 / np.sqrt(head_dim))
        h = np.ascontiguousarray((self._words[ids] + self._positions[:length]).T)
        h = _layer_norm(h, *self._embedding_norm, self._eps)
        for layer in self._layers:
            qkv = layer.qkv @ h + layer.qkv_bias  # (3 * dim, tokens)
            q, k, v = (qkv[i * dim : (i + 1) * dim].reshape(heads, head_dim, length) for i in range(3))
            scores = (q.transpose(0, 2, 1) * scale) @ k  # (heads, query token, key token)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (v @ scores.transpose(0, 2, 1)).reshape(dim, length)
            h = _layer_norm(h + layer.out @ context + layer.out_bias, *layer.norm1, self._eps)
            hidden = layer.up @ h + layer.up_bias
            hidden = 0.5 * hidden * (1.0 + erf(hidden * np.float32(1 / np.sqrt(2.0))))
            h = _layer_norm(h + layer.down @ hidden + layer.down_bias, *layer.norm2, self._eps)
        return self._checkpoint.finish(h.mean(axis=1))

    def encode(self, texts: list[str]) -> FloatArray:
        return (
            np.stack([self._encode_one(text) for text in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )
