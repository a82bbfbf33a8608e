"""A BERT sentence-transformers checkpoint as the torch-free query encoders read it.

``retrieval.numpy_bert`` (numpy) and ``retrieval.onnx_bert`` (ONNX Runtime) both reproduce the forward pass of
a BERT checkpoint pooled by mean (the default all-MiniLM-L6-v2) from its ``model.safetensors`` and
``tokenizer.json``; this module decides which checkpoints qualify and reads them the same way for both.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def supports(model_dir: Path) -> bool:
    """Whether ``model_dir`` is a BERT checkpoint pooled by mean (optionally normalised) that the torch-free
    encoders can run."""
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


class BertCheckpoint:
    """Configuration, tokenizer and (on first use) float32 weights of a checkpoint ``supports`` accepts."""

    def __init__(self, model_dir: Path, *, max_tokens: int | None = None) -> None:
        """``max_tokens`` truncates below the model's own limit, as sentence-transformers' ``max_seq_length``."""
        from tokenizers import Tokenizer

        self.model_dir = model_dir
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        self.normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
        max_len = int(config.get("max_position_embeddings", 512))
        st_config = model_dir / "sentence_bert_config.json"
        if st_config.is_file():
            max_len = min(max_len, int(json.loads(st_config.read_text(encoding="utf-8"))["max_seq_length"]))
        if max_tokens is not None:
            max_len = min(max_len, max_tokens)
        self.max_tokens = max_len
        self.dimension = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_len)

    @cached_property
    def weights(self) -> dict[str, Any]:
        """Tensors by name without the ``bert.`` prefix some checkpoints add, as float32."""
        from safetensors.numpy import load_file

        raw = load_file(str(self.model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""
        return {k.removeprefix(prefix): v.astype(np.float32) for k, v in raw.items()}

    def token_ids(self, text: str) -> IntArray:
        """Token ids with ``[CLS]``/``[SEP]``, truncated to the model's maximum length."""
        return np.asarray(self._tokenizer.encode(text).ids, dtype=np.int64)

    def finish(self, pooled: FloatArray) -> FloatArray:
        """The mean-pooled vector as sentence-transformers returns it (unit length when it normalises)."""
        if self.normalize:
            pooled = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return np.asarray(pooled, dtype=np.float32)
