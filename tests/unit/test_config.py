from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.config import load_settings
from ragkit.errors import ConfigError
from ragkit.wiring import index_path


def test_defaults() -> None:
    s = load_settings()
    assert s.index.name == "default" and s.retrieval.mode == "hybrid"
    assert s.embedder.model == "bundled-int8" and s.llm.model_path == "bundled"


def test_toml_then_env_then_explicit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ragkit.toml"
    cfg.write_text('[index]\nname = "from-toml"\nchunk_size = 500\n[llm]\nmax_tokens = 64\n')
    s = load_settings()  # ./ragkit.toml is picked up (tests run in tmp_path)
    assert (s.index.name, s.index.chunk_size, s.llm.max_tokens) == ("from-toml", 500, 64)
    monkeypatch.setenv("RAGKIT_INDEX__NAME", "from-env")
    s = load_settings()
    assert s.index.name == "from-env" and s.index.chunk_size == 500
    s = load_settings(overrides={"index": {"name": "from-flag", "chunk_size": None}})
    assert s.index.name == "from-flag" and s.index.chunk_size == 500


def test_bad_value_names_setting_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGKIT_RETRIEVAL__MODE", "fuzzy")
    with pytest.raises(ConfigError, match=r"retrieval\.mode.*RAGKIT_RETRIEVAL__MODE"):
        load_settings()


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text("[index]\nnmae = 'typo'\n")
    with pytest.raises(ConfigError, match="nmae"):
        load_settings(cfg)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_index_path_resolution(tmp_path: Path) -> None:
    s = load_settings(overrides={"index": {"home": str(tmp_path)}})
    assert index_path(s, "docs") == tmp_path / "docs"
    assert index_path(s, "some/where") == Path("some/where")
    with pytest.raises(ConfigError):
        index_path(s, "..")


def test_remote_backend_settings_build_the_http_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from ragkit.models.llm.openai_compat import OpenAICompatChatModel
    from ragkit.wiring import chat_model

    monkeypatch.setenv("RAGKIT_LLM__BACKEND", "openai")
    with pytest.raises(ConfigError, match="RAGKIT_LLM__BASE_URL"):
        chat_model(load_settings())
    monkeypatch.setenv("RAGKIT_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="RAGKIT_LLM__MODEL"):
        chat_model(load_settings())
    monkeypatch.setenv("RAGKIT_LLM__MODEL", "qwen")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-env")
    monkeypatch.setenv("RAGKIT_LLM__READ_TIMEOUT", "7")
    model = chat_model(load_settings())
    assert isinstance(model, OpenAICompatChatModel)
    assert (model.base_url, model.model, model.read_timeout) == ("http://127.0.0.1:9/v1", "qwen", 7)
    assert model._api_key == "sk-from-openai-env"
    monkeypatch.setenv("RAGKIT_LLM__API_KEY", "sk-ragkit")
    assert load_settings().llm.api_key.get_secret_value() == "sk-ragkit"  # type: ignore[union-attr]
    assert "sk-ragkit" not in repr(load_settings())


def test_unknown_backend_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAGKIT_LLM__BACKEND", "ollama")
    with pytest.raises(ConfigError, match="RAGKIT_LLM__BACKEND"):
        load_settings()


def test_server_section(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert (s.server.host, s.server.port, s.server.api_key) == ("127.0.0.1", 8321, None)
    monkeypatch.setenv("RAGKIT_SERVER__API_KEY", "sekrit")
    monkeypatch.setenv("RAGKIT_SERVER__ALLOWED_TYPES", '[".pdf", ".md"]')
    s = load_settings(overrides={"server": {"port": 9000, "data_dir": "srv"}})
    assert s.server.api_key is not None and s.server.api_key.get_secret_value() == "sekrit"
    assert "sekrit" not in repr(s)  # the key never shows in logs or errors
    assert (s.server.port, s.server.data_dir, s.server.allowed_types) == (
        9000,
        Path("srv"),
        (".pdf", ".md"),
    )
    with pytest.raises(ConfigError, match=r"server\.port"):
        load_settings(overrides={"server": {"port": 70000}})


def test_stop_sequences_reach_the_generation_options(monkeypatch: pytest.MonkeyPatch) -> None:
    from ragkit.wiring import generation_options

    monkeypatch.setenv("RAGKIT_LLM__STOP", '["Question:", "\\n\\n"]')
    assert generation_options(load_settings()).stop == ("Question:", "\n\n")


def test_settings_defaults_are_the_library_defaults() -> None:
    # Settings sections that mirror a library options type must not drift from it.
    from dataclasses import fields

    from ragkit.agent.loop import AgentOptions
    from ragkit.config import Settings
    from ragkit.ingest.loaders import LoaderOptions
    from ragkit.models.llm.base import GenerationOptions

    s = Settings()
    agent = AgentOptions()
    for name in ("max_steps", "time_budget_s", "retries", "protocol", "constrained"):
        assert getattr(s.agent, name) == getattr(agent, name), name
    gen = GenerationOptions()
    for name in ("max_tokens", "temperature", "repeat_penalty"):
        assert getattr(s.llm, name) == getattr(gen, name), name
    loader = LoaderOptions()
    for f in fields(LoaderOptions):
        assert getattr(s.loader, f.name) == getattr(loader, f.name), f.name


def test_configuration_reference_is_generated_from_the_settings() -> None:
    # docs/configuration.md must be regenerated when a setting changes:
    #   python -m ragkit.config > docs/configuration.md
    from pathlib import Path

    from ragkit.config import settings_reference

    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert doc.read_text(encoding="utf-8") == settings_reference()
