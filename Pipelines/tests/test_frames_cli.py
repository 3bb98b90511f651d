"""The `frames` tool as a person and a script meet it: messages, exit codes, pipes, files."""
import subprocess

import numpy as np
import pytest

from conftest import run, run_on_terminal, tool


@pytest.fixture
def stream(tmp_path):
    """Two frames: a 40×30 float64 matrix and an int64 vector, as files and as one stream."""
    rng = np.random.default_rng(3)
    np.save(tmp_path / "m.npy", rng.standard_normal((40, 30)))
    np.save(tmp_path / "v.npy", np.arange(7, dtype=np.int64))
    frames = tool("frames")
    a = run([frames, "import", str(tmp_path / "m.npy"), "--name", "m"]).stdout
    b = run([frames, "import", str(tmp_path / "v.npy"), "--name", "v"]).stdout
    return a + b


def one_error_line(result, tool_name):
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{tool_name}: "), lines[0]
    return lines[0]


def test_truncated_stream_names_tool_frame_and_byte(stream):
    cut = stream[: len(stream) - 30]
    line = one_error_line(run([tool("frames"), "verify"], input=cut, check=False), "frames verify")
    assert "stream ends inside the payload (frame 1 'v', byte " in line


def test_garbage_and_checksum_errors_are_one_line(stream):
    line = one_error_line(run([tool("frames"), "ls"], input=b"garbage" * 10, check=False), "frames ls")
    assert "bad magic" in line and "frame 0" in line
    corrupt = bytearray(stream)
    # The float64 frame's payload is mostly stored literally: flip a bit well inside it.
    corrupt[len(stream) // 3] ^= 0x10
    result = run([tool("frames"), "verify"], input=bytes(corrupt), check=False)
    line = one_error_line(result, "frames verify")
    assert "frame 0 'm'" in line and ("checksum mismatch" in line or "cannot be decoded" in line)


def test_limit_on_frame_size(stream):
    result = run([tool("frames"), "verify", "--max-frame-bytes", "1000"], input=stream, check=False)
    line = one_error_line(result, "frames verify")
    assert "over the 1000-byte limit" in line and "frame 0 'm'" in line


def test_ls_into_a_closed_pipe_exits_quietly(stream, tmp_path):
    path = tmp_path / "long.frames"
    path.write_bytes(stream * 2000)  # 4000 frames
    result = subprocess.run(f"set -o pipefail; '{tool('frames')}' ls '{path}' | head -1",
                            shell=True, executable="/bin/bash", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.split()[:2] == ["#", "name"]


def test_binary_output_is_refused_on_a_terminal(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros(3))
    status, output = run_on_terminal([tool("frames"), "import", tmp_path / "x.npy", "--name", "x"])
    assert status == 1
    assert b"refusing to write binary frames to a terminal" in output


def test_failed_output_file_is_not_left_half_written(stream, tmp_path):
    target = tmp_path / "out.frames"
    result = run([tool("frames"), "pick", "m", "-o", str(target)], input=stream[:-5], check=False)
    assert result.returncode == 1
    assert not target.exists()
    assert list(tmp_path.glob("out.frames*")) == []
    run([tool("frames"), "pick", "m", "-o", str(target)], input=stream)
    assert target.exists()


def test_pick_drop_and_ls_json(stream):
    frames = tool("frames")
    picked = run([frames, "pick", "v"], input=stream).stdout
    dropped = run([frames, "drop", "m"], input=stream).stdout
    assert picked == dropped
    import json
    rows = [json.loads(line) for line in run([frames, "ls", "--json"], input=stream).stdout.splitlines()]
    assert [r["name"] for r in rows] == ["m", "v"]
    assert rows[0]["shape"] == [40, 30] and rows[0]["dtype"] == "float64"
    assert rows[1]["npy_bytes"] == 128 + 7 * 8


def test_export_missing_frame_is_an_error(stream):
    line = one_error_line(run([tool("frames"), "export", "nope", "--csv", "-"], input=stream, check=False), "frames export")
    assert "no frame named 'nope'" in line


def test_csv_import_reports_the_bad_line(tmp_path):
    (tmp_path / "bad.csv").write_text("1,2\n3,x\n")
    result = run([tool("frames"), "import", str(tmp_path / "bad.csv"), "--name", "b"], check=False)
    assert "line 2 field 2: 'x' is not a number" in one_error_line(result, "frames import")
