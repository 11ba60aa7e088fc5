"""Where and in which precision the model runs: CUDA if present, bf16 where the hardware has it."""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache

import torch

CPU_CLASS_ENV = "TAGGER_CPU_CLASS"
# The instruction-set flags each class stands for, richest first. TAGGER_CPU_CLASS=AVX2 makes a
# bigger CPU act as that class (benchmarks/as-cpu also holds PyTorch's kernels to AVX2): how the
# benchmarks measure a class they are not running on.
CLASS_FLAGS = {
    "AMX": frozenset({"amx_bf16", "amx_int8", "avx512_bf16", "avx512_vnni", "avx512f", "avx2"}),
    "AVX-512-bf16": frozenset({"avx512_bf16", "avx512_vnni", "avx512f", "avx2"}),
    "AVX-512": frozenset({"avx512f", "avx2"}),
    "AVX2": frozenset({"avx2"}),
}


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    flags = _proc_cpu_flags()
    forced = os.environ.get(CPU_CLASS_ENV, "").strip()
    if not forced:
        return flags
    if forced not in CLASS_FLAGS:
        raise ValueError(f"{CPU_CLASS_ENV}={forced!r}: expected one of {', '.join(CLASS_FLAGS)}")
    if missing := CLASS_FLAGS[forced] - flags:
        raise ValueError(f"{CPU_CLASS_ENV}={forced}: this CPU lacks {', '.join(sorted(missing))}")
    return CLASS_FLAGS[forced]


def _proc_cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_bf16() -> bool:
    """Whether bf16 matmuls beat fp32 here. AMX: always (~5x). AVX-512-bf16 without AMX: it depends
    on the chip (an AMX Xeon held to that path ran bf16 slower than fp32; an AMD EPYC ran it far
    faster, benchmarks/results/inference-AVX-512-bf16.md), so it is timed once. Elsewhere bf16 is
    emulated and slower."""
    flags = cpu_flags()
    if "amx_bf16" in flags:
        return True
    return "avx512_bf16" in flags and bf16_measured_faster()


@lru_cache(maxsize=1)
def bf16_measured_faster(margin: float = 1.2) -> bool:
    """Time a matmul of the encoder's feed-forward shape in bf16 and fp32 (best of 3, ~0.3 s once
    per process); bf16 must win by `margin` to be chosen."""
    shape = (1024, 384, 1536)
    return matmul_seconds(torch.bfloat16, *shape, trials=3) * margin < matmul_seconds(
        torch.float32, *shape, trials=3
    )


def matmul_seconds(dtype: torch.dtype, m: int, k: int, n: int, reps: int = 10, trials: int = 5) -> float:
    """Seconds for `reps` (m x k) @ (k x n) matmuls, best of `trials`: a shared machine's noise only
    ever slows a trial down."""
    a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    a @ b
    best = float("inf")
    for _ in range(trials):
        t = time.perf_counter()
        for _ in range(reps):
            a @ b
        best = min(best, time.perf_counter() - t)
    return best


def cpu_has_int8_dot() -> bool:
    """int8 dot-product instructions (VNNI or AMX-int8); without them int8 matmuls are emulated
    and run ~20x slower than fp32 (measured on an AVX2 CPU)."""
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & cpu_flags())


def int8_refusal() -> str | None:
    """Why int8 cannot be used on this CPU, and what to use instead; None when it can."""
    if cpu_has_int8_dot():
        return None
    return (
        f"int8 needs a CPU with int8 dot-product instructions (VNNI or AMX); this one is {cpu_class()} "
        f"({cpu_name()}), where int8 matmuls are emulated and run about 20x slower than fp32. "
        "Leave int8 off: the default engine already picks the best precision for this CPU."
    )


def cpu_class() -> str:
    """The CPU class that decides precision: AMX, AVX-512-bf16, AVX-512, AVX2 or older."""
    flags = cpu_flags()
    if "amx_bf16" in flags:
        return "AMX"
    if "avx512_bf16" in flags:
        return "AVX-512-bf16"
    if "avx512f" in flags:
        return "AVX-512"
    return "AVX2" if "avx2" in flags else "pre-AVX2"


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def machine_name(device: torch.device) -> str:
    """What a run ran on, as its outputs name it: the GPU, or the CPU with its class and cores."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    held = ", held to it by TAGGER_CPU_CLASS" if os.environ.get(CPU_CLASS_ENV, "").strip() else ""
    return f"{cpu_name()} ({cpu_class()}{held}), {available_cores()} cores"


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def use_bf16(device: torch.device, setting: bool | str = "auto") -> bool:
    if setting == "auto":
        return device.type == "cuda" or cpu_has_bf16()
    return bool(setting)


def attention_kernels(device: torch.device) -> AbstractContextManager:
    """On CUDA, attention without cuDNN's kernel: cuDNN builds a plan for each new batch shape, and
    windows are padded per batch, so a job meets new shapes all the way through; on an H200 its first
    pass over a job ran at a quarter of the warm rate, where the flash and memory-efficient kernels
    ran as fast cold as warm (benchmarks/results/gpu-H200.md)."""
    if device.type != "cuda":
        return nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def batch_tokens(device: torch.device) -> int:
    """Padded tokens per inference forward pass. On CPU small batches are as fast per token
    (1-4k measured best here) and keep latency low; a GPU wants big ones."""
    return 32768 if device.type == "cuda" else 2048


INT8_ENV = "TAGGER_INT8"


def int8_from_env() -> bool:
    """TAGGER_INT8=1 turns on int8 matmuls in the service (off by default: its first request compiles)."""
    value = os.environ.get(INT8_ENV, "0").strip().lower()
    if value not in ("0", "1", "false", "true", ""):
        raise ValueError(f"{INT8_ENV}={value!r}: expected 1 (int8 matmuls) or 0 (off)")
    return value in ("1", "true")


MAX_PENDING_ENV = "TAGGER_MAX_PENDING"
# articles of synchronous calls the service holds at once (service/admission.py): ~10-25 s of work
# on 2 cores (20-45 articles/s); a client waiting longer is better told to retry
DEFAULT_MAX_PENDING = 512


def max_pending_from_env() -> int:
    raw = os.environ.get(MAX_PENDING_ENV, "").strip() or str(DEFAULT_MAX_PENDING)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_PENDING_ENV}={raw!r}: expected a whole number of articles, 1 or more")
    return int(raw)


def available_cores() -> int:
    """The cores this process may run on (its affinity, e.g. a container's share), not the host's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def configure_threads() -> int:
    """One intra-op thread per available core; more only adds contention on small machines."""
    n = available_cores()
    torch.set_num_threads(n)
    return n


BACKEND_ENV = "TAGGER_BACKEND"
BACKENDS = ("torch", "openvino")
TIMED = "timed"
# The backend that runs the encoder, per CPU class, from measurements (benchmarks/results/engines-*.md).
# OpenVINO's kernels honour ONEDNN_MAX_CPU_ISA, so benchmarks/as-cpu holds them to each class too:
# OpenVINO bf16 1.1-1.3x PyTorch bf16 on AMX; OpenVINO fp32 1.1-1.2x PyTorch fp32 held to
# AVX-512(-bf16) and 1.2-1.3x held to AVX2. A real AVX2 CPU measured 0.94x (issue #15), so there both are timed on the
# model itself, once, at the first scoring call (~3 s), and the faster is kept.
BACKEND_BY_CPU_CLASS = {"AMX": "openvino", "AVX-512-bf16": "openvino", "AVX-512": "openvino", "AVX2": TIMED}


def fastest(candidates: dict[str, Callable[[], object]], trials: int = 3) -> str:
    """The name of the candidate that runs fastest: one warm-up call each, then best of `trials`."""
    best = {}
    for name, run in candidates.items():
        run()
        best[name] = min(_seconds(run) for _ in range(trials))
    return min(best, key=best.__getitem__)


def _seconds(run: Callable[[], object]) -> float:
    t = time.perf_counter()
    run()
    return time.perf_counter() - t


@lru_cache(maxsize=1)
def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def pick_backend(device: torch.device, setting: str = "auto") -> str:
    """torch or openvino: `setting` when it names one, else the measured choice for this CPU class
    (`TIMED` where the scorer must time both on its model)."""
    if setting not in ("auto", *BACKENDS):
        raise ValueError(f"backend {setting!r}: expected auto, {' or '.join(BACKENDS)}")
    if setting == "openvino" and (device.type != "cpu" or not openvino_installed()):
        raise ValueError(
            "the openvino backend runs on the CPU, with the openvino package installed "
            f"(device {device.type}, openvino {'installed' if openvino_installed() else 'missing'})"
        )
    if setting != "auto":
        return setting
    if device.type != "cpu" or not openvino_installed():
        return "torch"
    return BACKEND_BY_CPU_CLASS.get(cpu_class(), "torch")


def backend_from_env() -> str:
    """TAGGER_BACKEND=torch|openvino overrides the per-CPU choice in the service (default auto)."""
    value = os.environ.get(BACKEND_ENV, "auto").strip().lower() or "auto"
    if value not in ("auto", *BACKENDS):
        raise ValueError(f"{BACKEND_ENV}={value!r}: expected auto, {' or '.join(BACKENDS)}")
    return value
