"""The dataset registry: ``datasets/sources.toml`` (URL, checksum, schema, local copy) and how to get a file.

A dataset is named ``DATASET`` (its default variant) or ``DATASET.VARIANT`` (``minif2f.goedel_v2_test``).
``dataset_file`` prefers the local copy named in the manifest, then a checked download in the user cache
(``<cache_dir>/datasets/``), then downloads it: the SHA-256 must match, else nothing is kept. Offline, or
for a source with no direct download, it raises ``DependencyError`` (exit 3) naming the URL and ``--file``.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from prover.errors import ConfigError, DependencyError, InputError
from prover.settings import REPO_ROOT
from prover.types import Frozen

MANIFEST = REPO_ROOT / "datasets" / "sources.toml"
# The statement variant a bare dataset name means (the one published proofs and papers mostly use).
DEFAULT_VARIANTS = {"minif2f": "deepseek_v15", "proofnet": "deepseek_v15", "putnambench": "lean4"}
PROBLEM_SCHEMAS = frozenset({"deepseek", "goedel", "lean_file", "harmonic", "proofnet_verified"})


class DatasetSource(Frozen):
    dataset: str
    variant: str
    url: str
    sha256: str
    rows: int
    schema_name: str
    local: Path | None = None  # resolved against the repo root
    license: str = ""
    lean: str = ""
    notes: str = ""

    @property
    def name(self) -> str:
        return f"{self.dataset}.{self.variant}"

    @property
    def downloadable(self) -> bool:
        """Only raw file URLs can be fetched; ``tree/`` URLs were repackaged into one JSONL by hand."""
        return "/tree/" not in self.url

    @property
    def is_problem_set(self) -> bool:
        return self.schema_name in PROBLEM_SCHEMAS


def load_registry(path: Path = MANIFEST) -> list[DatasetSource]:
    try:
        tree = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the dataset manifest: {error}", where=str(path)) from error
    sources: list[DatasetSource] = []
    for dataset, variants in tree.items():
        for variant, entry in variants.items():
            local = entry.get("local")
            sources.append(
                DatasetSource(
                    dataset=dataset,
                    variant=variant,
                    url=entry["url"],
                    sha256=entry["sha256"],
                    rows=int(entry.get("rows", 0)),
                    schema_name=entry.get("schema", ""),
                    local=(path.parent.parent / local).resolve() if local else None,
                    license=entry.get("license", ""),
                    lean=entry.get("lean", ""),
                    notes=entry.get("notes", ""),
                )
            )
    return sources


def find_source(sources: list[DatasetSource], name: str, variant: str | None = None) -> DatasetSource:
    """``name`` is ``DATASET`` or ``DATASET.VARIANT`` (case-insensitive); ``variant`` overrides."""
    dataset, _, named_variant = name.lower().partition(".")
    chosen = (variant or named_variant or DEFAULT_VARIANTS.get(dataset, "")).lower()
    for source in sources:
        if source.dataset == dataset and source.variant == chosen:
            return source
    known = ", ".join(s.name for s in sources if s.dataset == dataset) or ", ".join(
        sorted({s.dataset for s in sources})
    )
    raise InputError(f"no dataset {dataset}.{chosen} in {MANIFEST.name} (known: {known})")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_path(source: DatasetSource, cache_dir: Path) -> Path:
    return cache_dir / "datasets" / f"{source.name}.jsonl"


def dataset_file(source: DatasetSource, cache_dir: Path, *, timeout_s: float = 60.0) -> Path:
    """The file of ``source``: the local copy, a checked cached download, or a new checked download."""
    if source.local is not None and source.local.is_file():
        return source.local
    cached = cached_path(source, cache_dir)
    if cached.is_file() and sha256_of(cached) == source.sha256:
        return cached
    if not source.downloadable:
        raise DependencyError(
            f"{source.name} has no direct download ({source.url} is a repository folder, repackaged by hand): "
            "give the JSONL with --file"
        )
    _download(source, cached, timeout_s)
    return cached


def _download(source: DatasetSource, target: Path, timeout_s: float) -> None:
    import httpx

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with httpx.stream("GET", source.url, timeout=timeout_s, follow_redirects=True) as response:
            response.raise_for_status()
            with partial.open("wb") as handle:
                for block in response.iter_bytes():
                    digest.update(block)
                    handle.write(block)
    except httpx.HTTPError as error:
        partial.unlink(missing_ok=True)
        raise DependencyError(
            f"cannot download {source.url} ({error}): give a local copy with --file"
        ) from error
    if digest.hexdigest() != source.sha256:
        partial.unlink(missing_ok=True)
        raise DependencyError(
            f"{source.url}: checksum {digest.hexdigest()[:16]}… is not the manifest's {source.sha256[:16]}… "
            "(nothing kept): give a trusted copy with --file"
        )
    partial.replace(target)
