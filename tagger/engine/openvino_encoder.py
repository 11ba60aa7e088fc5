"""The encoder compiled by OpenVINO, Intel's CPU inference runtime: fused attention and layer
kernels, bf16 on AMX and AVX-512-bf16 (1.1-1.3x PyTorch's bf16 on AMX) and fp32 on AVX-512 and AVX2 (1.1-1.3x
PyTorch's fp32 held to those classes; benchmarks/results/engines-*.md).

`OpenVinoEncoder(encoder, "bf16")` is called like the PyTorch encoder it was converted from
(`input_ids=`, `attention_mask=` -> `.last_hidden_state`), so the windowing, pooling and heads
stay PyTorch's and are shared with every other engine.
"""

from __future__ import annotations

import sys
import threading
import warnings
from types import SimpleNamespace

import torch
from torch import nn

PRECISIONS = {"bf16": "bf16", "fp32": "f32"}


def import_openvino():
    """OpenVINO without its usage telemetry. Its model converter sends usage events to Google
    Analytics unless the user opted out, from a forked process that can hang on a DNS lookup and
    then outlive a stopped server, holding its port. We fetch nothing and send nothing: when the
    telemetry package cannot be imported, OpenVINO uses its own no-op stub."""
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # None: `import openvino_telemetry` fails
    import openvino

    return openvino


class LastHiddenState(nn.Module):
    """The encoder as a function of (ids, mask) to its last hidden state: what converters trace."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


class OpenVinoEncoder:
    def __init__(
        self, encoder: nn.Module, precision: str = "bf16", threads: int | None = None, profile: bool = False
    ):
        ov = import_openvino()  # only where this engine is chosen

        if precision not in PRECISIONS:
            raise ValueError(f"OpenVINO precision {precision!r}: expected one of {', '.join(PRECISIONS)}")
        dynamic = ov.PartialShape([-1, -1])  # any batch size, any window length
        # tracing warns about two Python branches in transformers' attention code (mask padding,
        # causality) that go the same way for every encoder window; tests check it against PyTorch
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", FutureWarning)
            model = ov.convert_model(
                LastHiddenState(encoder).eval(),
                example_input=(torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long)),
                input=[("input_ids", dynamic, ov.Type.i64), ("attention_mask", dynamic, ov.Type.i64)],
            )
        settings = {"INFERENCE_PRECISION_HINT": PRECISIONS[precision], "PERFORMANCE_HINT": "LATENCY"}
        if threads:
            settings["INFERENCE_NUM_THREADS"] = str(threads)
        if profile:  # per-kernel times of the last call, for `op_times` (benchmarks/op_profile.py)
            settings["PERF_COUNT"] = "YES"
        self.precision = precision
        self._compiled = ov.Core().compile_model(model, "CPU", settings)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request, and the service may call from several threads

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        with self._lock:
            out = self._request.infer(
                {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()}
            )
            hidden = torch.from_numpy(out[0].copy())  # the request reuses its output buffer
        return SimpleNamespace(last_hidden_state=hidden)

    def op_times(self) -> list[tuple[str, str, float]]:
        """The last call's kernels: (kind such as "FullyConnected (brgemm_avx512_amx_bf16)", node name,
        seconds); needs `profile=True`."""
        return [
            (f"{n.node_type} ({n.exec_type})", n.node_name, n.real_time.total_seconds())
            for n in self._request.get_profiling_info()
        ]
