"""Pipelines/reproduce/lib/aggregate.py on records written here, whose rates are known: the
success rule (relative error ≤ 1e-6, an answer required), the record schema it reads, the
tables it writes, the phase-transition fit, and one-line errors on bad input."""
import csv
import importlib.util
import json
import math
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

AGGREGATE = REPO / "Pipelines" / "reproduce" / "lib" / "aggregate.py"
spec = importlib.util.spec_from_file_location("aggregate", AGGREGATE)
aggregate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(aggregate)

needs_gnuplot = pytest.mark.skipif(shutil.which("gnuplot") is None, reason="gnuplot is not installed")


def record(x, trial, label, error, status=0, **extra):
    """A record as Pipelines/reproduce/lib/sweep.sh writes it (evaluate's keys absent when no answer)."""
    r = {"sweep": "known", "x": x, "trial": trial, "label": label, "exit_status": status, "wall_seconds": 0.5,
         "host": "test", "solve_args": f"--method {label}", "instance": "generate-ground-truth …", "error": None}
    if error is not None:
        r.update({"d1": 10, "d2": 10, "m": 4 * x, "relative_error": error, "recovered": error <= 1e-6,
                  "converged": status == 0, "scaled_trace": 2.0, "flattest": 2.0, "numerical_rank": 2,
                  "seconds": 0.25})
    else:
        r["error"] = "solve-flat: diverged"
    r.update(extra)
    return r


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(*args):
    return subprocess.run([sys.executable, str(AGGREGATE), *map(str, args)], capture_output=True, text=True)


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_success_is_a_relative_error_of_at_most_1e_6():
    assert aggregate.SUCCESS_TOL == 1e-6
    assert aggregate.is_success(record(1, 1, "a", 1e-6))                  # the boundary counts
    assert aggregate.is_success(record(1, 1, "a", 3e-15))
    assert not aggregate.is_success(record(1, 1, "a", 1.0000001e-6))
    assert not aggregate.is_success(record(1, 1, "a", 2e-4))               # a gradient method's stop
    assert aggregate.is_success(record(1, 1, "a", 1e-9, status=3))         # not certified, still the truth
    assert not aggregate.is_success(record(1, 1, "a", None, status=1))     # no answer, no success
    assert not aggregate.is_success(record(1, 1, "a", math.nan))
    assert aggregate.is_failed(record(1, 1, "a", None, status=124))
    assert not aggregate.is_failed(record(1, 1, "a", 0.5, status=3))


# x = 1: a succeeds in 2 of 3 (one at exactly 1e-6), b in 0 of 3 (one failed, one exit 3).
# x = 2: a in 3 of 3 (one exit 3), b in 1 of 3.
KNOWN = [record(1, 1, "a", 1e-10), record(1, 2, "a", 1e-6), record(1, 3, "a", 0.3),
         record(1, 1, "b", 2e-4), record(1, 2, "b", None, status=1), record(1, 3, "b", 0.7, status=3),
         record(2, 1, "a", 1e-12), record(2, 2, "a", 4e-13, status=3), record(2, 3, "a", 1e-11),
         record(2, 1, "b", 5e-7), record(2, 2, "b", 2e-6), record(2, 3, "b", 0.9)]


@needs_gnuplot
def test_known_records_give_known_rates(tmp_path):
    result = run(write(tmp_path / "known.jsonl", KNOWN), "--x-name", "ratio", "--labels", "b,a")
    assert result.returncode == 0, result.stderr
    assert "med_rel_err" in result.stdout and "1 of 12 solves gave no answer" in result.stdout

    summary = {(float(s["ratio"]), s["label"]): s for s in read(tmp_path / "known-summary.csv")}
    expected = {(1, "a"): (2, 3, 0, 0), (1, "b"): (0, 3, 1, 1), (2, "a"): (3, 3, 1, 0), (2, "b"): (1, 3, 0, 0)}
    for key, (successes, trials, not_converged, failed) in expected.items():
        s = summary[key]
        assert (int(s["successes"]), int(s["trials"])) == (successes, trials), key
        assert float(s["success_rate"]) == pytest.approx(successes / trials)
        assert (int(s["not_converged"]), int(s["failed"])) == (not_converged, failed), key
    # Medians and maxima over the answers there are (the failed solve has none).
    assert float(summary[(1, "a")]["median_relative_error"]) == 1e-6
    assert float(summary[(1, "b")]["median_relative_error"]) == pytest.approx((2e-4 + 0.7) / 2)
    assert float(summary[(2, "b")]["max_relative_error"]) == 0.9
    assert float(summary[(1, "a")]["median_str_over_flattest"]) == 1.0
    assert summary[(1, "a")]["m"] == "4"

    rows = read(tmp_path / "known.csv")
    assert [r["label"] for r in rows[:6]] == ["b"] * 3 + ["a"] * 3     # --labels order, then trials
    assert [r["success"] for r in rows if r["ratio"] == "1" and r["label"] == "a"] == ["True", "True", "False"]
    failed = next(r for r in rows if r["exit_status"] == "1")
    assert failed["relative_error"] == "" and failed["success"] == "False" and failed["error"] == "solve-flat: diverged"
    assert "outlier_precision" not in rows[0]                         # measured by no record

    table = (tmp_path / "known-table.md").read_text()
    assert "| ratio | b | a |" in table
    assert "| 1 | 0.35 (0/3) | 1e-6 (2/3) |" in table
    assert "| 2 | 2e-6 (1/3) | 1e-12 (3/3) |" in table
    assert (tmp_path / "known.png").read_bytes()[:4] == b"\x89PNG"


@needs_gnuplot
def test_groups_and_error_per_x(tmp_path):
    records = [{**r, "group": "psd"} for r in KNOWN] + [{**r, "group": "signed", "relative_error": 0.5}
                                                        for r in KNOWN if "relative_error" in r]
    result = run(write(tmp_path / "g.jsonl", records), "--group-name", "model", "--x-name", "sigma", "--per-x")
    assert result.returncode == 0, result.stderr
    summary = read(tmp_path / "g-summary.csv")
    assert {s["model"] for s in summary} == {"psd", "signed"}
    signed = {(s["sigma"], s["label"]): s for s in summary if s["model"] == "signed"}
    assert float(signed[("2", "a")]["success_rate"]) == 0.0
    assert float(signed[("2", "a")]["median_error_over_x"]) == 0.25
    assert "| model | sigma | a | b |" in (tmp_path / "g-table.md").read_text()


@needs_gnuplot
def test_phase_grid_and_fit(tmp_path):
    # r = 1 crosses 1/2 halfway between m = 10 (rate 0) and 20 (rate 1): m50 = 15;
    # r = 2 between 20 (rate 1/4) and 30 (rate 3/4): m50 = 25. d1 + d2 = 20, so
    # C = (20·15 + 40·25)/(20² + 40²) = 0.65.
    rates = {(1, 10): 0, (1, 20): 4, (1, 30): 4, (2, 10): 0, (2, 20): 1, (2, 30): 3}
    records = [record(m, t, "flat", 1e-12 if t <= k else 0.5, group=r)
               for (r, m), k in rates.items() for t in range(1, 5)]
    result = run(write(tmp_path / "pt.jsonl", records), "--figure", "phase", "--group-name", "r", "--x-name", "m")
    assert result.returncode == 0, result.stderr
    fit = (tmp_path / "pt-fit.txt").read_text().splitlines()
    assert fit[0].startswith("C = 0.6500")
    assert fit[1].startswith("r = 1: m50 = 15.0") and fit[2].startswith("r = 2: m50 = 25.0")
    table = (tmp_path / "pt-table.md").read_text()
    assert "| r \\ m | 10 | 20 | 30 |" in table and "| **2** | 0 | 0.25 | 0.75 |" in table
    assert "C = 0.650" in result.stdout


def test_bad_input_is_one_line(tmp_path):
    cases = {"not json": "{\"x\": 1, \"trial\": 1, \"label\": \"a\", \"exit_status\": 0}\n{oops\n",
             "missing key": json.dumps({"x": 1, "trial": 1, "exit_status": 0}) + "\n",
             "empty": ""}
    for name, text in cases.items():
        path = tmp_path / f"{name.replace(' ', '-')}.jsonl"
        path.write_text(text)
        result = run(path)
        assert result.returncode == 1, name
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("aggregate.py: "), result.stderr
    assert ":2: not JSON" in run(tmp_path / "not-json.jsonl").stderr
    assert "lacks label" in run(tmp_path / "missing-key.jsonl").stderr
    assert "cannot read" in run(tmp_path / "absent.jsonl").stderr
    assert "numeric groups" in run(write(tmp_path / "ungrouped.jsonl", KNOWN), "--figure", "phase").stderr
