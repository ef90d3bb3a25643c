"""bfloat16 arithmetic for training: on a GPU, forward passes under autocast; on a CPU, matrix
products whose float32 inputs are rounded to bfloat16 (oneDNN's bf16 math mode, like TF32 on
GPUs). Weights, optimiser states and losses stay float32 either way."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import torch

PRECISIONS = ("float32", "bfloat16")


def cpu_has_bfloat16() -> bool:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX), as Linux reports them
    in ``/proc/cpuinfo`` (False where that file does not exist)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


@contextlib.contextmanager
def bfloat16_cpu_matmuls():
    """Within the block, float32 matrix products on the CPU round their inputs to bfloat16 and
    accumulate in float32; everything else stays float32. The process-wide setting is restored
    on exit. On a CPU without bfloat16 instructions the products stay plain float32."""
    previous = torch.backends.mkldnn.matmul.fp32_precision
    torch.backends.mkldnn.matmul.fp32_precision = "bf16"
    try:
        yield
    finally:
        torch.backends.mkldnn.matmul.fp32_precision = previous


def forward_precision(precision: str, device: torch.device):
    """The context of a forward pass: bfloat16 autocast on CUDA, else nothing."""
    if precision == "bfloat16" and device.type == "cuda":
        return torch.autocast("cuda", torch.bfloat16)
    return contextlib.nullcontext()


def run_precision(precision: str, device: torch.device):
    """The context of a whole run: bfloat16 matrix products on the CPU, else nothing."""
    if precision == "bfloat16" and device.type == "cpu":
        return bfloat16_cpu_matmuls()
    return contextlib.nullcontext()
