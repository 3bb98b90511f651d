#!/usr/bin/env python3
"""Tables and figures from the records of Pipelines/reproduce/lib/sweep.sh.

    aggregate.py RECORDS.jsonl [--out DIR] [--labels a,b,…] [--x-name NAME] [--group-name NAME]
                 [--xlabel TEXT] [--title TEXT] [--logx] [--threshold X] [--per-x]
                 [--figure lines|phase]

RECORDS.jsonl holds one JSON object per solve (the schema is in sweep.sh: sweep, group, x,
trial, label, exit_status, wall_seconds, host, solve_args, instance, error, then evaluate's
keys). With NAME the file's name without .jsonl, it writes to DIR (default: the file's folder)
  NAME.csv          one row per solve: the sweep's fields, `success` and evaluate's scalar keys
  NAME-summary.csv  one row per (group, x, label): trials, successes, success_rate, median and
                    max relative error, median str/flattest, numerical rank, scaled trace and
                    flattest value (outlier precision/recall when measured, error/x with
                    --per-x), not-converged and failed counts, median solver and wall seconds
  NAME-table.md     Markdown: the median relative error (successes/trials) per x and label (with
                    --figure phase: the success rate per group and x), then the summary
  NAME.png          gnuplot. lines: per group, the median relative error (log scale) and the
                    success rate against x, one line per label. phase: a heatmap of the success
                    rate over x (m) and group (r) with m = C·r·(d1 + d2) fitted to the 50%
                    crossings (written to NAME-fit.txt) and the degrees of freedom r(d1 + d2 − r)
and prints the summary table on stdout.
"""
import argparse
import csv
import json
import math
import pathlib
import statistics
import subprocess
import sys
import tempfile

# Success, the one definition for every sweep: relative error ‖X̂ − M♮‖_F/‖M♮‖_F ≤ 1e-6 (the
# threshold of evaluate's `recovered`), whatever the exit status. The claims under test are
# exact recovery, and the two outcomes are far apart: a recovered truth comes back to ~1e-9 or
# better, while the answers that are not the truth — optima of the flat program below the
# transition, gradient methods stopped at --tol 1e-4 — sit at ~1e-5 and above, save the odd
# uncertified solve stopped on its way (exit 3). A looser threshold such as 1e-3 would count a
# gradient method that has only approached the truth, or a min-norm optimum 3e-4 away from it,
# as exact recovery; how close they come is the median relative error, reported next to the rate.
SUCCESS_TOL = 1e-6

REQUIRED = ("x", "trial", "label", "exit_status")
# Per-solve columns after the swept ones; the optional ones are left out when no record has them.
TRIAL_COLUMNS = ["trial", "label", "exit_status", "success", "relative_error", "converged", "method", "rank",
                 "numerical_rank", "residual", "scaled_trace", "flattest", "str_over_flattest", "lower_bound",
                 "balancedness", "norm_minimality", "outlier_precision", "outlier_recall", "holdout_error",
                 "sharpness", "iterations", "passes", "seconds", "wall_seconds", "operator", "d1", "d2", "m",
                 "truth_rank", "data_fit", "host", "solve_args", "error"]
OPTIONAL = {"outlier_precision", "outlier_recall", "holdout_error", "sharpness", "lower_bound"}
FLOOR = 1e-14  # log-scale plots: an exact zero error is drawn here


class Bad(Exception):
    """Bad input: reported as one line on stderr."""


def number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def is_success(record):
    """The success rule: a finite relative error ≤ SUCCESS_TOL (no answer is no success)."""
    error = number(record.get("relative_error"))
    return error is not None and error <= SUCCESS_TOL


def is_failed(record):
    """No answer to judge: the solver failed (status other than 0 and 3) or evaluate reported nothing."""
    return record["exit_status"] not in (0, 3) or number(record.get("relative_error")) is None


def str_ratio(record):
    trace, flattest = number(record.get("scaled_trace")), number(record.get("flattest"))
    return trace / flattest if trace is not None and flattest else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def load(path):
    try:
        lines = pathlib.Path(path).read_text().splitlines()
    except OSError as error:
        raise Bad(f"cannot read {path}: {error.strerror}")
    records = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise Bad(f"{path}:{lineno}: not JSON ({error.msg})")
        if not isinstance(record, dict):
            raise Bad(f"{path}:{lineno}: not a JSON object")
        missing = [key for key in REQUIRED if key not in record]
        if missing:
            raise Bad(f"{path}:{lineno}: the record lacks {', '.join(missing)} (not a sweep.sh record?)")
        for key in ("exit_status", "trial"):
            if not isinstance(record[key], int) or isinstance(record[key], bool):
                raise Bad(f"{path}:{lineno}: {key} must be an integer, not {record[key]!r}")
        records.append(record)
    if not records:
        raise Bad(f"{path}: no records")
    return records


def ordered(values):
    """Numbers ascending; anything else in order of first appearance."""
    values = list(dict.fromkeys(values))
    if all(number(v) is not None for v in values):
        return sorted(values)
    return values


def summarize(records, labels=(), per_x=False):
    """One dict per (group, x, label), in group, x, label order."""
    labels = list(dict.fromkeys([*labels, *(r["label"] for r in records)]))
    groups = ordered(r.get("group") for r in records)
    outliers = any(number(r.get("outlier_precision")) is not None for r in records)
    cells = {}
    for r in records:
        cells.setdefault((r.get("group"), r["x"], r["label"]), []).append(r)
    summary = []
    for group in groups:
        for x in ordered(r["x"] for r in records if r.get("group") == group):
            for label in labels:
                trials = cells.get((group, x, label))
                if not trials:
                    continue
                errors = [number(r.get("relative_error")) for r in trials]
                finite = [e for e in errors if e is not None]
                s = {"group": group, "x": x, "label": label,
                     "m": median(number(r.get("m")) for r in trials),
                     "trials": len(trials),
                     "successes": sum(is_success(r) for r in trials),
                     "success_rate": sum(is_success(r) for r in trials) / len(trials),
                     "median_relative_error": median(finite),
                     "max_relative_error": max(finite) if finite else None,
                     "median_str_over_flattest": median(str_ratio(r) for r in trials),
                     "median_numerical_rank": median(number(r.get("numerical_rank")) for r in trials),
                     "median_scaled_trace": median(number(r.get("scaled_trace")) for r in trials),
                     "median_flattest": median(number(r.get("flattest")) for r in trials)}
                if outliers:
                    s["median_outlier_precision"] = median(number(r.get("outlier_precision")) for r in trials)
                    s["median_outlier_recall"] = median(number(r.get("outlier_recall")) for r in trials)
                if per_x:
                    s["median_error_over_x"] = (median(e / x for e in finite) if number(x) else None)
                s["not_converged"] = sum(r["exit_status"] == 3 for r in trials)
                s["failed"] = sum(is_failed(r) for r in trials)
                s["median_seconds"] = median(number(r.get("seconds")) for r in trials)
                s["median_wall_seconds"] = median(number(r.get("wall_seconds")) for r in trials)
                summary.append(s)
    return summary


def short(value):
    """Two significant digits, exponents without padding (4.1e-15, 0.00032, 9.1e-8)."""
    if value is None:
        return "–"
    text = format(value, ".2g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(c)) for c in columns])


def aligned(head, cells):
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def markdown(head, cells):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells])


def summary_table(summary, names, per_x):
    """The summary as (head, cells) for stdout and Markdown."""
    grouped = any(s["group"] is not None for s in summary)
    columns = ([("group", names["group"], str)] if grouped else []) + [
        ("x", names["x"], lambda v: format(v, "g") if number(v) is not None else str(v)),
        ("label", "label", str), ("trials", "trials", str),
        ("success_rate", "success", lambda v: f"{v:.0%}"),
        ("median_relative_error", "med_rel_err", short), ("max_relative_error", "max_rel_err", short),
        ("median_str_over_flattest", "str/flattest", lambda v: "–" if v is None else f"{v:.3f}"),
        ("median_numerical_rank", "rank", lambda v: "–" if v is None else format(v, "g"))]
    if "median_outlier_precision" in summary[0]:
        columns += [("median_outlier_precision", "out_prec", short), ("median_outlier_recall", "out_rec", short)]
    if per_x:
        columns += [("median_error_over_x", "err/x", short)]
    columns += [("not_converged", "not_conv", str), ("failed", "failed", str),
                ("median_seconds", "med_s", lambda v: "–" if v is None else f"{v:.3g}")]
    head = [title for _, title, _ in columns]
    cells = [[show(s[key]) for key, _, show in columns] for s in summary]
    return head, cells


def error_pivot(summary, labels, names):
    """Median relative error (successes/trials): a row per (group, x), a column per label."""
    grouped = any(s["group"] is not None for s in summary)
    labels = [l for l in labels if any(s["label"] == l for s in summary)]
    head = ([names["group"]] if grouped else []) + [names["x"]] + labels
    rows = list(dict.fromkeys((s["group"], s["x"]) for s in summary))
    at = {(s["group"], s["x"], s["label"]): s for s in summary}
    cells = []
    for group, x in rows:
        row = ([str(group)] if grouped else []) + [format(x, "g") if number(x) is not None else str(x)]
        for label in labels:
            s = at.get((group, x, label))
            if s is None:
                row.append("")
            else:
                value = "failed" if s["median_relative_error"] is None else short(s["median_relative_error"])
                row.append(f"{value} ({s['successes']}/{s['trials']})")
        cells.append(row)
    return head, cells


def m50(points):
    """Where the success rate first crosses 1/2 going up in m (linear interpolation), or None."""
    points = sorted(points)
    for (m0, s0), (m1, s1) in zip(points, points[1:]):
        if s0 < 0.5 <= s1:
            return m0 + (0.5 - s0) * (m1 - m0) / (s1 - s0)
    return None


def phase(summary, records, names):
    """The success-rate grid over (group = r, x = m) and the fit of m50(r) = C·r·(d1 + d2)."""
    if any(number(s["group"]) is None or number(s["x"]) is None for s in summary):
        raise Bad("--figure phase needs numeric groups (r) and x (m)")
    if len({s["label"] for s in summary}) != 1:
        raise Bad("--figure phase needs a single label")
    d1 = next((r["d1"] for r in records if number(r.get("d1"))), None)
    d2 = next((r["d2"] for r in records if number(r.get("d2"))), None)
    if d1 is None:
        raise Bad("--figure phase: no record reports d1, d2 (did every solve fail?)")
    rate = {(s["x"], s["group"]): s["success_rate"] for s in summary}
    ms, ranks = ordered(s["x"] for s in summary), ordered(s["group"] for s in summary)
    crossings = {r: m50([(m, rate[(m, r)]) for m in ms if (m, r) in rate]) for r in ranks}
    fitted = [(r * (d1 + d2), x) for r, x in crossings.items() if x is not None]
    if fitted:
        c = sum(a * x for a, x in fitted) / sum(a * a for a, _ in fitted)
        how = f"least-squares fit of m50(r) = C·r·(d1+d2) over {len(fitted)} rank(s)"
    else:
        c, how = 1.0, "no 50% crossing on the grid: C = 1 drawn for reference"
    fit = [f"C = {c:.4f}  ({how})"]
    for r, x in crossings.items():
        fit.append(f"r = {r}: m50 = none" if x is None
                   else f"r = {r}: m50 = {x:.1f}  (m50/(r(d1+d2)) = {x / (r * (d1 + d2)):.3f})")
    head = [f"{names['group']} \\ {names['x']}"] + [format(m, "g") for m in ms]
    cells = [[f"**{r}**"] + [format(rate[(m, r)], "g") if (m, r) in rate else "" for m in ms]
             for r in reversed(ranks)]
    return {"c": c, "how": how, "fit": fit, "d1": d1, "d2": d2, "ms": ms, "ranks": ranks, "rate": rate,
            "head": head, "cells": cells}


def quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def gnuplot(script):
    try:
        result = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    except FileNotFoundError:
        raise Bad("gnuplot is not installed (Pipelines/ensure-dependencies.sh installs it)")
    if result.returncode != 0:
        raise Bad(f"gnuplot failed: {result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.returncode}")


def lines_figure(png, summary, labels, args):
    groups = list(dict.fromkeys(s["group"] for s in summary))
    labels = [l for l in labels if any(s["label"] == l for s in summary)]
    with tempfile.TemporaryDirectory() as scratch:
        script = [f"set terminal pngcairo size 1200,{440 * len(groups) + 40} font 'sans,10'",
                  f"set output {quote(png)}",
                  f"set multiplot layout {len(groups)},2 title {quote(args.title)}",
                  "set grid", f"set xlabel {quote(args.xlabel or args.x_name)}"]
        if args.logx:
            script.append("set logscale x")
        if args.threshold is not None:
            script.append(f"set arrow from {args.threshold}, graph 0 to {args.threshold}, graph 1 nohead dt 2 "
                          "lc rgb 'gray40'")
        for gi, group in enumerate(groups):
            files = []
            for li, label in enumerate(labels):
                path = pathlib.Path(scratch) / f"{gi}-{li}.dat"
                rows = [s for s in summary if s["group"] == group and s["label"] == label]
                path.write_text("".join(
                    f"{s['x']} {'NaN' if s['median_relative_error'] is None else format(max(s['median_relative_error'], FLOOR), '.6e')}"
                    f" {s['success_rate']:.4f}\n" for s in rows))
                if rows:
                    files.append((li, label, path))
            prefix = "" if group is None else f"{args.group_name} = {group}: "
            script += [f"set title {quote(prefix + 'median relative error')}", "set key off",
                       "set logscale y", "set format y '10^{%T}'", "set ylabel 'relative error in Frobenius norm'",
                       f"set yrange [{FLOOR / 2}:100]",
                       "plot " + ", ".join(f"{quote(path)} using 1:2 with linespoints lw 2 pt {li + 4} "
                                           f"title {quote(label)}" for li, label, path in files),
                       f"set title {quote(prefix + f'success rate (relative error ≤ {short(SUCCESS_TOL)})')}",
                       "unset logscale y", "set format y '%g'", "set ylabel 'success rate'",
                       "set yrange [-0.05:1.05]", "set key outside right top",
                       "plot " + ", ".join(f"{quote(path)} using 1:3 with linespoints lw 2 pt {li + 4} "
                                           f"title {quote(label)}" for li, label, path in files)]
        script.append("unset multiplot")
        gnuplot("\n".join(script) + "\n")


def phase_figure(png, grid, trials, args):
    ms, ranks, d1, d2, c = grid["ms"], grid["ranks"], grid["d1"], grid["d2"], grid["c"]
    dm = ms[1] - ms[0] if len(ms) > 1 else 1
    with tempfile.TemporaryDirectory() as scratch:
        image = pathlib.Path(scratch) / "image.dat"
        # `with image` wants a regular grid, scan lines separated by blank lines.
        image.write_text("".join("".join(f"{m} {r} {grid['rate'].get((m, r), float('nan'))}\n" for m in ms) + "\n"
                                 for r in ranks))
        span = f"[{ranks[0] - 0.5}:{ranks[-1] + 0.5}]"
        script = f"""set terminal pngcairo size 900,560 font "sans,11"
set output {quote(png)}
set title {quote(f"{args.title}: success rate over {trials} trial(s) per cell" if args.title else "")}
set xlabel {quote(args.xlabel or args.x_name)}
set ylabel {quote(args.group_name)}
set cblabel "success rate (relative error ≤ {short(SUCCESS_TOL)})"
set cbrange [0:1]
set palette defined (0 "#2b0a3d", 0.25 "#6a1b6e", 0.5 "#c0392b", 0.75 "#f39c12", 1 "#fff4a3")
set xrange [{ms[0] - dm / 2}:{ms[-1] + dm / 2}]
set yrange {span}
set ytics 1
set key outside below horizontal
set samples 400
theory(r) = {c:.6f} * r * ({d1} + {d2})
dof(r) = r * ({d1} + {d2} - r)
plot {quote(image)} using 1:2:3 with image notitle, \\
     {span} "+" using (theory($1)):1 with lines lw 3 lc rgb "#00e5ff" \\
        title sprintf("theory: m = C r (d1+d2), C = %.2f (fit at 50%%)", {c:.6f}), \\
     {span} "+" using (dof($1)):1 with lines lw 2 dt 2 lc rgb "#9a9a9a" title "degrees of freedom m = r(d1+d2-r)"
"""
        gnuplot(script)


def main(argv=None):
    p = argparse.ArgumentParser(prog="aggregate.py", description=__doc__.split("\n")[0])
    p.add_argument("records", help="the sweep's JSON Lines (sweep.sh writes OUT/NAME.jsonl)")
    p.add_argument("--out", help="output folder (default: the records' folder)")
    p.add_argument("--labels", default="", help="comma-separated labels in display order")
    p.add_argument("--x-name", default="x", help="name of the swept value in tables and CSVs")
    p.add_argument("--group-name", default="group", help="name of the group in tables and CSVs")
    p.add_argument("--xlabel", default=None, help="x axis label of the figure")
    p.add_argument("--title", default="", help="figure title")
    p.add_argument("--logx", action="store_true", help="logarithmic x axis")
    p.add_argument("--threshold", type=float, default=None, help="x drawn as a dashed vertical line")
    p.add_argument("--per-x", action="store_true", help="also the median of relative error / x (noise levels)")
    p.add_argument("--figure", choices=("lines", "phase"), default="lines")
    args = p.parse_args(argv)
    try:
        run(args)
    except Bad as error:
        sys.exit(f"aggregate.py: {error}")


def run(args):
    path = pathlib.Path(args.records)
    records = load(path)
    name = path.name[:-len(".jsonl")] if path.name.endswith(".jsonl") else path.stem
    out = pathlib.Path(args.out) if args.out else path.parent
    out.mkdir(parents=True, exist_ok=True)
    names = {"x": args.x_name, "group": args.group_name}
    labels = [l for l in args.labels.split(",") if l]
    labels = list(dict.fromkeys([*labels, *(r["label"] for r in records)]))

    # Per solve. The swept value takes its name; an evaluate key of that name (depth's m) is the same.
    grouped = any(r.get("group") is not None for r in records)
    group_order, x_order = ordered(r.get("group") for r in records), ordered(r["x"] for r in records)
    rows = []
    for r in sorted(records, key=lambda r: (group_order.index(r.get("group")), x_order.index(r["x"]),
                                            labels.index(r["label"]), r["trial"])):
        row = dict(r)
        row["success"] = is_success(r)
        row["str_over_flattest"] = str_ratio(r)
        row[args.x_name] = r["x"]
        if grouped:
            row[args.group_name] = r.get("group")
        rows.append(row)
    swept = ([args.group_name] if grouped else []) + [args.x_name]
    columns = swept + [c for c in TRIAL_COLUMNS if c not in swept
                       and (c not in OPTIONAL or any(row.get(c) is not None for row in rows))]
    write_csv(out / f"{name}.csv", columns, rows)

    summary = summarize(records, labels, args.per_x)
    renamed = [{**{k: v for k, v in s.items() if k not in ("group", "x")},
                **({args.group_name: s["group"]} if grouped else {}), args.x_name: s["x"]} for s in summary]
    keys = [k for k in summary[0] if k not in ("group", "x")]
    if "m" in swept:
        keys.remove("m")
    write_csv(out / f"{name}-summary.csv", swept + keys, renamed)

    head, cells = summary_table(summary, names, args.per_x)
    print(aligned(head, cells))
    tables = [f"Median relative error (successes with relative error ≤ {short(SUCCESS_TOL)} / trials):", "",
              markdown(*error_pivot(summary, labels, names))]
    if args.figure == "phase":
        grid = phase(summary, records, names)
        (out / f"{name}-fit.txt").write_text("\n".join(grid["fit"]) + "\n")
        print()
        print(f"success rate, d1 = {grid['d1']}, d2 = {grid['d2']}, {len(records)} runs "
              f"(rows: {args.group_name}, columns: {args.x_name})")
        print(aligned(grid["head"], [[c.strip("*") for c in row] for row in grid["cells"]]))
        print(f"C = {grid['c']:.3f} ({grid['how']})")
        tables = [f"Success rate (relative error ≤ {short(SUCCESS_TOL)}) per {args.group_name} and {args.x_name}:", "",
                  markdown(grid["head"], grid["cells"])]
        phase_figure(out / f"{name}.png", grid, max(s["trials"] for s in summary), args)
    else:
        lines_figure(out / f"{name}.png", summary, labels, args)
    tables += ["", "Summary (`med_s`: the solver's median seconds):", "", markdown(head, cells)]
    (out / f"{name}-table.md").write_text("\n".join(tables) + "\n")
    failed = sum(is_failed(r) for r in records)
    if failed:
        print(f"{failed} of {len(records)} solves gave no answer to judge (counted as failures)")


if __name__ == "__main__":
    main()
