"""Pipelines/reproduce/phase-transition.sh --small across two hosts (GNU parallel's --sshloginfile):
two sshd servers started here on free localhost ports, each with its own host key, log and
HOSTNAME for its sessions, one fresh client key. The records and tables must be those of the
single-machine run, save the host and the times, and each server must have run jobs."""
import csv
import getpass
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BIN, REPO, tool

SCRIPT = REPO / "Pipelines" / "reproduce" / "phase-transition.sh"
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
# What differs between two runs of the same sweep: where and how long.
MACHINE_KEYS = {"host", "wall_seconds", "seconds"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


class Server:
    def __init__(self, root, name, client_public_key):
        self.dir = root / name
        self.dir.mkdir()
        self.port = free_port()
        self.hostname = f"{name}-{self.port}"
        self.host_key = keygen(self.dir / "host_ed25519")
        self.log = self.dir / "sshd.log"
        (self.dir / "authorized_keys").write_text(client_public_key)
        config = self.dir / "sshd_config"
        config.write_text(f"""\
Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.dir}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
LogLevel VERBOSE
SetEnv HOSTNAME={self.hostname}
""")
        # sshd re-executes itself, so it wants its absolute path; -D: stay in the foreground.
        self.process = subprocess.Popen([SSHD, "-D", "-f", str(config), "-E", str(self.log)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def known_host(self):
        key_type, key = (self.dir / "host_ed25519.pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {key}\n"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    if not os.path.isfile(SSHD):
        pytest.skip("sshd is not installed (openssh-server; Pipelines/ensure-dependencies.sh --tests installs it)")
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("ssh or ssh-keygen is not installed (openssh-client)")
    if os.geteuid() == 0:
        # sshd started by root separates privileges into this empty folder (its service makes it).
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    root = tmp_path_factory.mktemp("ssh")
    client_key = keygen(root / "client_ed25519")
    started = []
    try:
        for name in ("alpha", "beta"):
            started.append(Server(root, name, (root / "client_ed25519.pub").read_text()))
        known_hosts = root / "known_hosts"
        known_hosts.write_text("".join(s.known_host() for s in started))
        for s in started:
            s.ssh = ["ssh", "-p", str(s.port), "-i", str(client_key), "-o", "IdentitiesOnly=yes",
                     "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                     "-o", f"UserKnownHostsFile={known_hosts}", "-o", "LogLevel=ERROR",
                     f"{getpass.getuser()}@127.0.0.1"]
            deadline = time.monotonic() + 15
            while True:
                probe = subprocess.run([*s.ssh, "echo $HOSTNAME"], capture_output=True, text=True)
                if probe.returncode == 0:
                    assert probe.stdout.strip() == s.hostname
                    break
                if s.process.poll() is not None or time.monotonic() > deadline:
                    log = s.log.read_text() if s.log.exists() else ""
                    pytest.fail(f"sshd on port {s.port} did not let us in: {probe.stderr}"
                                f"{s.process.stderr.read().decode() if s.process.poll() is not None else ''}{log}")
                time.sleep(0.2)
        yield root, started
    finally:
        for s in started:
            s.stop()


def sweep(out, *args):
    tool("solve-flat")  # skips when the tools are not built
    env = {**os.environ, "FLATMIN_BIN": str(BIN)}
    return subprocess.run([str(SCRIPT), "--small", "--out", str(out), *args], env=env,
                          capture_output=True, text=True, timeout=300)


def records(out):
    return [json.loads(line) for line in (out / "phase-transition.jsonl").read_text().splitlines()]


def rows(path, drop):
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


def test_phase_transition_on_two_ssh_hosts_matches_one_machine(servers, tmp_path):
    root, (alpha, beta) = servers
    hosts = tmp_path / "hosts.txt"
    # ncpus/ssh command … user@host, GNU parallel's form: one job at a time on each server.
    hosts.write_text("# two sshd servers on this machine\n" + "".join(f"1/{' '.join(s.ssh)}\n" for s in (alpha, beta)))
    # The tools' folder on the hosts, named by another path than FLATMIN_BIN here.
    remote_bin = tmp_path / "remote-bin"
    remote_bin.symlink_to(BIN.resolve(), target_is_directory=True)

    local = sweep(tmp_path / "local", "--jobs", "2")
    assert local.returncode == 0, local.stderr
    multi = sweep(tmp_path / "multi", "--sshloginfile", str(hosts), "--remote-bin", str(remote_bin))
    assert multi.returncode == 0, multi.stderr
    assert f"hosts from {hosts}" in multi.stderr

    here, there = records(tmp_path / "local"), records(tmp_path / "multi")
    assert len(here) == len(there) == 8
    # Every job ran on one of the two servers, and each server ran some.
    assert {r["host"] for r in here} == {socket.gethostname()}
    ran_on = [r["host"] for r in there]
    assert set(ran_on) == {alpha.hostname, beta.hostname}, ran_on
    for s in (alpha, beta):
        assert "Accepted publickey for " in s.log.read_text()
    # The same records, field for field (errors to the last bit), but for where and how long.
    assert all(r["relative_error"] >= 0 for r in here)
    strip = lambda rs: [{k: v for k, v in r.items() if k not in MACHINE_KEYS} for r in rs]
    assert strip(there) == strip(here)

    # The one aggregator on this machine gives the same tables: the per-solve and summary CSVs
    # without their time columns, the success grid and the fit byte for byte.
    times = {"host", "wall_seconds", "seconds", "median_seconds", "median_wall_seconds"}
    for name in ("phase-transition.csv", "phase-transition-summary.csv"):
        assert rows(tmp_path / "multi" / name, times) == rows(tmp_path / "local" / name, times)
    grid = lambda out: (out / "phase-transition-table.md").read_text().split("Summary")[0]
    assert "| r \\ m | 16 | 32 | 48 | 64 |" in grid(tmp_path / "local")
    assert grid(tmp_path / "multi") == grid(tmp_path / "local")
    fit = lambda out: (out / "phase-transition-fit.txt").read_text()
    assert fit(tmp_path / "multi") == fit(tmp_path / "local")


def test_missing_tools_on_a_host_is_one_clear_error(servers, tmp_path):
    root, (alpha, _) = servers
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(f"1/{' '.join(alpha.ssh)}\n")
    missing = tmp_path / "no-such-bin"
    result = sweep(tmp_path / "out", "--sshloginfile", str(hosts), "--remote-bin", str(missing))
    assert result.returncode != 0
    assert f"sweep: no solve-flat in {missing} on {alpha.hostname}" in result.stderr
    assert "Traceback" not in result.stderr
