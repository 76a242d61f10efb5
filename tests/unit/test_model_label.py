"""The chat model as a person knows it: name and the quantization it answers in."""

from __future__ import annotations

from pathlib import Path

from ragkit import ScriptedChatModel
from ragkit.models.llm.base import WrappedChatModel, model_label
from ragkit.models.llm.llama_cpp import LlamaCppChatModel

SHIPPED = Path("pkg/SmolLM2-135M-Instruct.Q4_1.gguf")
COPY = Path("models/SmolLM2-135M-Instruct.Q4_1-q8_0.gguf")


def test_the_bundled_model_is_named_by_the_copy_it_answers_from() -> None:
    model = LlamaCppChatModel(SHIPPED, q8_folder=Path("models"))
    # Before loading: the copy is what it will load; `id` still names the shipped file.
    assert model.label == "SmolLM2-135M-Instruct Q8_0"
    assert model.id == "SmolLM2-135M-Instruct.Q4_1"
    model.loaded_file = COPY
    assert model.label == "SmolLM2-135M-Instruct Q8_0"
    # The copy could not be made: it answers from the shipped file, and says so.
    model.loaded_file = SHIPPED
    assert model.label == "SmolLM2-135M-Instruct Q4_1"


def test_a_file_loaded_as_it_is_names_its_own_quantization() -> None:
    assert LlamaCppChatModel(SHIPPED).label == "SmolLM2-135M-Instruct Q4_1"
    assert (
        LlamaCppChatModel(Path("m/mistral-7b-v0.2.Q4_K_M.gguf")).label == "mistral-7b-v0.2 Q4_K_M"
    )
    assert LlamaCppChatModel(Path("m/plain.gguf")).label == "plain"


def test_model_label_looks_through_wrappers_and_falls_back_to_the_id() -> None:
    wrapped = WrappedChatModel(LlamaCppChatModel(SHIPPED, q8_folder=Path("models")))
    assert model_label(wrapped) == "SmolLM2-135M-Instruct Q8_0"
    scripted = ScriptedChatModel(["hi"])
    assert model_label(scripted) == scripted.id
