"""Aggregates the raw lines of Pipelines/reproduce/lib/sweep-lib-a.sh into the results.

stdin: one line per (x, trial, method): x, trial, method label, solve-flat's exit status, wall
seconds, its error message (when it failed) and evaluate's JSON object (or null when the solver
failed), tab-separated.
Writes OUT/NAME.csv (one row per (x, method, trial)), OUT/NAME-summary.csv (per (x, method):
trials, success rate, median relative error, ...), OUT/NAME.png (gnuplot: median relative error
on a log scale and success rate against x, one line per method) and prints the summary as a
table (markdown with --markdown FILE as well). Success is relative_error <= --success-tol
(default 1e-3: the gradient methods stop at --tol 1e-4, so evaluate's exact `recovered`,
at 1e-6, is out of their reach; it is kept as its own column).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np

ROW_KEYS = ["m", "d1", "d2", "truth_rank", "rank", "exit_status", "converged", "relative_error",
            "recovered", "success", "numerical_rank", "residual", "scaled_trace", "flattest",
            "str_ratio", "balancedness", "norm_minimality", "iterations", "passes", "seconds",
            "wall_seconds", "error"]


def number(value):
    return float("nan") if value is None else float(value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--x-name", default="x", help="column name of the swept value")
    parser.add_argument("--x-label", default=None, help="axis label of the figure")
    parser.add_argument("--title", default="")
    parser.add_argument("--methods", default="", help="comma-separated order of the methods")
    parser.add_argument("--success-tol", type=float, default=1e-3)
    parser.add_argument("--threshold", type=float, default=None,
                        help="x of the theory's threshold, drawn as a vertical line")
    parser.add_argument("--markdown", default=None)
    args = parser.parse_args()

    rows = []
    for line in sys.stdin:
        if not line.strip():
            continue
        x, trial, method, status, wall, error, payload = line.rstrip("\n").split("\t", 6)
        report = json.loads(payload) if payload.strip() not in ("", "null") else {}
        row = {args.x_name: float(x), "trial": int(trial), "method": method,
               "exit_status": int(status), "wall_seconds": float(wall), "error": error}
        for key in ROW_KEYS:
            if key not in row:
                row[key] = report.get(key)
        error = report.get("relative_error")
        row["success"] = bool(error is not None and error <= args.success_tol)
        if report.get("scaled_trace") is not None and report.get("flattest"):
            row["str_ratio"] = report["scaled_trace"] / report["flattest"]
        rows.append(row)
    if not rows:
        sys.exit(f"{args.name}: no results")

    # A failed solve has no report: take the instance's keys from another method's row.
    for r in rows:
        if r["m"] is None:
            twin = next((o for o in rows if o[args.x_name] == r[args.x_name] and o["trial"] == r["trial"]
                         and o["m"] is not None), None)
            if twin:
                for key in ("m", "d1", "d2", "truth_rank"):
                    r[key] = twin[key]
    order = [m for m in args.methods.split(",") if m] or sorted({r["method"] for r in rows})
    order = [m for m in order if any(r["method"] == m for r in rows)]
    xs = sorted({r[args.x_name] for r in rows})
    rows.sort(key=lambda r: (r[args.x_name], order.index(r["method"]), r["trial"]))

    os.makedirs(args.out, exist_ok=True)
    columns = [args.x_name, "method", "trial"] + ROW_KEYS
    with open(os.path.join(args.out, f"{args.name}.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r[c] is None else r[c] for c in columns])

    summary = []
    for x in xs:
        for method in order:
            group = [r for r in rows if r[args.x_name] == x and r["method"] == method]
            if not group:
                continue
            errors = np.array([number(r["relative_error"]) for r in group])
            finite = errors[np.isfinite(errors)]
            summary.append({
                args.x_name: x, "m": int(np.median([r["m"] for r in group if r["m"] is not None] or [0])),
                "method": method, "trials": len(group),
                "success_rate": sum(r["success"] for r in group) / len(group),
                "median_relative_error": float(np.median(finite)) if finite.size else float("nan"),
                "max_relative_error": float(np.max(finite)) if finite.size else float("nan"),
                "median_str_ratio": float(np.nanmedian([number(r["str_ratio"]) for r in group]))
                if any(r["str_ratio"] is not None for r in group) else float("nan"),
                "median_numerical_rank": float(np.nanmedian([number(r["numerical_rank"]) for r in group]))
                if any(r["numerical_rank"] is not None for r in group) else float("nan"),
                "not_converged": sum(r["exit_status"] == 3 for r in group),
                "failed": sum(r["exit_status"] not in (0, 3) for r in group),
                "median_seconds": float(np.median([r["wall_seconds"] for r in group])),
            })
    summary_columns = list(summary[0].keys())
    with open(os.path.join(args.out, f"{args.name}-summary.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=summary_columns)
        writer.writeheader()
        writer.writerows(summary)

    # The table: one line per (x, method).
    def fmt(value, kind):
        if isinstance(value, float) and math.isnan(value):
            return "–"
        spec = {"e": ".1e", "f": "g", "p": ".0%", "r": ".3f", "s": ".2f", "d": ""}[kind]
        return format(value, spec)
    head = [args.x_name, "m", "method", "success", "median rel. error", "max rel. error",
            "str / flattest", "rank", "not conv.", "failed", "median s"]
    kinds = ["f", "d", "d", "p", "e", "e", "r", "f", "d", "d", "s"]
    keys = [args.x_name, "m", "method", "success_rate", "median_relative_error", "max_relative_error",
            "median_str_ratio", "median_numerical_rank", "not_converged", "failed", "median_seconds"]
    table = [[fmt(s[k], kind) for k, kind in zip(keys, kinds)] for s in summary]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths)))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("| " + " | ".join(head) + " |\n")
            f.write("|" + "|".join("---" for _ in head) + "|\n")
            for t in table:
                f.write("| " + " | ".join(t) + " |\n")

    # The figure: gnuplot reads a wide table, x then (error, success) per method.
    data = os.path.join(args.out, f".{args.name}-plot.dat")
    with open(data, "w") as f:
        f.write("# x " + " ".join(f"{m}:err {m}:success" for m in order) + "\n")
        for x in xs:
            cells = [f"{x:g}"]
            for method in order:
                s = next((s for s in summary if s[args.x_name] == x and s["method"] == method), None)
                err = s["median_relative_error"] if s else float("nan")
                cells += ["NaN" if not math.isfinite(err) else f"{max(err, 1e-14):.6e}",
                          f"{s['success_rate']:.4f}" if s else "NaN"]
            f.write(" ".join(cells) + "\n")
    xlabel = args.x_label or args.x_name
    png = os.path.join(args.out, f"{args.name}.png")
    threshold = ""
    if args.threshold is not None:
        threshold = (f"set arrow from {args.threshold}, graph 0 to {args.threshold}, graph 1 "
                     "nohead dt 2 lc rgb 'gray40'\n")
    plots_err = ", ".join(f"'{data}' using 1:{2 + 2 * i} with linespoints lw 2 pt {5 + i} title '{m}'"
                          for i, m in enumerate(order))
    plots_ok = ", ".join(f"'{data}' using 1:{3 + 2 * i} with linespoints lw 2 pt {5 + i} title '{m}'"
                         for i, m in enumerate(order))
    script = f"""
set terminal pngcairo size 1200,480 font ',11'
set output '{png}'
set multiplot layout 1,2 title '{args.title}'
set grid
set key off
set xlabel '{xlabel}'
{threshold}set logscale y
set format y '10^{{%T}}'
set ylabel 'median relative error ||X-M||_F/||M||_F'
set yrange [1e-13:100]
plot {plots_err}
unset logscale y
set format y '%g'
set ylabel 'success rate (rel. error <= {args.success_tol:g})'
set yrange [-0.05:1.05]
set key outside right top
plot {plots_ok}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    os.remove(data)


if __name__ == "__main__":
    main()
