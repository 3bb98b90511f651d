#!/usr/bin/env python3
"""Lets swift-argument-parser's manual generator keep what the tools' help says.

    manual_pages.py dump TOOL    TOOL's --experimental-dump-help, prepared for the generator
    manual_pages.py finish PAGE  completes the page the generator wrote from that, in place

Pipelines/install.sh gives the generator a script that runs `dump`, then runs `finish` on the
page. The generator (1.8) drops every character outside ASCII, which would leave the formulas
of the help (‖X̂ − M♮‖, σ₁, ≤) as gaps; it leaves a line of a long description that begins
with '.' or an apostrophe to be read as a roff request; it writes blank lines, which mdoc
warns about on every `man`; and the dump lists a 'help' subcommand even for a tool without
subcommands, which refuses it. `dump` marks each non-ASCII character, line start and blank
line with ASCII control characters the generator passes through, and drops the phantom
'help'; `finish` turns the marks into roff: \\[uXXXX] glyphs, \\& and .Pp.
"""
import json
import re
import subprocess
import sys

START, END = "\x01", "\x02"


def mark(text):
    """The generator escapes the start of a text, not that of its later lines."""
    lines = []
    for number, line in enumerate(text.split("\n")):
        if number > 0 and not line.strip():
            lines.append(f"{START}Pp{END}")
            continue
        if number > 0 and line[0] in ".'":
            line = f"{START}&{END}{line}"
        lines.append("".join(c if c.isascii() else f"{START}u{ord(c):04X}{END}" for c in line))
    return "\n".join(lines)


def mark_all(value):
    if isinstance(value, str):
        return mark(value)
    if isinstance(value, list):
        return [mark_all(item) for item in value]
    if isinstance(value, dict):
        return {key: mark_all(item) for key, item in value.items()}
    return value


def dump(tool):
    info = json.loads(subprocess.run([tool, "--experimental-dump-help"], check=True,
                                     stdout=subprocess.PIPE).stdout)
    command = info["command"]
    if [sub["commandName"] for sub in command.get("subcommands") or []] == ["help"]:
        del command["subcommands"]
    json.dump(mark_all(info), sys.stdout)


def finish(path):
    with open(path, encoding="ascii") as page:
        text = page.read()
    text = re.sub(f"^{START}Pp{END}$", ".Pp", text, flags=re.MULTILINE)
    text = text.replace(f"{START}&{END}", "\\&")
    # groff 1.22 maps \[u226A] to ≫ and \[u226B] to ≪; their glyph names are right everywhere.
    text = text.replace(f"{START}u226A{END}", "\\[<<]").replace(f"{START}u226B{END}", "\\[>>]")
    text = re.sub(f"{START}u([0-9A-F]{{4,6}}){END}", r"\\[u\1]", text)
    if START in text or END in text:
        raise SystemExit(f"manual_pages.py: {path}: a mark the generator moved is left over")
    with open(path, "w", encoding="ascii") as page:
        page.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("dump", "finish"):
        raise SystemExit("usage: manual_pages.py dump TOOL | finish PAGE")
    (dump if sys.argv[1] == "dump" else finish)(sys.argv[2])
