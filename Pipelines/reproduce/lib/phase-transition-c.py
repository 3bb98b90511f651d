"""Aggregates Pipelines/reproduce/phase-transition.sh's JSON lines (run by it, not by hand).

Usage: python3 phase-transition-c.py DIR [--wall-seconds S]

Reads DIR/phase-transition.jsonl; writes phase-transition.csv (one row per job),
phase-transition-grid.csv (success rate per (m, r)), phase-transition-fit.txt (the fitted C of
m = C·r·(d1+d2) and m50(r)), phase-transition-image.dat + phase-transition.gp (gnuplot), and
prints the grid as a table.
"""
import argparse
import csv
import json
import pathlib
from collections import defaultdict

RUN_COLUMNS = ["m", "r", "trial", "d1", "d2", "relative_error", "recovered", "converged", "seconds",
               "wall_seconds", "iterations", "passes", "rank", "method", "truth_seed", "sensing_seed",
               "host"]


def m50(points):
    """Where the success rate first crosses 1/2 going up in m (linear interpolation), or None."""
    points = sorted(points)
    for (m0, s0), (m1, s1) in zip(points, points[1:]):
        if s0 < 0.5 <= s1:
            return m0 + (0.5 - s0) * (m1 - m0) / (s1 - s0)
    if points and points[0][1] >= 0.5:
        return None  # already recovered at the smallest m: no crossing on the grid
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=pathlib.Path)
    parser.add_argument("--wall-seconds", type=float, default=None)
    args = parser.parse_args()
    out = args.dir

    rows = []
    for line in (out / "phase-transition.jsonl").read_text().splitlines():
        if not line.strip():
            continue
        job = json.loads(line)
        report = job.get("report") or {}
        row = {key: job.get(key) for key in ("m", "r", "trial", "truth_seed", "sensing_seed", "wall_seconds",
                                             "host")}
        for key in ("d1", "d2", "relative_error", "recovered", "converged", "seconds", "iterations",
                    "passes", "rank", "method"):
            row[key] = report.get(key)
        row["recovered"] = bool(row["recovered"])  # null (failed job) counts as not recovered
        rows.append(row)
    if not rows:
        raise SystemExit("phase-transition-c.py: no results in phase-transition.jsonl")
    rows.sort(key=lambda row: (row["r"], row["m"], row["trial"]))
    d1 = next(row["d1"] for row in rows if row["d1"])
    d2 = next(row["d2"] for row in rows if row["d2"])

    with open(out / "phase-transition.csv", "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=RUN_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: ("" if row[key] is None else row[key]) for key in RUN_COLUMNS})

    cells = defaultdict(list)
    for row in rows:
        cells[(row["m"], row["r"])].append(row["recovered"])
    ms = sorted({m for m, _ in cells})
    ranks = sorted({r for _, r in cells})
    rate = {key: sum(values) / len(values) for key, values in cells.items()}
    with open(out / "phase-transition-grid.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["m", "r", "m_over_d1d2", "m_over_rd", "trials", "successes", "success_rate"])
        for r in ranks:
            for m in ms:
                if (m, r) in cells:
                    values = cells[(m, r)]
                    writer.writerow([m, r, f"{m / (d1 + d2):.4g}", f"{m / (r * (d1 + d2)):.4g}", len(values),
                                     sum(values), f"{rate[(m, r)]:.4g}"])

    # C: least squares through the origin of m50(r) against r(d1 + d2).
    crossings = {r: m50([(m, rate[(m, r)]) for m in ms if (m, r) in rate]) for r in ranks}
    fitted = [(r * (d1 + d2), x) for r, x in crossings.items() if x is not None]
    if fitted:
        c = sum(a * x for a, x in fitted) / sum(a * a for a, _ in fitted)
        how = f"least-squares fit of m50(r) = C·r·(d1+d2) over {len(fitted)} rank(s)"
    else:
        c, how = 1.0, "no 50% crossing on the grid: C = 1 drawn for reference"
    with open(out / "phase-transition-fit.txt", "w") as file:
        file.write(f"C = {c:.4f}  ({how})\n")
        for r, x in crossings.items():
            file.write(f"r = {r}: m50 = {'none' if x is None else f'{x:.1f}'}"
                       f"{'' if x is None else f'  (m50/(r(d1+d2)) = {x / (r * (d1 + d2)):.3f})'}\n")

    # gnuplot: `with image` needs a regular grid; blank lines separate scan lines.
    with open(out / "phase-transition-image.dat", "w") as file:
        for r in ranks:
            for m in ms:
                file.write(f"{m} {r} {rate.get((m, r), float('nan'))}\n")
            file.write("\n")
    dm = ms[1] - ms[0] if len(ms) > 1 else 1
    gp = f"""# Regenerate the figure from this folder: gnuplot phase-transition.gp
set terminal pngcairo size 900,560 font "sans,11"
set output "phase-transition.png"
set title "Flat solutions on Gaussian sensing, d1 = d2 = {d1}: success rate over {len(cells[(ms[0], ranks[0])])} trial(s) per cell"
set xlabel "measurements m"
set ylabel "rank r"
set cblabel "success rate (rel. error <= 1e-6)"
set cbrange [0:1]
set palette defined (0 "#2b0a3d", 0.25 "#6a1b6e", 0.5 "#c0392b", 0.75 "#f39c12", 1 "#fff4a3")
set xrange [{ms[0] - dm / 2}:{ms[-1] + dm / 2}]
set yrange [{ranks[0] - 0.5}:{ranks[-1] + 0.5}]
set ytics 1
set key outside below horizontal
set samples 400
theory(r) = {c:.6f} * r * ({d1} + {d2})
dof(r) = r * ({d1} + {d2} - r)
plot "phase-transition-image.dat" using 1:2:3 with image notitle, \\
     "+" using (theory($1)):1 with lines lw 3 lc rgb "#00e5ff" \\
        title sprintf("theory: m = C r (d1+d2), C = %.2f (fit at 50%%)", {c:.6f}), \\
     "+" using (dof($1)):1 with lines lw 2 dt 2 lc rgb "#9a9a9a" title "degrees of freedom m = r(d1+d2-r)"
"""
    # "+" samples the x range; here we want r on [ranks], so set the sample range explicitly.
    gp = gp.replace('"+" using (theory', f'[{ranks[0] - 0.5}:{ranks[-1] + 0.5}] "+" using (theory', 1)
    gp = gp.replace('"+" using (dof', f'[{ranks[0] - 0.5}:{ranks[-1] + 0.5}] "+" using (dof', 1)
    (out / "phase-transition.gp").write_text(gp)

    # Summary table on stdout (rows r, columns m).
    print(f"success rate, d1 = d2 = {d1}, {len(rows)} runs (rows: r, columns: m)")
    print("r\\m " + " ".join(f"{m:>4}" for m in ms))
    for r in reversed(ranks):
        print(f"{r:>3} " + " ".join(f"{rate[(m, r)]:4.2f}" if (m, r) in rate else "   -" for m in ms))
    print(f"C = {c:.3f} ({how})")
    failed = sum(1 for row in rows if row["relative_error"] is None)
    if failed:
        print(f"{failed} job(s) produced no report (counted as failures)")
    if args.wall_seconds is not None:
        (out / "wall-seconds.txt").write_text(f"{args.wall_seconds}\n")


if __name__ == "__main__":
    main()
