"""Where and in which precision the model runs: CUDA if present, bf16 where the hardware has it."""

from __future__ import annotations

import os
from functools import lru_cache

import torch


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_has_bf16() -> bool:
    """AMX or AVX-512-bf16 make bf16 matmuls much faster than fp32; elsewhere bf16 is slower."""
    return bool({"amx_bf16", "avx512_bf16"} & cpu_flags())


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


def pick_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def use_bf16(device: torch.device, setting: bool | str = "auto") -> bool:
    if setting == "auto":
        return device.type == "cuda" or cpu_has_bf16()
    return bool(setting)


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


def configure_threads() -> int:
    """One intra-op thread per available core; more only adds contention on small machines."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(n)
    return n
