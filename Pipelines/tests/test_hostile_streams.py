"""Every stream-reading tool on hostile streams (hostile_streams.py): exit status 1, one line
on stderr naming the tool and what is wrong, and a peak resident size far below what the
stream claims, however many gigabytes that is."""
import pathlib

import pytest

from conftest import tool
import hostile_streams

# The tools themselves take 10–20 MiB; what the streams claim runs to 64 GiB.
PEAK_RSS_BOUND = 200 << 20


@pytest.fixture(scope="module")
def streams(tmp_path_factory):
    """Each case's bytes, built once per frame name and kept on disk."""
    directory = tmp_path_factory.mktemp("hostile")
    cache = {}

    def path(case, frame_name):
        key = (case.name, frame_name)
        if key not in cache:
            cache[key] = directory / f"{case.name}-{frame_name}.frames"
            cache[key].write_bytes(case.build(frame_name))
        return cache[key]
    return path


@pytest.mark.parametrize("case", hostile_streams.CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("label", [label for label, _, _ in hostile_streams.tool_runs(pathlib.Path("."), pathlib.Path("."))])
def test_every_tool_fails_cleanly_within_bounded_memory(case, label, streams, tmp_path):
    runs = {run[0]: run for run in hostile_streams.tool_runs(pathlib.Path(tool("frames")).parent, tmp_path)}
    _, argv, frame_name = runs[label]
    outcome = hostile_streams.run_measured(argv, streams(case, frame_name))
    assert outcome.peak_rss_bytes < PEAK_RSS_BOUND, f"peak RSS {outcome.peak_rss_bytes >> 20} MiB"
    if case.payload_level and label == "frames ls":
        # ls reads headers and zstd framing and decompresses nothing: payload faults are for
        # the decoding tools to find.
        assert (outcome.status, outcome.stderr) == (0, "")
        return
    lines = outcome.stderr.splitlines()
    assert outcome.status == 1, outcome.stderr
    assert len(lines) == 1, outcome.stderr
    assert lines[0].startswith(f"{label}: "), lines[0]
    assert case.message in lines[0], lines[0]
    assert "frame 0" in lines[0], lines[0]
    assert not (tmp_path / "out.npy").exists()


@pytest.mark.parametrize("name,data,message", hostile_streams.import_cases(), ids=lambda value: value if isinstance(value, str) and "-" in value else "")
def test_frames_import_refuses_hostile_npy_files(name, data, message, tmp_path):
    path = tmp_path / f"{name}.npy"
    path.write_bytes(data)
    outcome = hostile_streams.run_measured([tool("frames"), "import", path, "--name", "x"], "/dev/null")
    lines = outcome.stderr.splitlines()
    assert outcome.status == 1 and len(lines) == 1, outcome.stderr
    assert lines[0].startswith("frames import: ") and message in lines[0], lines[0]
    assert outcome.peak_rss_bytes < PEAK_RSS_BOUND


@pytest.mark.parametrize("case,label", [(case, label) for case, labels in hostile_streams.INSTANCE_CASES
                                        for label in labels],
                         ids=lambda value: value if isinstance(value, str) else value.name)
def test_instances_larger_than_memory_are_refused_in_one_line(case, label, tmp_path):
    path = tmp_path / "stream.frames"
    path.write_bytes(case.build("observations"))
    outcome = hostile_streams.run_measured([tool(label)], path)
    lines = outcome.stderr.splitlines()
    assert outcome.status == 1 and len(lines) == 1, outcome.stderr[:300]
    assert lines[0].startswith(f"{label}: ") and case.message in lines[0], lines[0]
    assert outcome.peak_rss_bytes < PEAK_RSS_BOUND
