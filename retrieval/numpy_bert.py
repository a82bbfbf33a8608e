"""A torch-free BERT sentence encoder for queries: mean pooling + L2 normalisation in numpy.

Importing torch and sentence-transformers costs seconds, which a cold ``prover search`` cannot afford. For
BERT-family sentence-transformers checkpoints (the default all-MiniLM-L6-v2) this reproduces their forward
pass from the same ``model.safetensors`` and ``tokenizer.json``; other models go through
sentence-transformers (``retrieval.encoder``). Equality with sentence-transformers is checked by a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


def supports(model_dir: Path) -> bool:
    """Whether ``model_dir`` is a BERT checkpoint pooled by mean (optionally normalised) that this can run."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    module_types = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and module_types[:2] == ["Transformer", "Pooling"]
        and set(module_types[2:]) <= {"Normalize"}
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(
            pooling.get(f"pooling_mode_{m}") for m in ("cls_token", "max_tokens", "mean_sqrt_len_tokens")
        )
        and (model_dir / "model.safetensors").is_file()
        and (model_dir / "tokenizer.json").is_file()
    )


def _layer_norm(x: FloatArray, weight: FloatArray, bias: FloatArray, eps: float) -> FloatArray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray(((x - mean) / np.sqrt(var + eps)) * weight + bias, dtype=np.float32)


def _gelu(x: FloatArray) -> FloatArray:
    from scipy.special import erf

    return np.asarray(0.5 * x * (1.0 + erf(x / np.sqrt(2.0))), dtype=np.float32)


class NumpyBertEncoder:
    """Encodes texts one by one (queries are few); output rows are unit vectors when the model normalises."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        self._normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        max_len = int(config.get("max_position_embeddings", 512))
        st_config = model_dir / "sentence_bert_config.json"
        if st_config.is_file():
            max_len = min(max_len, int(json.loads(st_config.read_text(encoding="utf-8"))["max_seq_length"]))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_len)
        raw = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""
        self._w: dict[str, Any] = {k.removeprefix(prefix): v.astype(np.float32) for k, v in raw.items()}
        self._layers = int(config["num_hidden_layers"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config.get("layer_norm_eps", 1e-12))
        self.dimension = int(config["hidden_size"])

    def _linear(self, x: FloatArray, name: str) -> FloatArray:
        return np.asarray(x @ self._w[f"{name}.weight"].T + self._w[f"{name}.bias"], dtype=np.float32)

    def _norm(self, x: FloatArray, name: str) -> FloatArray:
        return _layer_norm(x, self._w[f"{name}.weight"], self._w[f"{name}.bias"], self._eps)

    def _encode_one(self, text: str) -> FloatArray:
        ids = np.asarray(self._tokenizer.encode(text).ids, dtype=np.int64)
        length = len(ids)
        w = self._w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        head_dim = self.dimension // self._heads
        for layer in range(self._layers):
            p = f"encoder.layer.{layer}"

            def heads(y: FloatArray) -> FloatArray:
                return y.reshape(length, self._heads, head_dim).transpose(1, 0, 2)

            q = heads(self._linear(x, f"{p}.attention.self.query"))
            k = heads(self._linear(x, f"{p}.attention.self.key"))
            v = heads(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(head_dim)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(1, 0, 2).reshape(length, self.dimension)
            x = self._norm(
                x + self._linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm"
            )
            hidden = _gelu(self._linear(x, f"{p}.intermediate.dense"))
            x = self._norm(x + self._linear(hidden, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = x.mean(axis=0)
        if self._normalize:
            pooled = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return np.asarray(pooled, dtype=np.float32)

    def encode(self, texts: list[str]) -> FloatArray:
        return (
            np.stack([self._encode_one(text) for text in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )
