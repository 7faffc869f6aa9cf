"""Which device will run the convolutions, and which precision suits it.

``precision="auto"`` is resolved here, by the device, from facts you can check:

* **GPU** (TensorFlow sees one): bfloat16 only if its compute capability is >= 8.0 (Ampere and
  later have bfloat16 tensor cores; older GPUs emulate it, slower than float32).
* **CPU with AMX-BF16** (Intel Sapphire Rapids and later): bfloat16; measured 3.3x faster per
  loop iteration than float32 (benchmarks/RESULTS.md, Intel table).
* **CPU with AVX512-BF16 but no AMX** (AMD Zen 4/5, Intel Cooper Lake): bfloat16; measured 1.7x
  faster per Adam step on a 2-core Zen 5 (issue 16). The output is judged in float32 either way,
  and the default pipeline's objective in bfloat16 landed within 2.3 % of float32's, so the speed-up
  is worth it for the default; pass ``precision="float32"`` for bit-for-bit comparisons.
* **any other CPU** (AVX2 or AVX-512 without bf16, e.g. AMD Zen 3, Apple/ARM): float32; bfloat16
  would be emulated (measured slower on Zen 3, benchmarks/RESULTS.md).

Importing this module does not import TensorFlow; :func:`gpus` and :func:`summary` do.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence

CPUINFO = "/proc/cpuinfo"
#: The CPU flags the benchmarks record (Linux ``/proc/cpuinfo`` spelling).
BENCH_FLAGS = ("amx_bf16", "avx512_bf16", "avx512f", "avx2")
MIN_BF16_CAPABILITY = (8, 0)


@dataclasses.dataclass(frozen=True)
class CPUInfo:
    """What the precision choice needs to know about the CPU.

    Attributes:
        model: the ``model name`` line (``"unknown"`` where there is no ``/proc/cpuinfo``).
        cores: logical CPUs the process may use.
        flags: the ``flags`` line's words (empty where unknown).
    """

    model: str
    cores: int
    flags: frozenset[str]

    @property
    def native_bf16(self) -> bool:
        """True if the CPU computes bfloat16 dot products in hardware (AMX-BF16 or AVX512-BF16)."""
        return bool({"amx_bf16", "avx512_bf16"} & self.flags)


@dataclasses.dataclass(frozen=True)
class GPUInfo:
    """One GPU as TensorFlow reports it: name and compute capability (``None`` if not reported)."""

    name: str
    compute_capability: tuple[int, int] | None


def parse_cpuinfo(text: str, cores: int | None = None) -> CPUInfo:
    """:class:`CPUInfo` from the text of ``/proc/cpuinfo`` (the first processor's lines)."""
    model, flags = "unknown", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model == "unknown":
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
    return CPUInfo(model=model, cores=cores or os.cpu_count() or 1, flags=flags)


def cpu_info(path: str = CPUINFO) -> CPUInfo:
    """The machine's :class:`CPUInfo`; without ``/proc/cpuinfo`` (macOS, Windows) model and flags are unknown."""
    try:
        with open(path) as f:
            return parse_cpuinfo(f.read())
    except OSError:
        return CPUInfo(model="unknown", cores=os.cpu_count() or 1, flags=frozenset())


def gpus() -> list[GPUInfo]:
    """The GPUs TensorFlow can use (imports TensorFlow; no log line of its own)."""
    import tensorflow as tf

    out = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except (ValueError, RuntimeError):  # some builds cannot describe the device
            details = {}
        cc = details.get("compute_capability")
        out.append(GPUInfo(name=details.get("device_name", device.name), compute_capability=tuple(cc) if cc else None))
    return out


def choose_precision(cpu: CPUInfo, gpu_list: Sequence[GPUInfo]) -> tuple[str, str]:
    """The precision ``"auto"`` means on these devices, and why.

    Args:
        cpu: see :func:`cpu_info`.
        gpu_list: see :func:`gpus`; TensorFlow runs the convolutions on the first one.

    Returns:
        ``(precision, reason)``: ``"bfloat16"`` or ``"float32"``, and a few words for people.
    """
    if gpu_list:
        cc = gpu_list[0].compute_capability
        if cc is not None and tuple(cc) >= MIN_BF16_CAPABILITY:
            return "bfloat16", f"GPU compute capability {cc[0]}.{cc[1]} has bfloat16 tensor cores"
        shown = "unknown" if cc is None else f"{cc[0]}.{cc[1]}"
        return "float32", f"GPU compute capability {shown} < 8.0: no fast bfloat16"
    if "amx_bf16" in cpu.flags:
        return "bfloat16", "AMX-BF16"
    if "avx512_bf16" in cpu.flags:
        return "bfloat16", "AVX512-BF16"
    return "float32", "no native bfloat16"


def resolve_precision(precision: str, *, cpu: CPUInfo | None = None, gpu_list: Sequence[GPUInfo] | None = None) -> str:
    """``"auto"`` -> the device's choice (:func:`choose_precision`); any other value is returned as is."""
    if precision != "auto":
        return precision
    return choose_precision(cpu or cpu_info(), gpus() if gpu_list is None else gpu_list)[0]


def summary(*, cpu: CPUInfo | None = None, gpu_list: Sequence[GPUInfo] | None = None) -> str:
    """One line for a notebook's setup cell, e.g. ``"CPU: AMD EPYC, 2 cores, float32 (no native bfloat16); no GPU"``."""
    cpu = cpu or cpu_info()
    gpu_list = gpus() if gpu_list is None else list(gpu_list)
    precision, reason = choose_precision(cpu, gpu_list)
    cpu_part = f"CPU: {cpu.model}, {cpu.cores} cores"
    if not gpu_list:
        return f"{cpu_part}, {precision} ({reason}); no GPU"
    return f"{cpu_part}; GPU: {gpu_list[0].name}, {precision} ({reason})"


class _QuietRetracing(logging.Filter):
    """Each transfer compiles its own step on purpose (new targets, maybe a new size), so TensorFlow's
    hint that "N of the last M calls triggered tf.function retracing" is noise here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


_RETRACING_FILTER = _QuietRetracing()


def quiet_retracing_hint() -> None:
    """Hide TensorFlow's retracing hint (idempotent; called by :func:`nst_helpers.transfer.transfer`)."""
    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)
