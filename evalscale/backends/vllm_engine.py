"""The vLLM engine in-process, fed request by request (continuous batching).

Follow-up requests (a Wait continuation, an answer branch) are added the
moment their parent finishes, while the rest of the batch keeps decoding.
Prompts are token ids, so the engine sees exactly what forcing built, and
prefix caching lets answer branches reuse the trajectory's KV cache.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # read when vllm is imported

from vllm import EngineArgs, LLMEngine, SamplingParams  # noqa: E402
from vllm.inputs import TokensPrompt  # noqa: E402
from vllm.sampling_params import RequestOutputKind  # noqa: E402

from evalscale.backends import BackendError, completion_result  # noqa: E402
from evalscale.backends.sampling import Sampling, padding_bias  # noqa: E402
from evalscale.environment import accelerator_count, attention_backends, cpu_device  # noqa: E402
from evalscale.forcing import Request, Result  # noqa: E402

ENGINE_DEFAULTS: dict[str, Any] = {"enable_prefix_caching": True, "disable_log_stats": True}


class VllmBackend:
    """Runs Requests on a `vllm.LLMEngine` built from config."""

    def __init__(self, model_path: str, engine: dict[str, Any], sampling: Sampling) -> None:
        options = {**ENGINE_DEFAULTS, **{k: v for k, v in engine.items() if v is not None}}
        kv_cache_gib = options.pop("cpu_kvcache_space_gib", None)
        if kv_cache_gib is not None:
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", str(kv_cache_gib))
        try:
            self.engine = LLMEngine.from_engine_args(EngineArgs(model=model_path, **options))
        except (TypeError, ValueError) as error:  # pydantic's ValidationError is a ValueError
            raise BackendError(f"vLLM cannot start with this engine config: {error}") from error
        self.sampling = sampling
        self.vocab_size = len(self.engine.get_tokenizer())
        self.padding_bias = padding_bias(self.vocab_size, self.engine.model_config.get_vocab_size())
        self._pending: set[str] = set()

    def submit(self, request: Request) -> None:
        """Add a request to the running engine."""
        params = sampling_params(self.sampling, self.padding_bias, request)
        self.engine.add_request(request.key, TokensPrompt(prompt_token_ids=list(request.prompt_ids)), params)
        self._pending.add(request.key)

    def pending(self) -> int:
        """Requests submitted and not yet returned."""
        return len(self._pending)

    def poll(self) -> list[Result]:
        """Step the engine until at least one request finishes; return the finished ones."""
        finished: list[Result] = []
        while self._pending and not finished:
            try:
                outputs = self.engine.step()
            except Exception as error:  # the engine core died; what finished before is stored
                raise BackendError(f"the vLLM engine failed: {type(error).__name__}: {error}") from error
            for output in outputs:
                if not output.finished:
                    continue
                finished.append(self._to_result(output))
                self._pending.discard(output.request_id)
        return finished

    def _to_result(self, output: Any) -> Result:
        completion = output.outputs[0]
        return completion_result(
            output.request_id,
            tuple(completion.token_ids),
            completion.finish_reason,
            completion.stop_reason,
            self.vocab_size,
        )

    def environment(self) -> dict[str, Any]:
        """What the started engine runs on, read from it: device kind, name and count, tensor-parallel
        size, dtype, prefix caching, and the attention implementation its model's layers use (from
        vLLM's model inspection; None where this vLLM cannot tell)."""
        from vllm.platforms import current_platform

        config = self.engine.vllm_config
        device = current_platform.device_type
        if device == "cpu":
            name, count = cpu_device()
        else:  # vLLM names a GPU through NVML, so this process starts no CUDA context of its own
            name, count = current_platform.get_device_name(), accelerator_count(device)
        try:
            inspections = self.engine.collective_rpc("get_model_inspection")
            attention = attention_backends("\n".join(map(str, inspections)))
        except Exception:  # an older vLLM without the inspection call: the config's choice, if any
            attention = None
        chosen = getattr(getattr(config, "attention_config", None), "backend", None)  # None: automatic
        return {
            "device": device,
            "device_name": name,
            "device_count": count,
            "tensor_parallel_size": config.parallel_config.tensor_parallel_size,
            "dtype": str(config.model_config.dtype).removeprefix("torch."),
            "prefix_caching": bool(config.cache_config.enable_prefix_caching),
            "attention_backend": attention or (getattr(chosen, "name", None) if chosen else None),
        }

    def close(self) -> None:
        """Shut the engine down."""
        self.engine.engine_core.shutdown()


def sampling_params(sampling: Sampling, bias: dict[int, float], request: Request) -> SamplingParams:
    """vLLM's SamplingParams for one request: every sampling field, the padding bias, the request's limits
    (and the engine's own thinking cap when the request sets one: methods.py, native_cap)."""
    budget = (
        {}
        if request.thinking_token_budget is None
        else {"thinking_token_budget": request.thinking_token_budget}
    )
    return SamplingParams(
        **sampling.fields(),
        **budget,
        max_tokens=request.max_tokens,
        min_tokens=request.min_tokens,
        stop_token_ids=list(request.stop_token_ids),
        seed=request.seed,
        logit_bias=bias or None,
        skip_special_tokens=False,
        detokenize=False,
        output_kind=RequestOutputKind.FINAL_ONLY,
    )
