"""The premise index on disk: built once per (corpus, filters) and per dense model, then reused.

Layout under ``settings.index_dir()``::

    current.json                    which corpus index ``prover search`` opens
    <corpus_key>/                   corpus_key = corpus file hash + filters
        manifest.json               written last: an index without it is incomplete and rebuilt
        premises.jsonl, offsets.npy the premises, readable one at a time by byte offset
        names.txt                   every name, for fuzzy lookups
        names.index.npz             their trigram index, written by the first lookup (retrieval.names)
        bm25/                       bm25s index
        dense/<model_key>/          embeddings.f32.npy (+ hnsw.usearch) + meta.json, one folder per model

The manifest keys an index by the corpus file's SHA-256, so a changed corpus gets a new folder and an
unchanged one is reused as is; dense embeddings are keyed by model in the same way.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from prover.errors import DependencyError, RetrievalError
from prover.settings import Settings
from prover.types import Frozen, Premise
from retrieval.corpus import file_sha256, load_corpus

if TYPE_CHECKING:
    from retrieval.encoder import BatchEncoder

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: indexed text is glossed and stripped (retrieval.text)
# Documents are embedded with at most this many tokens: the longest 1-2 % of indexed texts lose their tail
# (mostly docstring), and every batch pads to at most this length. Part of the index format (a change of it
# bumps FORMAT_VERSION, so embeddings are never reused across it).
DENSE_MAX_TOKENS = 128
CURRENT_FILE = "current.json"
MANIFEST_FILE = "manifest.json"

ProgressCallback = Callable[[str, int, int], None]
"""``(stage, done, total)``; the CLI draws a progress bar from it. The library never prints."""


def _no_progress(stage: str, done: int, total: int) -> None:
    del stage, done, total


class BuildReport(Frozen):
    index_dir: Path
    corpus_key: str
    premises: int
    built: tuple[str, ...]  # components built by this call: "corpus", "bm25", "dense:<model key>"
    reused: tuple[str, ...]  # components found complete on disk
    seconds: float
    size_bytes: int


class DenseInfo(Frozen):
    model: str
    key: str
    dimension: int
    size_bytes: int
    build_s: float


class IndexInfo(Frozen):
    index_dir: Path
    corpus_key: str
    corpus_path: str
    corpus_sha256: str
    premises: int
    include_private: bool
    include_deprecated: bool
    bm25_build_s: float
    build_s: float  # reading, tokenizing and BM25 indexing of the corpus
    size_bytes: int
    dense: tuple[DenseInfo, ...]


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def corpus_key(sha256: str, *, include_private: bool, include_deprecated: bool) -> str:
    return f"{sha256[:16]}-p{int(include_private)}d{int(include_deprecated)}-v{FORMAT_VERSION}"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RetrievalError(f"unreadable index file: {exc}", where=str(path)) from exc
    return data if isinstance(data, dict) else None


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(path)


def _write_premise_table(premises: list[Premise], out_dir: Path) -> None:
    offsets = np.zeros(len(premises), dtype=np.int64)
    with (out_dir / "premises.jsonl").open("wb") as handle:
        for i, premise in enumerate(premises):
            offsets[i] = handle.tell()
            handle.write(json.dumps(premise.model_dump(mode="json"), ensure_ascii=False).encode() + b"\n")
    np.save(out_dir / "offsets.npy", offsets)
    (out_dir / "names.txt").write_text("".join(p.name + "\n" for p in premises), encoding="utf-8")


def build_index(
    corpus_path: Path,
    settings: Settings,
    *,
    dense: bool,
    progress: ProgressCallback | None = None,
) -> BuildReport:
    """Build (or reuse) the index of ``corpus_path`` and make it the current one.

    BM25 is always built; dense embeddings for ``settings.retrieval.dense_model`` when ``dense``. Raises
    ``CorpusError`` (exit 2) for an empty or corrupt corpus, ``RetrievalError`` when the index cannot be written.
    """
    from retrieval.bm25 import build_bm25
    from retrieval.encoder import resolve_model
    from retrieval.text import indexed_body
    from retrieval.tokenize import premise_document

    report = progress or _no_progress
    started = time.perf_counter()
    options = settings.retrieval
    root = settings.index_dir()
    sha = file_sha256(corpus_path)
    key = corpus_key(
        sha, include_private=options.include_private, include_deprecated=options.include_deprecated
    )
    target = root / key
    built: list[str] = []
    reused: list[str] = []
    premises: list[Premise] | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        manifest = _read_json(target / MANIFEST_FILE)
        if manifest is None or manifest.get("format") != FORMAT_VERSION:
            report("reading corpus", 0, 1)
            premises = load_corpus(
                corpus_path,
                include_private=options.include_private,
                include_deprecated=options.include_deprecated,
            )
            report("reading corpus", 1, 1)
            staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
            _write_premise_table(premises, staging)
            documents: list[list[str]] = []
            for i, premise in enumerate(premises):
                documents.append(premise_document(premise.name, indexed_body(premise), premise.doc))
                if i % 4096 == 0:
                    report("tokenizing", i, len(premises))
            report("tokenizing", len(premises), len(premises))
            bm25_started = time.perf_counter()
            report("bm25 index", 0, 1)
            build_bm25(documents, staging / "bm25")
            report("bm25 index", 1, 1)
            manifest = {
                "format": FORMAT_VERSION,
                "corpus_path": str(corpus_path.resolve()),
                "corpus_sha256": sha,
                "premises": len(premises),
                "include_private": options.include_private,
                "include_deprecated": options.include_deprecated,
                "bm25_build_s": round(time.perf_counter() - bm25_started, 3),
                "build_s": round(time.perf_counter() - started, 3),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            _write_json_atomic(staging / MANIFEST_FILE, manifest)
            if target.exists():
                shutil.rmtree(target)
            staging.replace(target)
            built += ["corpus", "bm25"]
        else:
            reused += ["corpus", "bm25"]
        if dense:
            model = resolve_model(options.dense_model)
            dense_dir = target / "dense" / model.key
            if _read_json(dense_dir / "meta.json") is None:
                if premises is None:
                    premises = PremiseIndex(target).all_premises()
                _build_dense(premises, model.spec, dense_dir, report, DENSE_MAX_TOKENS)
                built.append(f"dense:{model.key}")
            else:
                reused.append(f"dense:{model.key}")
                if _export_query_encoder(model.spec, dense_dir, report) is not None:
                    built.append(f"query-encoder:{model.key}")  # an index built before the graph existed
        _write_json_atomic(root / CURRENT_FILE, {"corpus_key": key})
    except OSError as exc:
        raise RetrievalError(f"cannot write the premise index: {exc}", where=str(root)) from exc
    return BuildReport(
        index_dir=target,
        corpus_key=key,
        premises=int(manifest["premises"]),
        built=tuple(built),
        reused=tuple(reused),
        seconds=round(time.perf_counter() - started, 3),
        size_bytes=_dir_size(target),
    )


def _build_dense(
    premises: list[Premise], model_spec: str, dense_dir: Path, report: ProgressCallback, max_tokens: int
) -> None:
    from retrieval.dense import save_embeddings
    from retrieval.encoder import embed_documents, resolve_model
    from retrieval.text import indexed_text

    model = resolve_model(model_spec)
    started = time.perf_counter()
    staging = dense_dir.with_name(dense_dir.name + ".tmp")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    query_encoder = _export_query_encoder(model.spec, staging, report)
    exported = time.perf_counter()
    encoder, document_encoder = _document_encoder(model_spec, staging, max_tokens)
    loaded = time.perf_counter()
    texts = [indexed_text(p) for p in premises]
    stage = f"dense embeddings ({model.spec}, {document_encoder})"
    report(stage, 0, len(texts))
    vectors = embed_documents(encoder, texts, lambda done: report(stage, done, len(texts)))
    encoded = time.perf_counter()
    report("dense search graph", 0, 1)
    graph = save_embeddings(vectors, staging)
    report("dense search graph", 1, 1)
    meta = {
        "model": model.spec,
        "source": model.source,
        "key": model.key,
        "dimension": int(vectors.shape[1]),
        "premises": len(texts),
        "distinct_texts": len(set(texts)),
        "max_tokens": max_tokens,
        "graph": graph,
        "query_encoder": query_encoder,
        "document_encoder": document_encoder,
        "query_encoder_s": round(exported - started, 3),
        "load_s": round(loaded - exported, 3),
        "encode_s": round(encoded - loaded, 3),
        "save_s": round(time.perf_counter() - encoded, 3),
        "build_s": round(time.perf_counter() - started, 3),
    }
    _write_json_atomic(staging / "meta.json", meta)
    if dense_dir.exists():
        shutil.rmtree(dense_dir)
    staging.replace(dense_dir)


def _document_encoder(model_spec: str, dense_dir: Path, max_tokens: int) -> tuple[BatchEncoder, str]:
    """ONNX Runtime on every core over the graph in ``dense_dir`` when there is one; else sentence-transformers.

    Both give the same embeddings (to float32 rounding, tested); ONNX Runtime is faster here and needs no torch.
    """
    from retrieval.encoder import SentenceTransformerEncoder, resolve_model
    from retrieval.onnx_bert import OnnxBertEncoder, usable_cores, usable_graph

    model = resolve_model(model_spec)
    graph = usable_graph(dense_dir)
    if model.local_dir is not None and graph is not None:
        threads = usable_cores()
        encoder = OnnxBertEncoder(graph, model.local_dir, max_tokens=max_tokens, batch_threads=threads)
        return encoder, f"onnxruntime, {threads} threads"
    return SentenceTransformerEncoder(model, max_seq_length=max_tokens), "sentence-transformers"


def _export_query_encoder(model_spec: str, dense_dir: Path, report: ProgressCallback) -> str | None:
    """Write the ONNX query encoder (``retrieval.onnx_bert``) into ``dense_dir`` unless it is there.

    Returns the file written, or ``None`` when there was nothing to do: the graph exists, the model is not
    one the torch-free encoders run, or the ``onnx`` package is missing (queries then use numpy).
    """
    from retrieval.bert_checkpoint import supports
    from retrieval.encoder import resolve_model
    from retrieval.onnx_bert import GRAPH_FILE, ensure_graph, graph_complete

    model_dir = resolve_model(model_spec).local_dir
    if graph_complete(dense_dir / GRAPH_FILE) or model_dir is None or not supports(model_dir):
        return None
    report("query encoder graph", 0, 1)
    try:
        ensure_graph(model_dir, dense_dir)
    except DependencyError as exc:
        log.info("no ONNX query encoder (%s); queries are encoded with numpy", exc.message)
        return None
    report("query encoder graph", 1, 1)
    return GRAPH_FILE


def current_index_dir(settings: Settings) -> Path:
    """The folder of the index ``prover index build`` made current; ``RetrievalError`` when none was built."""
    root = settings.index_dir()
    pointer = _read_json(root / CURRENT_FILE)
    if pointer is None or not (root / str(pointer.get("corpus_key")) / MANIFEST_FILE).is_file():
        raise RetrievalError("no premise index has been built; run `prover index build`", where=str(root))
    return root / str(pointer["corpus_key"])


class PremiseIndex:
    """Read access to one built index. Everything is loaded lazily: a query pays only for what it uses."""

    def __init__(self, directory: Path) -> None:
        manifest = _read_json(directory / MANIFEST_FILE)
        if manifest is None:
            raise RetrievalError(
                "premise index is incomplete (no manifest); rebuild it", where=str(directory)
            )
        self.directory = directory
        self.manifest = manifest

    def __len__(self) -> int:
        return int(self.manifest["premises"])

    @cached_property
    def _offsets(self) -> np.ndarray[Any, Any]:
        offsets: np.ndarray[Any, Any] = np.load(self.directory / "offsets.npy", mmap_mode="r")
        return offsets

    def premise(self, index: int) -> Premise:
        with (self.directory / "premises.jsonl").open("rb") as handle:
            handle.seek(int(self._offsets[index]))
            return Premise.model_validate_json(handle.readline())

    def premises(self, indices: list[int]) -> list[Premise]:
        with (self.directory / "premises.jsonl").open("rb") as handle:
            found = []
            for index in indices:
                handle.seek(int(self._offsets[index]))
                found.append(Premise.model_validate_json(handle.readline()))
            return found

    def all_premises(self) -> list[Premise]:
        with (self.directory / "premises.jsonl").open("rb") as handle:
            return [Premise.model_validate_json(line) for line in handle]

    @cached_property
    def names(self) -> list[str]:
        return (self.directory / "names.txt").read_text(encoding="utf-8").splitlines()

    def dense_models(self) -> list[dict[str, Any]]:
        metas = [_read_json(meta) for meta in sorted((self.directory / "dense").glob("*/meta.json"))]
        return [meta for meta in metas if meta is not None]

    def dense_dir(self, model_key: str) -> Path:
        path = self.directory / "dense" / model_key
        if not (path / "meta.json").is_file():
            raise RetrievalError(
                f"no dense embeddings for model key {model_key!r} in this index;"
                " run `prover index build` with the dense model configured",
                where=str(self.directory),
            )
        return path

    def info(self) -> IndexInfo:
        m = self.manifest
        dense = tuple(
            DenseInfo(
                model=str(meta["model"]),
                key=str(meta["key"]),
                dimension=int(meta["dimension"]),
                size_bytes=_dir_size(self.directory / "dense" / str(meta["key"])),
                build_s=float(meta["build_s"]),
            )
            for meta in self.dense_models()
        )
        return IndexInfo(
            index_dir=self.directory,
            corpus_key=self.directory.name,
            corpus_path=str(m["corpus_path"]),
            corpus_sha256=str(m["corpus_sha256"]),
            premises=len(self),
            include_private=bool(m["include_private"]),
            include_deprecated=bool(m["include_deprecated"]),
            bm25_build_s=float(m["bm25_build_s"]),
            build_s=float(m.get("build_s", m["bm25_build_s"])),
            size_bytes=_dir_size(self.directory),
            dense=dense,
        )
