"""precision="auto" decides by the device: faked CPUs and GPUs, no TensorFlow needed for the decision."""

import pytest

from nst_helpers import devices as D

# first lines of real /proc/cpuinfo files, flags trimmed to the words that matter plus some noise
SAPPHIRE_RAPIDS = (
    "model name\t: Intel(R) Xeon(R) Platinum 8480+\n"
    "flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n"
)
ZEN5 = "model name\t: AMD EPYC 9B45\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n"
ZEN3 = (
    "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n\n"
    "processor\t: 1\nmodel name\t: other\n"
)
SKYLAKE = "model name\t: Intel(R) Xeon(R) Gold 6148\nflags\t\t: fpu avx2 avx512f avx512bw\n"


@pytest.mark.parametrize(
    "text, expected, reason",
    [
        (SAPPHIRE_RAPIDS, "bfloat16", "AMX-BF16"),
        (ZEN5, "bfloat16", "AVX512-BF16"),
        (ZEN3, "float32", "no native bfloat16"),
        (SKYLAKE, "float32", "no native bfloat16"),  # AVX-512 without bf16: emulated, slower
        ("", "float32", "no native bfloat16"),  # nothing known: the safe choice
    ],
)
def test_cpu_decision(text, expected, reason):
    cpu = D.parse_cpuinfo(text, cores=2)
    assert D.choose_precision(cpu, []) == (expected, reason)
    assert D.resolve_precision("auto", cpu=cpu, gpu_list=[]) == expected
    for explicit in ("float32", "bfloat16"):  # explicit choices are never second-guessed
        assert D.resolve_precision(explicit, cpu=cpu, gpu_list=[]) == explicit


@pytest.mark.parametrize(
    "cc, expected",
    [((8, 0), "bfloat16"), ((9, 0), "bfloat16"), ((8, 6), "bfloat16"), ((7, 5), "float32"), ((6, 0), "float32"),
     (None, "float32")],
)
def test_gpu_decides_over_the_cpu(cc, expected):
    gpu = D.GPUInfo("Tesla T4" if cc == (7, 5) else "GPU", cc)
    for text in (SAPPHIRE_RAPIDS, ZEN3):  # the convolutions run on the GPU, whatever the CPU can do
        assert D.resolve_precision("auto", cpu=D.parse_cpuinfo(text), gpu_list=[gpu]) == expected


def test_parse_reads_the_first_processor_and_cpu_info_survives_no_proc(tmp_path):
    cpu = D.parse_cpuinfo(ZEN3, cores=2)
    assert (cpu.model, cpu.cores, "avx2" in cpu.flags, cpu.native_bf16) == ("AMD EPYC", 2, True, False)
    assert D.parse_cpuinfo(ZEN5).native_bf16 and D.parse_cpuinfo(SAPPHIRE_RAPIDS).native_bf16
    (tmp_path / "cpuinfo").write_text(SAPPHIRE_RAPIDS)
    assert D.cpu_info(str(tmp_path / "cpuinfo")).model == "Intel(R) Xeon(R) Platinum 8480+"
    missing = D.cpu_info(str(tmp_path / "absent"))  # macOS, Windows
    assert missing.model == "unknown" and missing.flags == frozenset() and missing.cores >= 1


def test_summary_is_one_line_naming_cpu_precision_and_gpu():
    zen3 = D.parse_cpuinfo(ZEN3, cores=2)
    assert D.summary(cpu=zen3, gpu_list=[]) == "CPU: AMD EPYC, 2 cores, float32 (no native bfloat16); no GPU"
    t4 = D.summary(cpu=zen3, gpu_list=[D.GPUInfo("Tesla T4", (7, 5))])
    assert t4 == "CPU: AMD EPYC, 2 cores; GPU: Tesla T4, float32 (GPU compute capability 7.5 < 8.0: no fast bfloat16)"
    assert "\n" not in D.summary()  # the real machine, whatever it is


def test_retracing_hint_filter_is_installed_once_and_only_hides_that_hint():
    import logging

    D.quiet_retracing_hint()
    D.quiet_retracing_hint()
    logger = logging.getLogger("tensorflow")
    assert sum(isinstance(f, D._QuietRetracing) for f in logger.filters) == 1
    retracing = "5 out of the last 5 calls triggered tf.function retracing"
    hint = logging.LogRecord("tensorflow", logging.WARNING, "", 0, retracing, None, None)
    other = logging.LogRecord("tensorflow", logging.WARNING, "", 0, "something else", None, None)
    assert not all(f.filter(hint) for f in logger.filters)
    assert all(f.filter(other) for f in logger.filters)
