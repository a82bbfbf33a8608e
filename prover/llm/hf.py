"""``TransformersModel``: a local causal or seq2seq model (a path or a hub name) that returns scored candidates.

torch and transformers are imported on first use only. Generation runs in a worker thread (one at a time per
model) so it never blocks the event loop; ``max_time`` bounds each call by the role's ``timeout_s``.
Sampling (``num_beams == 0``) or beam search (``num_beams > 0``); each candidate carries the sum of its
token log-probabilities, which is what a step prover ranks tactics by.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from prover.errors import DependencyError, ModelError
from prover.llm.base import Choice, LLMRequest, LLMResponse, Role, Usage
from prover.settings import RoleSettings

log = logging.getLogger(__name__)


def pick_device(requested: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``mps`` on Apple silicon, else ``cpu``."""
    if requested != "auto":
        return requested
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


class _Loaded:
    def __init__(self, model: Any, tokenizer: Any, device: str, seq2seq: bool) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = device
        self.seq2seq = seq2seq


class TransformersModel:
    """A ``ProofModel`` backed by a local transformers model."""

    def __init__(self, role: Role | str, cfg: RoleSettings) -> None:
        self._role = str(role)
        self._cfg = cfg
        self._lock = threading.Lock()  # one generate at a time; also guards lazy loading
        self._loaded: _Loaded | None = None

    @property
    def role(self) -> str:
        return self._role

    @property
    def model_name(self) -> str:
        return self._cfg.model

    async def close(self) -> None:
        with self._lock:
            self._loaded = None

    def request_parameters(self, request: LLMRequest) -> dict[str, Any]:
        cfg = self._cfg
        return {
            "backend": "transformers",
            "temperature": cfg.temperature if request.temperature is None else request.temperature,
            "top_p": cfg.top_p if request.top_p is None else request.top_p,
            "max_tokens": cfg.max_tokens if request.max_tokens is None else request.max_tokens,
            "stop": list(cfg.stop if request.stop is None else request.stop),
            "num_beams": cfg.num_beams,
        }

    async def generate(self, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        choices, usage = await asyncio.to_thread(self._generate_blocking, request)
        return LLMResponse(
            role=self._role,
            model=self.model_name,
            choices=choices,
            usage=usage,
            latency_s=time.perf_counter() - started,
        )

    def _load(self) -> _Loaded:
        if self._loaded is not None:
            return self._loaded
        try:
            import transformers
        except ImportError as exc:
            raise DependencyError("the transformers backend needs: pip install -e '.[local]'") from exc
        name = self._cfg.model
        try:
            config = transformers.AutoConfig.from_pretrained(name)
            seq2seq = bool(getattr(config, "is_encoder_decoder", False))
            loader = transformers.AutoModelForSeq2SeqLM if seq2seq else transformers.AutoModelForCausalLM
            model: Any = loader.from_pretrained(name)
            tokenizer = transformers.AutoTokenizer.from_pretrained(name)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load transformers model {name!r} for role {self._role}: {exc}") from exc
        device = pick_device(self._cfg.device)
        model.to(device)
        model.eval()
        log.info("loaded %s (%s) on %s", name, "seq2seq" if seq2seq else "causal", device)
        self._loaded = _Loaded(model, tokenizer, device, seq2seq)
        return self._loaded

    def _prompt_text(self, request: LLMRequest, tokenizer: Any) -> str:
        if request.prompt is not None:
            return request.prompt
        if not request.messages:
            raise ModelError(f"{self._role}: the request has neither a prompt nor messages")
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            return str(text)
        return "\n\n".join(m.content for m in request.messages)

    def _generate_blocking(self, request: LLMRequest) -> tuple[tuple[Choice, ...], Usage]:
        import torch

        with self._lock:
            loaded = self._load()
            parameters = self.request_parameters(request)
            n = request.n or self._cfg.n
            tokenizer = loaded.tokenizer
            text = self._prompt_text(request, tokenizer)
            inputs = tokenizer(text, return_tensors="pt").to(loaded.device)
            prompt_length = int(inputs["input_ids"].shape[1])
            beams = int(parameters["num_beams"])
            temperature = float(parameters["temperature"])
            options: dict[str, Any] = {
                "max_new_tokens": int(parameters["max_tokens"]),
                "num_return_sequences": n,
                "return_dict_in_generate": True,
                "output_scores": True,
                "max_time": self._cfg.timeout_s,
                "pad_token_id": tokenizer.pad_token_id
                if tokenizer.pad_token_id is not None
                else tokenizer.eos_token_id,
            }
            if beams > 0:
                options.update(num_beams=max(beams, n), do_sample=False)
            elif temperature > 0:
                options.update(do_sample=True, temperature=temperature, top_p=float(parameters["top_p"]))
            elif n > 1:
                raise ModelError(
                    f"{self._role}: greedy decoding (temperature 0, no beams) cannot give {n} samples"
                )
            else:
                options.update(do_sample=False)
            with torch.no_grad():
                output = loaded.model.generate(**inputs, **options)
            scores = loaded.model.compute_transition_scores(
                output.sequences,
                output.scores,
                getattr(output, "beam_indices", None),
                normalize_logits=beams == 0,
            )
            generated = output.sequences if loaded.seq2seq else output.sequences[:, prompt_length:]
            if loaded.seq2seq:
                generated = generated[:, 1:]  # drop the decoder start token, which has no score
            choices, completion_tokens = self._to_choices(
                generated, scores, tokenizer, list(parameters["stop"])
            )
            return choices, Usage(prompt_tokens=prompt_length, completion_tokens=completion_tokens)

    def _to_choices(
        self, generated: Any, scores: Any, tokenizer: Any, stop: list[str]
    ) -> tuple[tuple[Choice, ...], int]:
        """Choices with summed log-probabilities, and the number of generated tokens (through EOS) in all."""
        eos = tokenizer.eos_token_id
        choices = []
        completion_tokens = 0
        for index, (row, row_scores) in enumerate(zip(generated.tolist(), scores.tolist(), strict=False)):
            # Tokens (and scores) after the first EOS are padding: only real tokens count.
            finished = eos in row
            length = row.index(eos) + 1 if finished else len(row)
            completion_tokens += length
            logprob = float(sum(s for s in row_scores[:length] if s != float("-inf")))
            text = tokenizer.decode(row[:length], skip_special_tokens=True)
            stopped = False
            for marker in stop:
                cut = text.find(marker)
                if cut >= 0:
                    text, stopped = text[:cut], True
            finish = "stop" if finished or stopped else "length"
            choices.append(
                Choice(
                    text=text,
                    finish_reason=finish,
                    truncated=finish == "length",
                    logprob=logprob,
                    index=index,
                )
            )
        return tuple(choices), completion_tokens
