"""`-o FILE` as a user meets it: signals and a full disk leave no partial or temporary file,
an existing file needs --force, a device, fifo or process substitution is written through,
and no run writes over its own input (issue: output files are safe)."""
import os
import pathlib
import resource
import signal
import stat
import subprocess
import time

import pytest

from conftest import run, tool

SMALL = ["--d1", "6", "--d2", "5", "--rank", "2", "--seed", "1"]


def generate(tmp_path, name="a.frames", *extra):
    target = tmp_path / name
    run([tool("generate-ground-truth"), *SMALL, *extra, "-o", str(target)])
    return target


def leftovers(directory):
    return sorted(p.name for p in pathlib.Path(directory).iterdir() if ".partial-" in p.name)


def slow_instance(tmp_path):
    """A robust PCA instance solve-flat takes a few seconds on: time to send a signal."""
    truth = run([tool("generate-ground-truth"), "--d1", "400", "--d2", "400", "--rank", "10", "--seed", "1"]).stdout
    observed = run([tool("sample-measurements"), "--operator", "identity", "--seed", "2"], input=truth).stdout
    corrupted = run([tool("corrupt-sparse"), "--fraction", "0.05", "--per-line", "40", "--seed", "3"], input=observed).stdout
    path = tmp_path / "instance.frames"
    path.write_bytes(corrupted)
    return path


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_leaves_no_file(tmp_path, signal_number):
    instance = slow_instance(tmp_path)
    target = tmp_path / "solved.frames"
    with open(instance, "rb") as stdin:
        # A signal this test's own runner ignores (nohup ignores SIGHUP) would stay ignored in
        # the tool, as it should; the tool is started with the default disposition instead.
        process = subprocess.Popen([tool("solve-flat"), "--oracle-budget", "-q", "-o", str(target)],
                                   stdin=stdin, stderr=subprocess.PIPE,
                                   preexec_fn=lambda: signal.signal(signal_number, signal.SIG_DFL))
        deadline = time.time() + 20
        while not leftovers(tmp_path) and process.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        assert leftovers(tmp_path), "the temporary file should exist while the solver runs"
        process.send_signal(signal_number)
        status = process.wait()
    assert status == -signal_number, "the tool dies of the signal it got"
    assert not target.exists() and leftovers(tmp_path) == []


def test_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path):
    target = generate(tmp_path)
    before = target.read_bytes()

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = run([tool("generate-ground-truth"), "--d1", "200", "--d2", "200", "--rank", "3", "--seed", "1",
                  "-f", "-o", str(target)], check=False, preexec_fn=limit_file_size)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "File too large" in result.stderr and "a.frames" in result.stderr
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_an_existing_file_needs_force_and_keeps_its_mode(tmp_path):
    target = generate(tmp_path)
    os.chmod(target, 0o600)
    before = target.read_bytes()
    result = run([tool("generate-ground-truth"), *SMALL, "--seed", "2", "-o", str(target)], check=False)
    assert result.returncode == 1 and "--force" in result.stderr and target.read_bytes() == before
    run([tool("generate-ground-truth"), *SMALL, "--seed", "2", "--force", "-o", str(target)])
    assert target.read_bytes() != before
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_symbolic_link_stays_a_link(tmp_path):
    target = generate(tmp_path)
    link = tmp_path / "link.frames"
    link.symlink_to("a.frames")
    run([tool("generate-ground-truth"), *SMALL, "--seed", "3", "-f", "-o", str(link)])
    assert link.is_symlink() and link.read_bytes() == target.read_bytes()
    assert target.read_bytes() == run([tool("generate-ground-truth"), *SMALL, "--seed", "3"]).stdout


def test_devices_and_process_substitution_are_written_through(tmp_path):
    run([tool("generate-ground-truth"), *SMALL, "-o", "/dev/null"])
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null must stay a device"
    expected = len(run([tool("generate-ground-truth"), *SMALL]).stdout)
    # stdout is read to its end, which comes only once wc, holding it too, has exited.
    counted = subprocess.run(["bash", "-c", f'{tool("generate-ground-truth")} {" ".join(SMALL)} -o >(wc -c)'],
                             stdout=subprocess.PIPE, check=True)
    assert int(counted.stdout) == expected


@pytest.mark.parametrize("how", ["file", "stdin", "stdout"])
def test_an_input_is_never_the_output(tmp_path, how):
    instance = generate(tmp_path, "a.frames")
    run([tool("sample-measurements"), "--operator", "gaussian", "--m", "20", "--seed", "2",
         "-o", str(tmp_path / "b.frames")], input=instance.read_bytes())
    source = tmp_path / "b.frames"
    before = source.read_bytes()
    if how == "file":
        result = run([tool("solve-flat"), "-q", str(source), "-f", "-o", str(source)], check=False)
    elif how == "stdin":
        with open(source, "rb") as stdin:
            result = run([tool("solve-flat"), "-q", "-f", "-o", str(source)], stdin=stdin, check=False)
    else:
        with open(source, "ab") as stdout:
            result = subprocess.run([tool("solve-flat"), "-q", str(source)], stdout=stdout,
                                    stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1 and result.stderr.count("\n") == 1 and "also an input" in result.stderr
    assert source.read_bytes() == before


def test_every_file_writing_option_follows_the_rules(tmp_path):
    stream = generate(tmp_path)
    for command in (["frames", "export", "truth", str(stream), "--npy"],
                    ["frames", "export", "truth", str(stream), "--csv"],
                    ["evaluate", str(stream), "--report"]):
        existing = tmp_path / "existing"
        existing.write_bytes(b"keep")
        result = run([tool(command[0]), *command[1:], str(existing)], check=False)
        assert result.returncode == 1 and "--force" in result.stderr and existing.read_bytes() == b"keep", command
        run([tool(command[0]), *command[1:], str(existing), "--force"])
        assert existing.read_bytes() != b"keep"
        result = run([tool(command[0]), *command[1:], str(stream), "--force"], check=False)
        assert result.returncode == 1 and "also an input" in result.stderr, command
