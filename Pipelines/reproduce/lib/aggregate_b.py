#!/usr/bin/env python3
"""Aggregates a sweep of Pipelines/reproduce/lib/sweep-lib-b.sh (one JSON line per trial).

Writes OUT/NAME.csv (one row per trial), OUT/NAME-summary.csv (one row per model × swept value ×
method label: trials, median relative error, recovery rate, median str/flattest, outlier
precision/recall, non-converged and failed counts, median seconds), OUT/NAME.png (gnuplot: median
relative error against the swept value, one line per method, log scale, one panel per model) and
prints the summary as an aligned table on stdout. Standard library only.
"""
import argparse
import csv
import json
import math
import pathlib
import statistics
import subprocess
import sys

TRIAL_COLUMNS = ["model", "sweep", "trial", "label", "method", "exit_status", "converged", "recovered",
                 "relative_error", "residual", "scaled_trace", "flattest", "numerical_rank", "rank",
                 "outlier_precision", "outlier_recall", "balancedness", "norm_minimality",
                 "data_fit", "iterations", "seconds", "d1", "d2", "m", "solve_args"]


def number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--name", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--jsonl", required=True)
    p.add_argument("--sweep-name", default="sweep", help="CSV column name of the swept quantity")
    p.add_argument("--xlabel", default=None)
    p.add_argument("--logx", action="store_true")
    p.add_argument("--title", default="")
    p.add_argument("--wall", default="")
    p.add_argument("--labels", default="", help="comma-separated method labels in display order")
    p.add_argument("--outliers", action="store_true", help="summarize outlier precision/recall")
    p.add_argument("--per-sweep", action="store_true",
                   help="also summarize median relative_error / swept value (error per unit of noise)")
    p.add_argument("--trace", action="store_true", help="summarize the scaled trace itself")
    p.add_argument("--recovery-tol", type=float, default=None,
                   help="recovered = relative_error <= tol (default: evaluate's own recovered)")
    a = p.parse_args()
    out = pathlib.Path(a.out)
    rows = [json.loads(line) for line in open(a.jsonl) if line.strip()]
    if not rows:
        sys.exit(f"{a.name}: no trials in {a.jsonl}")
    labels = [x for x in a.labels.split(",") if x] if a.labels else []
    labels += [x for x in dict.fromkeys(r["label"] for r in rows) if x not in labels]
    models = list(dict.fromkeys(r["model"] for r in rows))

    with open(out / f"{a.name}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([a.sweep_name if c == "sweep" else c for c in TRIAL_COLUMNS])
        for r in rows:
            w.writerow([fmt(r.get(c)) if not isinstance(r.get(c), float) else repr(r.get(c)) for c in TRIAL_COLUMNS])

    def recovered(r):
        e = number(r.get("relative_error"))
        if e is None:
            return False
        return e <= a.recovery_tol if a.recovery_tol is not None else bool(r.get("recovered"))

    groups = {}
    for r in rows:
        groups.setdefault((r["model"], r["sweep"], r["label"]), []).append(r)
    summary = []
    for model in models:
        xs = sorted({k[1] for k in groups if k[0] == model}, key=lambda x: (isinstance(x, str), x))
        for x in xs:
            for label in labels:
                g = groups.get((model, x, label))
                if not g:
                    continue
                ratio = [number(r.get("scaled_trace")) / r["flattest"] if number(r.get("scaled_trace")) is not None
                         and number(r.get("flattest")) else None for r in g]
                s = {"model": model, a.sweep_name: x, "label": label, "trials": len(g),
                     "median_relative_error": median(number(r.get("relative_error")) for r in g),
                     "recovery_rate": sum(recovered(r) for r in g) / len(g),
                     "median_str_over_flattest": median(ratio)}
                if a.per_sweep:
                    s["median_error_over_sweep"] = median(number(r.get("relative_error")) / x
                                                          if number(r.get("relative_error")) is not None and x
                                                          else None for r in g)
                if a.trace:
                    s["median_scaled_trace"] = median(number(r.get("scaled_trace")) for r in g)
                    s["median_flattest"] = median(number(r.get("flattest")) for r in g)
                if a.outliers:
                    s["median_outlier_precision"] = median(number(r.get("outlier_precision")) for r in g)
                    s["median_outlier_recall"] = median(number(r.get("outlier_recall")) for r in g)
                s["not_converged"] = sum(r.get("exit_status") == 3 for r in g)
                s["failed"] = sum(r.get("exit_status") not in (0, 3) or number(r.get("relative_error")) is None
                                  for r in g)
                s["median_seconds"] = median(number(r.get("seconds")) for r in g)
                summary.append(s)
    columns = list(summary[0].keys())
    with open(out / f"{a.name}-summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for s in summary:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in s.items()})

    # The table on stdout.
    short = {"median_relative_error": "med_rel_err", "recovery_rate": "recovered",
             "median_str_over_flattest": "str/flattest", "median_outlier_precision": "out_prec",
             "median_outlier_recall": "out_rec", "not_converged": "not_conv", "median_seconds": "med_s",
             "median_scaled_trace": "str", "median_flattest": "flattest", "median_error_over_sweep": "err/sweep"}
    head = [short.get(c, c) for c in columns]
    cells = [[fmt(s[c]) for c in columns] for s in summary]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(wd) for h, wd in zip(head, widths)))
    for row in cells:
        print("  ".join(c.ljust(wd) for c, wd in zip(row, widths)))

    # The figure: median relative error vs the swept value, one panel per model.
    floor = 1e-12
    files = []
    for i, model in enumerate(models):
        for j, label in enumerate(labels):
            path = out / f".{a.name}-plot-{i}-{j}.dat"
            points = [(s[a.sweep_name], max(s["median_relative_error"], floor)) for s in summary
                      if s["model"] == model and s["label"] == label and s["median_relative_error"] is not None]
            path.write_text("".join(f"{x} {y:.6e}\n" for x, y in points))
            files.append((i, j, label, path, bool(points)))
    script = [f"set terminal pngcairo size {560 * len(models) + 80},480 font 'sans,10'",
              f"set output '{out / (a.name + '.png')}'",
              f"set multiplot layout 1,{len(models)} title \"{a.title}\"" if len(models) > 1 else "",
              "set logscale y", "set format y '10^{%L}'", f"set yrange [{floor / 2}:100]",
              f"set xlabel \"{a.xlabel or a.sweep_name}\"", "set ylabel 'median relative error of X̂'",
              "set key outside bottom center horizontal", "set grid"]
    if a.logx:
        script.append("set logscale x")
    for i, model in enumerate(models):
        title = a.title if len(models) == 1 else model
        plots = [f"'{path}' using 1:2 with linespoints lw 2 pt {j + 4} title '{label}'"
                 for (mi, j, label, path, nonempty) in files if mi == i and nonempty]
        script.append(f"set title \"{title}\"")
        if plots:
            script.append("plot " + ", ".join(plots))
    if len(models) > 1:
        script.append("unset multiplot")
    result = subprocess.run(["gnuplot"], input="\n".join(script), text=True, capture_output=True)
    if result.returncode != 0:
        print(f"{a.name}: gnuplot failed: {result.stderr}", file=sys.stderr)
    for (_, _, _, path, _) in files:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
