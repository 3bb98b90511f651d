"""CI-sized runs of the paper reproductions Pipelines/reproduce/{gaussian-sensing,
bilinear-sensing,matrix-completion}.sh (--small): the records follow the sweep schema, the
outputs exist with the documented columns, flat recovers at the largest m (where the theory says
it should: r = 1, m well above r(d1+d2)), and least-norm (A⁺(b)) fits without recovering."""
import csv
import json
import os
import subprocess

from conftest import BIN, REPO, tool

# Pipelines/reproduce/lib/sweep.sh: the sweep's fields of every record, then evaluate's keys.
SWEEP_KEYS = {"sweep", "x", "trial", "label", "exit_status", "wall_seconds", "host", "solve_args", "instance",
              "error"}
EVALUATE_KEYS = {"d1", "d2", "m", "method", "rank", "converged", "relative_error", "recovered", "residual",
                 "scaled_trace", "flattest", "numerical_rank", "seconds"}
ROW_COLUMNS = {"trial", "label", "method", "exit_status", "success", "relative_error", "converged", "m", "d1",
               "d2", "rank", "numerical_rank", "residual", "scaled_trace", "flattest", "str_over_flattest",
               "seconds", "wall_seconds", "solve_args", "error"}
SUMMARY_COLUMNS = {"m", "label", "trials", "successes", "success_rate", "median_relative_error",
                   "max_relative_error", "not_converged", "failed", "median_seconds"}
METHODS = {"flat", "min-norm", "gd-small", "gd-large", "sam", "least-norm"}


def run_small(script, out):
    tool("solve-flat")  # skips when the tools are not built
    env = dict(os.environ, FLATMIN_BIN=str(BIN))
    result = subprocess.run([str(REPO / "Pipelines" / "reproduce" / script), "--small",
                             "--out", str(out), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    return result.stdout


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def check(out, name, x_name):
    records = [json.loads(line) for line in (out / f"{name}.jsonl").read_text().splitlines()]
    assert len(records) == 2 * len(METHODS)  # --small: 2 values, 1 trial
    for record in records:
        assert SWEEP_KEYS | EVALUATE_KEYS <= set(record), set(record)
        assert record["sweep"] == name and record["trial"] == 1 and record["exit_status"] in (0, 3)
        assert isinstance(record["x"], (int, float)) and record["error"] is None
        assert "| sample-measurements" in record["instance"]
    rows = read(out / f"{name}.csv")
    summary = read(out / f"{name}-summary.csv")
    assert (out / f"{name}.png").stat().st_size > 1000
    assert (out / f"{name}-table.md").read_text().startswith("Median relative error")
    assert ROW_COLUMNS | {x_name} <= set(rows[0])
    assert SUMMARY_COLUMNS | {x_name} <= set(summary[0])
    assert {r["label"] for r in rows} == METHODS
    xs = sorted({float(r[x_name]) for r in rows})
    assert len(xs) == 2 and len(rows) == 2 * len(METHODS)
    top = {r["label"]: r for r in rows if float(r[x_name]) == xs[-1]}
    assert top["flat"]["exit_status"] == "0"
    assert float(top["flat"]["relative_error"]) < 1e-6, top["flat"]
    assert top["flat"]["success"] == "True"
    assert float(top["least-norm"]["relative_error"]) > 0.1, top["least-norm"]
    assert top["least-norm"]["success"] == "False"
    assert float(top["least-norm"]["residual"]) < 1e-6     # it does fit the measurements
    # gd stops at --tol 1e-4: close to the truth, not exact recovery.
    assert 1e-6 < float(top["gd-small"]["relative_error"]) < 1e-2 and top["gd-small"]["success"] == "False"
    by_key = {(float(s[x_name]), s["label"]): s for s in summary}
    assert float(by_key[(xs[-1], "flat")]["success_rate"]) == 1.0
    assert float(by_key[(xs[-1], "least-norm")]["success_rate"]) == 0.0


def test_gaussian_sensing_small(tmp_path):
    stdout = run_small("gaussian-sensing.sh", tmp_path)
    assert "flat" in stdout and "least-norm" in stdout and "med_rel_err" in stdout
    check(tmp_path, "gaussian-sensing", "ratio")


def test_bilinear_sensing_small(tmp_path):
    run_small("bilinear-sensing.sh", tmp_path)
    check(tmp_path, "bilinear-sensing", "ratio")


def test_matrix_completion_small(tmp_path):
    stdout = run_small("matrix-completion.sh", tmp_path)
    assert "matrix-completion-uneven" in stdout
    check(tmp_path, "matrix-completion", "p")
    check(tmp_path, "matrix-completion-uneven", "p")
    # The uneven sweep's instances went through the stage in Pipelines/stages/.
    record = json.loads((tmp_path / "matrix-completion-uneven.jsonl").read_text().splitlines()[0])
    assert "Pipelines/stages/uneven_sampling.py --low 0.25" in record["instance"]
