"""CI-sized runs of Pipelines/reproduce/phase-transition.sh (--small) and archive.sh, in a tmpdir."""
import csv
import json
import os
import subprocess

import pytest

from conftest import BIN, REPO, frames_of, run, tool

REPRODUCE = REPO / "Pipelines" / "reproduce"


def script(name, *args, timeout=600):
    tool("solve-flat")  # skips when the tools are not built
    env = {**os.environ, "FLATMIN_BIN": str(BIN)}
    result = subprocess.run([str(REPRODUCE / name), *args], env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{name} failed ({result.returncode}): {result.stderr}"
    return result


def test_phase_transition_small(tmp_path):
    out = tmp_path / "pt"
    result = script("phase-transition.sh", "--small", "--out", str(out), "--jobs", "2")
    assert "C = " in result.stdout

    with open(out / "phase-transition.csv") as file:
        rows = list(csv.DictReader(file))
    for column in ("r", "m", "trial", "label", "relative_error", "success", "seconds", "wall_seconds", "converged"):
        assert column in rows[0]
    assert len(rows) == 2 * 4 * 1  # r ∈ {1, 2}, m ∈ {16, 32, 48, 64}, 1 trial
    assert {(int(row["m"]), int(row["r"])) for row in rows} == {(m, r) for m in (16, 32, 48, 64) for r in (1, 2)}
    for row in rows:
        error = float(row["relative_error"])
        assert error >= 0
        assert (row["success"] == "True") == (error <= 1e-6)

    with open(out / "phase-transition-summary.csv") as file:
        grid = list(csv.DictReader(file))
    assert len(grid) == 8
    for cell in grid:
        rate = float(cell["success_rate"])
        assert 0 <= rate <= 1
        assert rate == int(cell["successes"]) / int(cell["trials"])
    # The full measurement count d² = 64 always recovers; m = 16 < r(d1+d2−r) never can.
    rates = {(int(c["m"]), int(c["r"])): float(c["success_rate"]) for c in grid}
    assert rates[(64, 1)] == 1 and rates[(64, 2)] == 1
    assert rates[(16, 2)] == 0

    png = out / "phase-transition.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert (out / "phase-transition-fit.txt").read_text().startswith("C = ")
    assert "| r \\ m | 16 | 32 | 48 | 64 |" in (out / "phase-transition-table.md").read_text()
    records = [json.loads(line) for line in (out / "phase-transition.jsonl").read_text().splitlines()]
    assert len(records) == 8 and {record["group"] for record in records} == {1, 2}


def test_archive(tmp_path):
    out = tmp_path / "archive"
    result = script("archive.sh", "--small", "--out", str(out))
    assert "byte-identical to instance.frames" in result.stdout
    for name in ("instance.frames", "solved.frames", "rerun-min-norm.frames", "flat.json", "rerun-min-norm.json"):
        assert (out / name).stat().st_size > 0
    assert "solved.frames" in result.stdout and "du -b" in result.stdout

    instance, solved, rerun = (frames_of((out / f"{n}.frames").read_bytes())
                               for n in ("instance", "solved", "rerun-min-norm"))
    assert "estimate" not in instance and "estimate" in solved
    assert solved["estimate"].attributes["method"] == "flat"
    assert rerun["estimate"].attributes["method"] == "min-norm"
    # The rerun was fed the archived instance, verbatim.
    dropped = run([tool("frames"), "drop", "estimate*"], input=(out / "solved.frames").read_bytes()).stdout
    assert dropped == (out / "instance.frames").read_bytes()
    for name in ("flat", "rerun-min-norm"):
        report = json.loads((out / f"{name}.json").read_text())
        assert report["recovered"] is True, report
