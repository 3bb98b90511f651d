#!/usr/bin/env python3
"""The benchmark suite against the peers (issue 14, item 5), driven by Pipelines/bench/run.sh,
which installs the peers first. Sections, in order (--only picks some):

  sensing     Pipelines/bench/solver-speed.sh: dense Gaussian sensing d = 50, r = 3, m = 1500,
              against CVXPY + SCS and scipy L-BFGS-B; dgemv bandwidth of our passes
  rpca        robust PCA against tensorly.decomposition.robust_pca
  completion  matrix completion against fancyimpute SoftImpute and numpy ALS; our passes over
              the observed entries against a C gather micro-benchmark run in the same process tree
  frames      Pipelines/bench/frames-throughput.sh: frames against the zstd CLI
  scaling     solve-flat's time and peak memory against size for each model, log-log slopes

Every tool gets the same instance (the same bytes, made once per size by the toolkit's own
generators) and is scored the same way: the relative error ‖X̂ − M♮‖_F/‖M♮‖_F computed here
with numpy (benchlib.relative_error) from its answer, dense or factored, against the dense truth
when the generator wrote one, else against truth_left·truth_rightᵀ. Times and peak memory come
from wait4 on each process (benchlib.timed_run); solve times are each tool's own measure of its
solve (solve-flat's `seconds` attribute, the peer's solve call), so reading the stream and
starting Python are left out of both. Figures are medians over up to --repeats runs; a tool's
runs on one instance stop once they have taken --repeat-budget seconds in all (a slow tool runs
once). A run past --time-limit is killed and counted as such.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINES = os.path.dirname(HERE)
REPO = os.path.dirname(PIPELINES)
PEERS = os.path.join(HERE, "peers")
sys.path[:0] = [HERE, PEERS]
# Peers that run in their own virtual environment (SoftImpute) read streams with this
# checkout's flatframes, which that environment does not have installed.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(PIPELINES, "python"), os.environ.get("PYTHONPATH")]))
import numpy as np  # noqa: E402

import benchlib  # noqa: E402
import peerlib  # noqa: E402
from benchlib import median, ratio, verdict  # noqa: E402

SECTIONS = ("sensing", "rpca", "completion", "frames", "scaling")

# The two modes. Sizes are (d, rank, fraction of outliers) for robust PCA and (d, rank, p) for
# completion, where p = 10·r/d: m ≈ 10·r·d observed entries, 5× the r(2d − r) degrees of freedom
# (2000, rank 10: 5%; 10⁴, rank 10: 1%, the issue's sizes).
MODES = {
    "default": {
        "sensing": (50, 3, 1500),
        "rpca": [(500, 10, 0.05)],
        "completion": [(2000, 10, 0.05)],
        "frames": (512, 5),
        "scaling": {"sensing": [30, 50, 70], "rpca": [125, 250, 500], "completion": [500, 1000, 2000]},
        "time_limit": 300.0,
        "softimpute_limit": 120.0,
    },
    "full": {
        "sensing": (50, 3, 1500),
        "rpca": [(500, 10, 0.05), (1000, 10, 0.05), (2000, 10, 0.05), (1000, 20, 0.10)],
        "completion": [(2000, 10, 0.05), (10000, 10, 0.01)],
        "frames": (1024, 5),
        "scaling": {"sensing": [30, 50, 70, 100], "rpca": [250, 500, 1000, 2000],
                    "completion": [1000, 2000, 4000, 10000]},
        "time_limit": 3600.0,
        "softimpute_limit": 1800.0,
    },
}
SCALING_RANK = {"sensing": 3, "rpca": 10, "completion": 10}
RPCA_FRACTION = 0.05

# Targets (issue 14).
RPCA_SPEEDUP, RPCA_ERROR = 3.0, 1e-8
COMPLETION_LARGE_D, COMPLETION_SECONDS, COMPLETION_PEAK = 10000, 10.0, 1e9
GATHER_FRACTION = 0.5


def completion_p(d, r):
    return min(1.0, 10 * r / d)


def per_line(d, fraction):
    """The --per-line cap of corrupt-sparse: twice the mean number of outliers per row."""
    return max(1, math.ceil(2 * fraction * d))


def fmt(value, spec, width=0):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return f"{'-':>{width}}"
    return f"{value:>{width}{spec}}"


class Suite:
    def __init__(self, args):
        self.args = args
        self.mode = MODES["full" if args.full else "default"]
        self.bin = os.environ.get("FLATMIN_BIN") or sys.exit("suite.py: set FLATMIN_BIN (run.sh does)")
        self.scratch = args.scratch
        self.time_limit = args.time_limit or self.mode["time_limit"]
        self.softimpute_limit = args.softimpute_limit or self.mode["softimpute_limit"]
        self.lines = []          # everything printed, for the results file
        self.targets = []        # (section, target, figure, verdict)
        self.comparisons = []    # (section, instance, ours, peer, solve ratio, wall ratio, our error, peer error, accuracy)
        self.records = {}        # (model, label, d, r, param) -> summary of our runs, for scaling
        self.instances = {}
        self.truths = {}
        # Which Python runs each peer: fancyimpute lives in run.sh's virtual environment.
        self.peer_python = {"tensorly": sys.executable, "als": sys.executable, "softimpute": args.venv_python}
        self.unavailable = {}
        if args.no_tensorly:
            self.unavailable["tensorly"] = args.no_tensorly
        if not args.venv_python:
            self.unavailable["softimpute"] = "no virtual environment with fancyimpute"

    # MARK: output

    def say(self, text=""):
        print(text, flush=True)
        self.lines.append(text)

    def target(self, section, text, figure, met):
        state = "n/a" if met is None else ("met" if met else "MISSED")
        self.targets.append((section, text, figure, state))
        self.say(f"  target {text}: {state} ({figure})")

    def tool(self, name):
        return os.path.join(self.bin, name)

    # MARK: instances

    def instance(self, model, d, r, param):
        """The solver's input for one size, made once: (path, truth path). The dense truth is
        dropped from the solver's input (the factors truth_left, truth_right stay, as the
        generator writes them alone above 2^24 entries), and kept aside for scoring."""
        key = (model, d, r, param)
        if key in self.instances:
            return self.instances[key]
        name = f"{model}-{d}-{r}-{param}"
        path, truth_path = (os.path.join(self.scratch, f"{name}{suffix}.frames") for suffix in ("", ".truth"))
        q = shlex.quote
        generate = f"{q(self.tool('generate-ground-truth'))} --d1 {d} --rank {r} --seed 1 --quiet"
        sample = f"{q(self.tool('sample-measurements'))} -q --seed 2"
        if model == "sensing":
            command = f"{generate} | {sample} --operator gaussian --m {param}"
        elif model == "rpca":
            command = (f"{generate} | {sample} --operator identity | {q(self.tool('corrupt-sparse'))} -q "
                       f"--fraction {param} --per-line {per_line(d, param)} --seed 3")
        else:
            command = f"{generate} | {sample} --operator completion --p {param}"
        whole = os.path.join(self.scratch, f"{name}.whole.frames")
        start = time.perf_counter()
        with open(whole, "wb") as sink:
            subprocess.run(["bash", "-o", "pipefail", "-c", command], stdout=sink, check=True)
        frames = self.tool("frames")
        with open(whole, "rb") as source, open(truth_path, "wb") as sink:
            subprocess.run([frames, "pick", "truth,truth_left,truth_right"], stdin=source, stdout=sink, check=True)
        with open(whole, "rb") as source, open(path, "wb") as sink:
            subprocess.run([frames, "drop", "truth"], stdin=source, stdout=sink, check=True)
        os.remove(whole)
        self.say(f"  (instance {name}: made in {time.perf_counter() - start:.1f} s, "
                 f"{os.path.getsize(path) / 1e6:.1f} MB as the solver reads it)")
        self.instances[key] = (path, truth_path)
        return path, truth_path

    def truth(self, truth_path):
        """The dense truth when the stream has one, else the factor pair."""
        if truth_path not in self.truths:
            frames = peerlib.read_frames(truth_path)
            if "truth" in frames:
                self.truths[truth_path] = frames["truth"].array
            else:
                self.truths[truth_path] = (frames["truth_left"].array, frames["truth_right"].array)
        return self.truths[truth_path]

    def forget_truths(self):
        self.truths.clear()

    # MARK: runs

    def repeated(self, run_once, repeats=None):
        """Runs `run_once` up to `repeats` times, stopping once the runs took --repeat-budget
        seconds in all or one was killed; returns the list of run records."""
        runs, spent = [], 0.0
        for _ in range(repeats or self.args.repeats):
            run = run_once()
            runs.append(run)
            spent += run["wall"]
            if run.get("timed_out") or spent >= self.args.repeat_budget:
                break
        return runs

    def run_ours(self, instance, truth_path, options, after=None, repeats=None):
        """solve-flat --quiet OPTIONS on the instance; each run's wall, peak, status, the
        estimate's attributes, its factor width and relative error. `after(run)` is called right
        after each run (the gather reference goes there)."""
        output = os.path.join(self.scratch, "ours.frames")

        def once():
            result = benchlib.timed_run([self.tool("solve-flat"), "--quiet", "--timings", *options], instance, output,
                                        timeout=self.time_limit)
            run = {key: result[key] for key in ("wall", "peak", "status", "timed_out")}
            if result["status"] in (0, 3) and os.path.getsize(output) > 0:
                listing = subprocess.run([self.tool("frames"), "ls", "--json", output], capture_output=True,
                                         text=True, check=True).stdout
                headers = {h["name"]: h for h in map(json.loads, listing.splitlines())}
                attributes = next((headers[name]["attributes"] for name in ("estimate", "estimate_left")
                                   if name in headers and "method" in headers[name]["attributes"]), {})
                attributes = {**attributes, **headers.get("timings", {}).get("attributes", {})}
                if "estimate_left" in headers and "estimate_right" in headers:
                    frames = peerlib.read_frames(output, ("estimate_left", "estimate_right"))
                    answer = (frames["estimate_left"].array, frames["estimate_right"].array)
                    run["width"] = answer[0].shape[1]
                else:
                    answer = peerlib.read_frames(output, ("estimate",))["estimate"].array
                run["error"] = benchlib.relative_error(answer, self.truth(truth_path))
                del answer
                for key in ("seconds", "passes", "operator_seconds", "pass_width", "iterations", "rank", "converged"):
                    run[key] = attributes.get(key)
                if result["status"] == 3:  # answered, not certified: the solver says why on stderr
                    reasons = [line for line in result["stderr"].splitlines() if line.strip() and "warning" not in line]
                    run["warning"] = (reasons or result["stderr"].strip().splitlines()[-1:] or [""])[-1]
            else:
                run["error"] = math.nan
                tail = result["stderr"].strip().splitlines()[-1:] or [""]
                run["failure"] = "timed out" if result["timed_out"] else f"exit {result['status']}: {tail[0]}"
            if os.path.exists(output):
                os.remove(output)
            if after:
                after(run)
            return run

        return summarize(self.repeated(once, repeats))

    def run_peer(self, peer, script, instance, truth_path, options, answer_suffix, timeout=None):
        """One peer script on the instance (its JSON line, its answer scored here), repeated."""
        if peer in self.unavailable:
            return {"runs": [], "unavailable": self.unavailable[peer]}
        answer = os.path.join(self.scratch, f"peer-answer{answer_suffix}")
        report = os.path.join(self.scratch, "peer.json")

        def once():
            command = [self.peer_python[peer], os.path.join(PEERS, script), instance, "--answer", answer, *options]
            result = benchlib.timed_run(command, None, report, timeout=timeout or self.time_limit)
            run = {key: result[key] for key in ("wall", "peak", "status", "timed_out")}
            lines = [line for line in open(report).read().splitlines() if line.strip()]
            if result["status"] == 0 and lines and os.path.exists(answer):
                record = json.loads(lines[-1])
                run.update({key: value for key, value in record.items() if key not in ("wall", "peak")})
                loaded = np.load(answer)
                value = (loaded["left"], loaded["right"]) if answer.endswith(".npz") else loaded
                run["error"] = benchlib.relative_error(value, self.truth(truth_path))
                del value, loaded
            else:
                run["error"] = math.nan
                tail = result["stderr"].strip().splitlines()[-1:] or [""]
                run["failure"] = "timed out" if result["timed_out"] else f"exit {result['status']}: {tail[0]}"
                if not result["timed_out"]:
                    sys.stderr.write(result["stderr"])
            if os.path.exists(answer):
                os.remove(answer)
            return run

        return summarize(self.repeated(once))

    # MARK: table helpers

    def table_header(self):
        self.say(f"  {'tool':<44} {'runs':>4} {'exit':>6} {'wall s':>8} {'solve s':>8} {'peak MB':>8} {'rel. error':>10}")

    def table_row(self, label, summary, note=""):
        if summary.get("unavailable"):
            self.say(f"  {label:<44} {'-':>4} {'-':>6} {'-':>8} {'-':>8} {'-':>8} {'-':>10}  not run: {summary['unavailable']}")
            return
        statuses = ",".join("T" if run.get("timed_out") else str(run["status"]) for run in summary["runs"])
        self.say(f"  {label:<44} {len(summary['runs']):>4} {statuses:>6} {fmt(summary['wall'], '.2f', 8)} "
                 f"{fmt(summary['seconds'], '.2f', 8)} {fmt(summary['peak'] / 1e6, '.0f', 8)} "
                 f"{fmt(summary['error'], '.2e', 10)}{('  ' + note) if note else ''}")
        for failure in sorted({run["failure"] for run in summary["runs"] if run.get("failure")}):
            self.say(f"  {'':<6} failed: {failure}")
        for warning in sorted({run["warning"] for run in summary["runs"] if run.get("warning")}):
            self.say(f"  {'':<6} exit 3: {warning[:200]}")

    def compare(self, section, instance_label, ours_label, ours, peer_label, peer, floor):
        """The time ratios peer / ours (solve to solve, and the peer's solve over our whole run)
        and the accuracy verdict; recorded for the summary."""
        solve_ratio = ratio(peer.get("seconds"), ours.get("seconds"))
        wall_ratio = ratio(peer.get("seconds"), ours.get("wall"))
        bound = ""
        if peer.get("runs") and all(run.get("timed_out") for run in peer["runs"]):
            # The peer never finished: its time is at least the time it was given (less start-up).
            bound = ">="
            solve_ratio = ratio(max(run["wall"] for run in peer["runs"]), ours.get("seconds"))
            wall_ratio = ratio(max(run["wall"] for run in peer["runs"]), ours.get("wall"))
        accuracy = verdict(ours.get("error"), peer.get("error"), floor)
        self.comparisons.append({"section": section, "instance": instance_label, "ours": ours_label,
                                 "peer": peer_label, "solve_ratio": solve_ratio, "wall_ratio": wall_ratio,
                                 "bound": bound, "ours_error": ours.get("error"), "peer_error": peer.get("error"),
                                 "accuracy": accuracy})
        self.say(f"  time {peer_label} / {ours_label}: {bound}{fmt(solve_ratio, '.1f')}x solve to solve, "
                 f"{fmt(wall_ratio, '.1f')}x over our end-to-end wall; error ours {fmt(ours.get('error'), '.2e')} "
                 f"vs {fmt(peer.get('error'), '.2e')}: {accuracy}")
        return solve_ratio, accuracy

    # MARK: sections

    def sensing(self):
        d, r, m = self.mode["sensing"]
        self.say(f"== sensing: dense Gaussian d1=d2={d} r={r} m={m} (Pipelines/bench/solver-speed.sh) ==")
        summary_path = os.path.join(self.scratch, "sensing.json")
        env = dict(os.environ, BENCH_SUMMARY=summary_path, PEER_TIME_LIMIT=str(int(self.time_limit)),
                   BENCH_DIR=self.scratch)
        self.stream([os.path.join(HERE, "solver-speed.sh"), str(d), str(r), str(m), str(self.args.repeats)], env)
        if not os.path.exists(summary_path):
            self.target("sensing", "solver-speed.sh ran", "no summary written", False)
            return
        summary = json.load(open(summary_path))
        ours = summary["ours"].get("flat", {})
        for peer, goal in (("cvxpy-scs", 100), ("scipy-lbfgs", 5)):
            p = summary["peers"].get(peer)
            solve_ratio = ratio(p["seconds"], ours.get("seconds")) if p else math.nan
            accuracy = verdict(ours.get("error"), p["relative_error"] if p else math.nan)
            self.comparisons.append({"section": "sensing", "instance": f"d={d} r={r} m={m}", "ours": "solve-flat",
                                     "peer": peer, "solve_ratio": solve_ratio,
                                     "wall_ratio": ratio(p["seconds"], ours.get("wall")) if p else math.nan,
                                     "ours_error": ours.get("error"), "peer_error": p["relative_error"] if p else math.nan,
                                     "accuracy": accuracy})
            self.target("sensing", f"{peer} / solve-flat >= {goal}x at equal or better error",
                        f"{fmt(solve_ratio, '.1f')}x, error {fmt(ours.get('error'), '.1e')} vs "
                        f"{fmt(p['relative_error'] if p else math.nan, '.1e')}",
                        None if not p else (solve_ratio >= goal and accuracy != "WORSE"))
        bandwidth = summary.get("bandwidth_ratio", {}).get("flat", math.nan)
        self.target("sensing", "passes >= 0.7x dgemv bandwidth (flat)", f"{fmt(bandwidth, '.2f')}x",
                    None if not math.isfinite(bandwidth) else bandwidth >= 0.7)

    def rpca(self):
        for d, r, fraction in self.args.rpca or self.mode["rpca"]:
            count = round(fraction * d * d)
            label = f"d={d} r={r} {fraction:.0%} outliers"
            self.say(f"== robust PCA: d1=d2={d} r={r}, {fraction:.0%} sign outliers ({count}, at most "
                     f"{per_line(d, fraction)} per row and column), 10x the RMS ==")
            instance, truth_path = self.instance("rpca", d, r, fraction)
            self.table_header()
            ours = {}
            for method, options, text in (("flat", ["--oracle-budget"], "solve-flat --oracle-budget"),
                                          ("convex", ["--method", "convex", "--penalized"],
                                           "solve-flat --method convex --penalized")):
                ours[method] = self.run_ours(instance, truth_path, options)
                self.records[("rpca", method, d, r, fraction)] = ours[method]
                self.table_row(text, ours[method])
            peer = self.run_peer("tensorly", "robust_pca_tensorly.py", instance, truth_path, [], ".npy")
            self.table_row("tensorly robust_pca (PCP, ALM)", peer)
            self.say("  (flat --oracle-budget is --l1-budget ‖S♮‖₁ from the outlier record; solve: ours' `seconds`, "
                     "the peer's robust_pca call)")
            for method, text in (("flat", "solve-flat --oracle-budget"), ("convex", "convex --penalized")):
                solve_ratio, accuracy = self.compare("rpca", label, text, ours[method], "tensorly", peer, RPCA_ERROR)
                statuses = [run["status"] for run in ours[method]["runs"]]
                exit_zero = bool(statuses) and all(status == 0 for status in statuses)
                met = (None if not peer.get("runs") else
                       bool(solve_ratio >= RPCA_SPEEDUP and ours[method]["error"] <= RPCA_ERROR
                            and accuracy != "WORSE" and exit_zero))
                self.target("rpca", f"{label}: {text} >= {RPCA_SPEEDUP:.0f}x faster than tensorly, "
                            f"error <= {RPCA_ERROR:.0e} and not worse, exit 0",
                            f"{fmt(solve_ratio, '.2f')}x, error {fmt(ours[method]['error'], '.1e')} vs "
                            f"{fmt(peer.get('error'), '.1e')}, exit {','.join(map(str, statuses)) or '-'}", met)
            self.forget_truths()

    def completion(self):
        cc = self.args.gather_bench
        for d, r, p in self.args.completion or self.mode["completion"]:
            label = f"{d}x{d} r={r} p={p:g}"
            instance, truth_path = self.instance("completion", d, r, p)
            entries = peerlib.read_frames(instance, ("entries",))["entries"].array
            m = len(entries)
            self.say(f"== matrix completion: {d}x{d} r={r}, p={p:g} ({m} observed entries) ==")
            entries_path = os.path.join(self.scratch, "entries.bin")
            np.ascontiguousarray(entries, dtype="<i8").tofile(entries_path)
            del entries
            references = []

            def gather(run):
                """The C gather benchmark on these entries at the mean width of our passes (the factor
                columns a pass carried, `pass_width`; the final width for a solver that does not
                report it), right after each of our runs (the machine's bandwidth drifts: each ratio
                pairs runs made together)."""
                k = max(1, round(run["pass_width"])) if run.get("pass_width") else run.get("width")
                if not cc or not k:
                    return
                out = subprocess.run([cc, entries_path, str(m), str(d), str(d), str(k), "15", "2"],
                                     capture_output=True, text=True)
                if out.returncode == 0:
                    figures = json.loads(out.stdout)
                    per_pass = min((figures["forward_1"] + figures["adjoint_1"]) / 2,
                                   (figures["forward_T"] + figures["adjoint_T"]) / 2)
                    ours_per_pass = ratio(run.get("operator_seconds"), run.get("passes"))
                    references.append({"reference": per_pass, "ours": ours_per_pass, "k": k, **figures})

            self.table_header()
            ours = self.run_ours(instance, truth_path, [], after=gather)
            self.records[("completion", "flat", d, r, p)] = ours
            self.table_row("solve-flat (flat)", ours, f"width {ours['runs'][0].get('width', '-') if ours['runs'] else '-'}")
            als = self.run_peer("als", "als_completion.py", instance, truth_path,
                                ["--rank", str(r), "--time-limit", str(0.8 * self.time_limit)], ".npz")
            self.table_row("numpy ALS (rank r, spectral start)", als, stop_note(als))
            soft = self.run_peer("softimpute", "softimpute_fancyimpute.py", instance, truth_path,
                                 ["--rank", str(r), "--time-limit", str(self.softimpute_limit)], ".npy",
                                 timeout=self.softimpute_limit * 2 + 120)
            self.table_row("fancyimpute SoftImpute (max_rank r)", soft, stop_note(soft))
            self.say("  (solve: ours' `seconds`, a peer's solve alone; peak: each process' ru_maxrss, "
                     "Python and the stream it reads included)")
            self.compare("completion", label, "solve-flat", ours, "numpy-als", als, 1e-9)
            self.compare("completion", label, "solve-flat", ours, "softimpute", soft, 1e-9)
            if d >= COMPLETION_LARGE_D:
                self.target("completion", f"{label}: solve-flat end to end <= {COMPLETION_SECONDS:.0f} s",
                            f"{fmt(ours['wall'], '.1f')} s (solve {fmt(ours['seconds'], '.1f')} s), "
                            f"error {fmt(ours['error'], '.1e')}", finite_or_none(ours["wall"], lambda w: w <= COMPLETION_SECONDS))
                self.target("completion", f"{label}: solve-flat peak memory < {COMPLETION_PEAK / 1e9:.0f} GB",
                            f"{fmt(ours['peak'] / 1e6, '.0f')} MB", finite_or_none(ours["peak"], lambda b: b < COMPLETION_PEAK))
            if references:
                ratios = [ratio(ref["reference"], ref["ours"]) for ref in references]
                reference = median([ref["reference"] for ref in references])
                ours_pass = median([ref["ours"] for ref in references])
                k = references[-1]["k"]
                self.say(f"  gather benchmark (C, {m} entries, width {k}): forward {references[-1]['forward_1'] * 1e3:.2f} ms, "
                         f"adjoint {references[-1]['adjoint_1'] * 1e3:.2f} ms on 1 thread; {references[-1]['forward_T'] * 1e3:.2f}, "
                         f"{references[-1]['adjoint_T'] * 1e3:.2f} ms on 2; per pass (the better) {reference * 1e3:.2f} ms; "
                         f"ours {ours_pass * 1e3:.2f} ms per pass (operator_seconds / passes)")
                self.target("completion", f"{label}: a pass over the observed entries >= {GATHER_FRACTION:.1f}x the gather benchmark",
                            f"{fmt(median(ratios), '.2f')}x (runs: {', '.join(fmt(q, '.2f') for q in ratios)})",
                            finite_or_none(median(ratios), lambda q: q >= GATHER_FRACTION))
            else:
                self.target("completion", f"{label}: a pass >= {GATHER_FRACTION:.1f}x the gather benchmark",
                            "not measured (no gather benchmark, or no passes/operator_seconds/width)", None)
            os.remove(entries_path)
            self.forget_truths()
        if all(d < COMPLETION_LARGE_D for d, _, _ in (self.args.completion or self.mode["completion"])):
            self.target("completion", f"{COMPLETION_LARGE_D}x{COMPLETION_LARGE_D} r=10 p=0.01: <= {COMPLETION_SECONDS:.0f} s, "
                        f"< {COMPLETION_PEAK / 1e9:.0f} GB", "not measured in this mode (run.sh --full)", None)

    def frames(self):
        mib, repeats = self.mode["frames"]
        self.say(f"== frames: {mib} MiB stream, frames against the zstd CLI (Pipelines/bench/frames-throughput.sh) ==")
        summary_path = os.path.join(self.scratch, "frames.json")
        env = dict(os.environ, BENCH_SUMMARY=summary_path, BENCH_DIR=self.scratch)
        self.stream([os.path.join(HERE, "frames-throughput.sh"), str(mib), str(repeats)], env)
        if not os.path.exists(summary_path):
            self.target("frames", "frames-throughput.sh ran", "no summary written", False)
            return
        summary = json.load(open(summary_path))
        for phase in ("round trip", "compress", "decompress"):
            figures = summary[phase]
            mibps = summary["bytes"] / 1048576
            self.target("frames", f"{phase} throughput frames / zstd >= 0.8x",
                        f"{figures['ratio']:.2f}x: {mibps / figures['ours_seconds']:.0f} vs "
                        f"{mibps / figures['zstd_seconds']:.0f} MiB/s", figures["ratio"] >= 0.8)

    def scaling(self):
        self.say("== scaling: solve-flat's time and peak memory against size ==")
        plan = []
        for d in self.mode["scaling"]["sensing"]:
            r = SCALING_RANK["sensing"]
            plan.append(("sensing", "flat", [], d, r, 10 * r * d))
        for d in self.mode["scaling"]["rpca"]:
            r = SCALING_RANK["rpca"]
            plan.append(("rpca", "convex", ["--method", "convex", "--penalized"], d, r, RPCA_FRACTION))
            plan.append(("rpca", "flat", ["--oracle-budget"], d, r, RPCA_FRACTION))
        for d in self.mode["scaling"]["completion"]:
            r = SCALING_RANK["completion"]
            plan.append(("completion", "flat", [], d, r, completion_p(d, r)))
        rows = []
        timed_out = set()
        for model, method, options, d, r, param in plan:
            key = (model, method, d, r, param)
            summary = self.records.get(key)
            if summary is None or not math.isfinite(summary.get("peak", math.nan)):
                if (model, method) in timed_out:
                    summary = {"wall": math.nan, "seconds": math.nan, "peak": math.nan, "error": math.nan,
                               "runs": [], "skipped": "a smaller size timed out"}
                else:
                    instance, truth_path = self.instance(model, d, r, param)
                    summary = self.run_ours(instance, truth_path, options, repeats=self.args.scaling_repeats)
                    self.forget_truths()
                    self.records[key] = summary
            if summary.get("runs") and all(run.get("timed_out") for run in summary["runs"]):
                timed_out.add((model, method))
            m = param if model == "sensing" else (d * d if model == "rpca" else round(param * d * d))
            size = self.input_bytes(self.instance(model, d, r, param)[0])
            statuses = ",".join("T" if run.get("timed_out") else str(run["status"]) for run in summary.get("runs", []))
            rows.append({"model": model, "method": method, "d": d, "r": r, "m": m, "input_bytes": size,
                         "wall": summary["wall"],
                         "seconds": summary["seconds"], "peak": summary["peak"], "error": summary["error"],
                         "exit": statuses or summary.get("skipped", "-"), "runs": len(summary.get("runs", []))})
        fits = []
        for model, method in dict.fromkeys((row["model"], row["method"]) for row in rows):
            group = [row for row in rows if (row["model"], row["method"]) == (model, method)]
            ok = [row for row in group if row["exit"] and all(part in ("0", "3") for part in row["exit"].split(","))]
            fit = {"model": model, "method": method, "sizes": [row["d"] for row in ok]}
            for quantity in ("wall", "seconds", "peak"):
                fit[f"{quantity}_slope"], fit[f"{quantity}_prefactor"] = benchlib.loglog_slope(
                    [row["d"] for row in ok], [row[quantity] for row in ok])
            for quantity in ("wall", "peak"):
                fit[f"{quantity}_slope_input"], _ = benchlib.loglog_slope([row["input_bytes"] for row in ok],
                                                                          [row[quantity] for row in ok])
            fits.append(fit)
        self.scaling_rows, self.scaling_fits = rows, fits
        for line in scaling_table(rows, fits):
            self.say(line)

    def input_bytes(self, path):
        """The decoded size of a stream: the array bytes of its frames (`frames ls --json`)."""
        listing = os.path.join(self.scratch, "listing.json")
        with open(listing, "w") as out:
            subprocess.run([self.tool("frames"), "ls", "--json", path], stdout=out, check=True)
        return benchlib.decoded_bytes(listing)

    def stream(self, command, env):
        """Runs a bench script, its output printed (and kept) line by line."""
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        for line in child.stdout:
            self.say("  " + line.rstrip("\n"))
        if child.wait() != 0:
            self.say(f"  ({os.path.basename(command[0])} exited with status {child.returncode})")

    # MARK: the end

    def summary(self):
        self.say("== summary: ratios (medians; peer time over ours, solve to solve) ==")
        self.say(f"  {'section':<11} {'instance':<28} {'ours':<28} {'peer':<13} {'ratio':>8} {'wall':>7} "
                 f"{'our error':>10} {'peer error':>10}  accuracy")
        for c in self.comparisons:
            self.say(f"  {c['section']:<11} {c['instance']:<28} {c['ours']:<28} {c['peer']:<13} "
                     f"{c.get('bound', ''):>2}{fmt(c['solve_ratio'], '.2f', 5)}x {fmt(c['wall_ratio'], '.2f', 6)}x "
                     f"{fmt(c['ours_error'], '.1e', 10)} {fmt(c['peer_error'], '.1e', 10)}  {c['accuracy']}")
        self.say("== summary: targets ==")
        for section, text, figure, state in self.targets:
            self.say(f"  [{state:>6}] {section:<10} {text}: {figure}")
        counts = {state: sum(1 for t in self.targets if t[3] == state) for state in ("met", "MISSED", "n/a")}
        self.say(f"  {counts['met']} met, {counts['MISSED']} missed, {counts['n/a']} not measured")


def finite_or_none(value, test):
    return None if value is None or not math.isfinite(value) else bool(test(value))


def stop_note(summary):
    runs = summary.get("runs") or []
    if not runs or "stop" not in runs[-1]:
        return ""
    last = runs[-1]
    return f"{last.get('iterations')} iterations, stop: {last.get('stop')}"


def summarize(runs):
    """Medians over the runs that produced an answer (all runs' walls when none did)."""
    good = [run for run in runs if math.isfinite(run.get("error", math.nan))]
    chosen = good or runs
    return {"runs": runs,
            "wall": median([run["wall"] for run in chosen]),
            "seconds": median([run.get("seconds") for run in good]),
            "peak": median([run["peak"] for run in chosen]),
            "error": median([run.get("error") for run in good])}


def scaling_table(rows, fits):
    lines = [f"  {'model':<11} {'method':<7} {'d':>6} {'r':>3} {'m':>10} {'input MB':>9} {'runs':>4} {'exit':>6} "
             f"{'wall s':>8} {'solve s':>8} {'peak MB':>8} {'rel. error':>10}"]
    for row in rows:
        lines.append(f"  {row['model']:<11} {row['method']:<7} {row['d']:>6} {row['r']:>3} {row['m']:>10} "
                     f"{row['input_bytes'] / 1e6:>9.2f} {row['runs']:>4} "
                     f"{row['exit']:>6} {fmt(row['wall'], '.2f', 8)} {fmt(row['seconds'], '.2f', 8)} "
                     f"{fmt(row['peak'] / 1e6 if math.isfinite(row['peak']) else math.nan, '.0f', 8)} "
                     f"{fmt(row['error'], '.1e', 10)}")
    lines.append("  log-log slopes (least squares over the sizes that finished):")
    for fit in fits:
        lines.append(f"  {fit['model']:<11} {fit['method']:<7} over d in {fit['sizes']}: wall ~ d^{fmt(fit['wall_slope'], '.2f')}, "
                     f"solve ~ d^{fmt(fit['seconds_slope'], '.2f')}, peak ~ d^{fmt(fit['peak_slope'], '.2f')}; "
                     f"against the input's size n: wall ~ n^{fmt(fit['wall_slope_input'], '.2f')}, "
                     f"peak ~ n^{fmt(fit['peak_slope_input'], '.2f')}")
    return lines


def json_ready(value):
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return json_ready(value.item())
    return value


def write_results(suite, args, started, elapsed):
    folder = args.results
    os.makedirs(folder, exist_ok=True)
    command = os.environ.get("BENCH_COMMAND") or ("Pipelines/bench/run.sh" + (" --full" if args.full else ""))
    version = subprocess.run([suite.tool("solve-flat"), "--version"], capture_output=True, text=True).stdout.strip()
    machine = (f"{os.cpu_count()} cores, {platform.machine()}, {platform.processor() or cpu_model()}; "
               f"load average at the start {args.load}")
    header = [f"Made by `{command}` ({'full' if args.full else 'default'} mode) on {started:%Y-%m-%d %H:%M} UTC in "
              f"{elapsed / 60:.1f} min, solve-flat {version} from FLATMIN_BIN, {machine}.", ""]
    with open(os.path.join(folder, "run.md"), "w") as out:
        out.write("# Benchmark suite against the peers\n\n" + "\n".join(header) + "\n```\n" + "\n".join(suite.lines) + "\n```\n")
    with open(os.path.join(folder, "run.json"), "w") as out:
        json.dump(json_ready({"command": command, "started": started.isoformat(), "seconds": elapsed,
                              "solve_flat_version": version, "machine": machine, "comparisons": suite.comparisons,
                              "targets": [dict(zip(("section", "target", "figure", "state"), t)) for t in suite.targets],
                              "records": [{"model": k[0], "method": k[1], "d": k[2], "r": k[3], "param": k[4],
                                           **{q: v.get(q) for q in ("wall", "seconds", "peak", "error")},
                                           "runs": [{x: y for x, y in run.items()} for run in v.get("runs", [])]}
                                          for k, v in suite.records.items()]}), out, indent=1)
    if hasattr(suite, "scaling_rows"):
        with open(os.path.join(folder, "scaling.md"), "w") as out:
            out.write("# solve-flat: time and peak memory against size\n\n" + "\n".join(header) + "\n")
            out.write("Instances: sensing Gaussian r = 3, m = 10·r·d; robust PCA r = 10, 5% sign outliers; "
                      "completion r = 10, p = 10·r/d. Wall: end to end (reading the stream, writing the answer); "
                      "solve: the `seconds` attribute; peak: the process' ru_maxrss as GNU time reports it; exit 3: answered, not certified; "
                      "input: the decoded size n of the stream the solver reads (its frames' array bytes). Slopes: "
                      "least-squares fits of log figure against log d and against log n over the sizes that finished.\n\n")
            out.write("| model | method | d | r | m | input MB | runs | exit | wall s | solve s | peak MB | rel. error |\n")
            out.write("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
            for row in suite.scaling_rows:
                out.write(f"| {row['model']} | {row['method']} | {row['d']} | {row['r']} | {row['m']} | "
                          f"{row['input_bytes'] / 1e6:.2f} | {row['runs']} | "
                          f"{row['exit']} | {fmt(row['wall'], '.3g')} | {fmt(row['seconds'], '.3g')} | "
                          f"{fmt(row['peak'] / 1e6 if math.isfinite(row['peak']) else math.nan, '.0f')} | "
                          f"{fmt(row['error'], '.1e')} |\n")
            out.write("\n| model | method | sizes d | wall slope (d) | solve slope (d) | peak slope (d) | wall slope (n) | peak slope (n) |\n")
            out.write("|---|---|---|---|---|---|---|---|\n")
            for fit in suite.scaling_fits:
                out.write(f"| {fit['model']} | {fit['method']} | {', '.join(map(str, fit['sizes']))} | "
                          f"{fmt(fit['wall_slope'], '.2f')} | {fmt(fit['seconds_slope'], '.2f')} | "
                          f"{fmt(fit['peak_slope'], '.2f')} | {fmt(fit['wall_slope_input'], '.2f')} | "
                          f"{fmt(fit['peak_slope_input'], '.2f')} |\n")
            png = plot_scaling(suite.scaling_rows, suite.scaling_fits, os.path.join(folder, "scaling.png"))
            if png:
                out.write("\n![solve-flat time and peak memory against size](scaling.png)\n")
        with open(os.path.join(folder, "scaling.json"), "w") as out:
            json.dump(json_ready({"command": command, "rows": suite.scaling_rows, "fits": suite.scaling_fits}), out, indent=1)
    print(f"(results written to {os.path.relpath(folder, os.getcwd())}/)", flush=True)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def plot_scaling(rows, fits, path):
    """scaling.png: wall seconds and peak MB against d, log-log, one line per model and method;
    matplotlib when it is installed, else gnuplot (which Pipelines/ensure-dependencies.sh installs)."""
    groups = {}
    for row in rows:
        if math.isfinite(row["wall"]) and math.isfinite(row["peak"]):
            groups.setdefault(f"{row['model']} {row['method']}", []).append(row)
    if not groups:
        return False
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None
    if plt is not None:
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        for name, group in groups.items():
            fit = next(f for f in fits if f"{f['model']} {f['method']}" == name)
            axes[0].loglog([r["d"] for r in group], [r["wall"] for r in group], "o-",
                           label=f"{name} (slope {fmt(fit['wall_slope'], '.2f')})")
            axes[1].loglog([r["d"] for r in group], [r["peak"] / 1e6 for r in group], "o-",
                           label=f"{name} (slope {fmt(fit['peak_slope'], '.2f')})")
        for axis, label in zip(axes, ("wall seconds (end to end)", "peak resident MB")):
            axis.set_xlabel("d (d1 = d2)")
            axis.set_ylabel(label)
            axis.grid(True, which="both", alpha=0.3)
            axis.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        return True
    if not shutil.which("gnuplot"):
        return False
    data = path + ".dat"
    with open(data, "w") as out:
        for name, group in groups.items():
            out.write(f"# {name}\n")
            for r in group:
                out.write(f"{r['d']} {r['wall']} {r['peak'] / 1e6}\n")
            out.write("\n\n")
    titles = []
    for index, name in enumerate(groups):
        fit = next(f for f in fits if f"{f['model']} {f['method']}" == name)
        titles.append((index, name, fit))
    wall = ", ".join(f"'{data}' index {i} using 1:2 with linespoints title '{n} (slope {fmt(f['wall_slope'], '.2f')})'"
                     for i, n, f in titles)
    peak = ", ".join(f"'{data}' index {i} using 1:3 with linespoints title '{n} (slope {fmt(f['peak_slope'], '.2f')})'"
                     for i, n, f in titles)
    script = (f"set terminal pngcairo size 1100,440 font ',9'; set output '{path}'; set multiplot layout 1,2; "
              "set logscale xy; set grid; set key below; set xlabel 'd (d1 = d2)'; "
              f"set ylabel 'wall seconds (end to end)'; plot {wall}; set ylabel 'peak resident MB'; plot {peak}; "
              "unset multiplot")
    done = subprocess.run(["gnuplot", "-e", script], capture_output=True, text=True)
    os.remove(data)
    return done.returncode == 0 and os.path.exists(path)


def parse_sizes(text, kind):
    sizes = []
    for part in text.split(","):
        d, r, x = part.split(":")
        sizes.append((int(d), int(r), float(x)))
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="every size of the issue (takes much longer)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, of {','.join(SECTIONS)}")
    parser.add_argument("--repeats", type=int, default=3, help="runs per tool and instance, at most (median)")
    parser.add_argument("--repeat-budget", type=float, default=60.0,
                        help="stop repeating a tool on an instance once its runs took this many seconds")
    parser.add_argument("--scaling-repeats", type=int, default=1, help="runs per scaling point not measured already")
    parser.add_argument("--time-limit", type=float, default=0.0, help="seconds per run (default 300, --full 3600)")
    parser.add_argument("--softimpute-limit", type=float, default=0.0,
                        help="SoftImpute's own time limit, after which it returns its iterate (default 120, --full 1800)")
    parser.add_argument("--rpca", type=lambda t: parse_sizes(t, "rpca"), help="robust PCA sizes D:R:FRACTION,...")
    parser.add_argument("--completion", type=lambda t: parse_sizes(t, "completion"), help="completion sizes D:R:P,...")
    parser.add_argument("--results", help="folder for run.md/json and scaling.md/json/png "
                                          "(default Pipelines/results/bench/<mode>; 'none' writes nothing)")
    parser.add_argument("--scratch", required=True, help=argparse.SUPPRESS)
    parser.add_argument("--venv-python", default="", help=argparse.SUPPRESS)
    parser.add_argument("--gather-bench", default="", help=argparse.SUPPRESS)
    parser.add_argument("--no-tensorly", default="", help=argparse.SUPPRESS)
    parser.add_argument("--load", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.results = args.results or os.path.join(PIPELINES, "results", "bench", "full" if args.full else "default")
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}")

    suite = Suite(args)
    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.perf_counter()
    suite.say(f"flatmin benchmark suite, {'full' if args.full else 'default'} mode: FLATMIN_BIN={suite.bin}, "
              f"repeats {args.repeats}, time limit {suite.time_limit:.0f} s per run, {os.cpu_count()} cores "
              f"(load {args.load})")
    for section in SECTIONS:
        if section in sections:
            section_clock = time.perf_counter()
            getattr(suite, section)()
            suite.say(f"  ({section}: {time.perf_counter() - section_clock:.0f} s)")
            suite.say()
    suite.summary()
    elapsed = time.perf_counter() - clock
    suite.say(f"wall time of the suite: {elapsed:.0f} s ({elapsed / 60:.1f} min)")
    if args.results != "none":
        write_results(suite, args, started, elapsed)


if __name__ == "__main__":
    main()
