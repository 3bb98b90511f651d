"""A tiny run of Pipelines/bench/stream-kernels.sh: it compiles the solver's kernels with its own
harness, so a change to either that breaks the benchmark shows here, not at the next rerun."""
import re
import subprocess

from conftest import REPO


def test_stream_kernels_benchmark_runs_and_reports_every_ratio():
    result = subprocess.run([str(REPO / "Pipelines" / "bench" / "stream-kernels.sh"), "64", "4", "3"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "matrix 64 x 16" in result.stdout
    ratios = re.findall(r"([0-9.]+)x", result.stdout)
    assert len(ratios) == 6, result.stdout
    assert all(float(ratio) > 0 for ratio in ratios)
