#!/usr/bin/env python3
"""Summarizes `perf report --stdio --no-children --sort dso,symbol` (on stdin): the hottest
symbols by self time, and the share of each layer: OpenBLAS, libc (memory moves and sets), the
kernel (page faults), our own code (the solver binary), the rest."""
import argparse
import re
import shutil
import subprocess
import sys

LINE = re.compile(r"^\s+([0-9.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*?)\s*$")


def layer(dso: str) -> str:
    if "openblas" in dso:
        return "OpenBLAS"
    if dso.startswith("libc"):
        return "libc (memmove, memset)"
    if dso.startswith("[kernel"):
        return "kernel (page faults, zeroing)"
    if dso in ("solve-flat",):
        return "solve-flat's own code"
    return "other (" + dso + ")"


def demangled(symbols: list[str]) -> dict[str, str]:
    """Swift symbols in readable form, by the toolchain's swift-demangle when it is there."""
    mangled = [s for s in symbols if s.startswith("$s")]
    tool = shutil.which("swift-demangle")
    if not mangled or not tool:
        return {}
    result = subprocess.run([tool, "--simplified", "--compact"], input="\n".join(mangled), text=True,
                            capture_output=True)
    return dict(zip(mangled, result.stdout.splitlines())) if result.returncode == 0 else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    rows = []
    for line in sys.stdin:
        match = LINE.match(line)
        if match:
            rows.append((float(match.group(1)), match.group(2), match.group(3)))
    if not rows:
        print("  (perf recorded no samples)")
        return
    layers: dict[str, float] = {}
    for share, dso, _ in rows:
        layers[layer(dso)] = layers.get(layer(dso), 0.0) + share
    print("  by layer: " + ", ".join(f"{name} {share:.1f}%" for name, share in
                                     sorted(layers.items(), key=lambda item: -item[1]) if share >= 0.5))
    print("  hottest symbols (self time):")
    hottest = sorted(rows, key=lambda row: -row[0])[:args.top]
    names = demangled([symbol for _, _, symbol in hottest])
    for share, dso, symbol in hottest:
        print(f"  {share:6.2f}%  {names.get(symbol, symbol)[:90]:<90}  {dso}")


if __name__ == "__main__":
    main()
