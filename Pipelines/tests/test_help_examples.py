"""Help examples paste into a shell: at 80 columns no example line is wrapped by the help
formatter, continued lines end in a backslash, and every example parses as bash."""
import os
import subprocess

import pytest

from conftest import tool

COMMANDS = [["generate-ground-truth"], ["sample-measurements"], ["corrupt-sparse"], ["solve-flat"], ["evaluate"],
            ["frames"], ["frames", "ls"], ["frames", "pick"], ["frames", "drop"], ["frames", "export"],
            ["frames", "import"], ["frames", "verify"]]


def examples(command):
    """The indented lines after 'Example(s):' up to the next blank line or section."""
    help_text = subprocess.run([tool(command[0]), *command[1:], "--help"], capture_output=True, text=True,
                               env=dict(os.environ, COLUMNS="80"), check=True).stdout
    lines, block, inside = help_text.splitlines(), [], False
    for line in lines:
        if line.strip() in ("Example:", "Examples:"):
            inside = True
            continue
        if inside and (not line.strip() or line.isupper() or line.endswith(":") and not line.startswith(" ")):
            break
        if inside:
            block.append(line)
    return block


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_examples_paste_into_a_shell(command):
    block = examples(command)
    assert block, "no examples in the help"
    for line in block:
        assert line.startswith("  "), f"a wrapped example line: {line!r}"
    script = "\n".join(line.strip().replace("…", "cat") for line in block)
    parsed = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr
