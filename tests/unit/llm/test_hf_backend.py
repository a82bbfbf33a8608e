"""The transformers backend on tiny randomly initialised models built here (offline, CPU, no download)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from prover.errors import ModelError
from prover.llm.base import ChatMessage, LLMRequest, Role
from prover.llm.cache import ResponseCache
from prover.llm.factory import build_model
from prover.llm.hf import TransformersModel
from prover.settings import RoleSettings

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 :=()+-*^<>_,.⊢"


@pytest.fixture(scope="module", autouse=True)
def _offline() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


def _tokenizer() -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {"<pad>": 0, "<eos>": 1, "<unk>": 2}
    for char in ALPHABET:
        vocab[char] = len(vocab)
    inner = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    inner.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    inner.decoder = decoders.Fuse()
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=inner, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tokenizer = _tokenizer()
    vocab_size = len(ALPHABET) + 3
    torch.manual_seed(0)
    causal = transformers.GPT2LMHeadModel(
        transformers.GPT2Config(
            vocab_size=vocab_size,
            n_layer=1,
            n_head=2,
            n_embd=16,
            n_positions=64,
            bos_token_id=1,
            eos_token_id=1,
            pad_token_id=0,
        )
    )
    seq2seq = transformers.T5ForConditionalGeneration(
        transformers.T5Config(
            vocab_size=vocab_size,
            d_model=16,
            d_kv=8,
            d_ff=32,
            num_layers=1,
            num_decoder_layers=1,
            num_heads=2,
            decoder_start_token_id=0,
            pad_token_id=0,
            eos_token_id=1,
        )
    )
    paths = {}
    for name, model in (("causal", causal), ("seq2seq", seq2seq)):
        path = tmp_path_factory.mktemp(name)
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)  # type: ignore[attr-defined]
        paths[name] = path
    return paths


def cfg(path: Path, **changes: object) -> RoleSettings:
    values: dict[str, object] = {
        "provider": "transformers",
        "model": str(path),
        "max_tokens": 6,
        "device": "cpu",
        "temperature": 1.0,
    }
    values.update(changes)
    return RoleSettings.model_validate(values)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
@pytest.mark.parametrize("beams", [0, 4])
async def test_candidates_come_with_log_probabilities(
    tiny_models: dict[str, Path], kind: str, beams: int
) -> None:
    model = TransformersModel(Role.step, cfg(tiny_models[kind], n=3, num_beams=beams))
    response = await model.generate(LLMRequest(prompt="x + 1 = 2"))
    assert len(response.choices) == 3
    for choice in response.choices:
        assert choice.logprob is not None and math.isfinite(choice.logprob) and choice.logprob < 0
        assert choice.truncated == (choice.finish_reason == "length")
    assert response.usage.prompt_tokens == len("x + 1 = 2")
    assert 0 < response.usage.completion_tokens <= 3 * 6
    if beams:
        scores = [c.logprob for c in response.choices]
        assert scores == sorted(scores, reverse=True)  # beams come best first


async def test_greedy_log_probability_matches_a_forward_pass(tiny_models: dict[str, Path]) -> None:
    path = tiny_models["causal"]
    model = TransformersModel(Role.step, cfg(path, temperature=0.0, max_tokens=5))
    response = await model.generate(LLMRequest(prompt="a + b"))
    (choice,) = response.choices
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    reference = transformers.AutoModelForCausalLM.from_pretrained(path).eval()
    prompt_ids = tokenizer("a + b")["input_ids"]
    completion_ids = tokenizer(choice.text)["input_ids"]
    if not choice.truncated:
        completion_ids = [*completion_ids, tokenizer.eos_token_id]
    ids = torch.tensor([prompt_ids + completion_ids])
    with torch.no_grad():
        logits = reference(ids).logits.log_softmax(-1)[0]
    expected = sum(float(logits[len(prompt_ids) + i - 1, token]) for i, token in enumerate(completion_ids))
    assert choice.logprob == pytest.approx(expected, abs=1e-4)


async def test_greedy_decoding_is_deterministic_and_refuses_many_samples(
    tiny_models: dict[str, Path],
) -> None:
    model = TransformersModel(Role.step, cfg(tiny_models["seq2seq"], temperature=0.0))
    first = await model.generate(LLMRequest(prompt="⊢ x = x"))
    second = await model.generate(LLMRequest(prompt="⊢ x = x"))
    assert first.choices == second.choices
    with pytest.raises(ModelError, match="greedy"):
        await model.generate(LLMRequest(prompt="⊢ x = x", n=2))


async def test_chat_messages_without_a_template_are_joined(tiny_models: dict[str, Path]) -> None:
    model = TransformersModel(Role.step, cfg(tiny_models["causal"], temperature=0.0))
    request = LLMRequest(
        messages=(ChatMessage(role="system", content="ab"), ChatMessage(role="user", content="cd"))
    )
    response = await model.generate(request)
    assert response.usage.prompt_tokens == len("ab\n\ncd")


async def test_stop_strings_cut_the_text(tiny_models: dict[str, Path]) -> None:
    model = TransformersModel(Role.step, cfg(tiny_models["causal"], temperature=0.0, max_tokens=12))
    (plain,) = (await model.generate(LLMRequest(prompt="a"))).choices
    assert len(plain.text) >= 2
    marker = plain.text[1]
    stopped = TransformersModel(
        Role.step, cfg(tiny_models["causal"], temperature=0.0, max_tokens=12, stop=[marker])
    )
    (cut,) = (await stopped.generate(LLMRequest(prompt="a"))).choices
    assert cut.text == plain.text[: plain.text.index(marker)]
    assert cut.finish_reason == "stop" and not cut.truncated


async def test_factory_wraps_the_local_model_with_the_cache(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path)
    model = build_model(
        Role.step, cfg(tiny_models["causal"], n=2, num_beams=2), cache=cache, budget=None, accounting=None
    )
    assert model is not None
    first = await model.generate(LLMRequest(prompt="x"))
    second = await model.generate(LLMRequest(prompt="x"))
    assert not first.cached and second.cached
    assert [c.text for c in second.choices] == [c.text for c in first.choices]
    await model.close()


async def test_a_missing_model_is_a_model_error(tmp_path: Path) -> None:
    model = TransformersModel(Role.step, cfg(tmp_path / "absent"))
    with pytest.raises(ModelError, match="cannot load transformers model"):
        await model.generate(LLMRequest(prompt="x"))
