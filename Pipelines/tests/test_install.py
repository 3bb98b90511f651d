"""Pipelines/install.sh: the toolkit installed under a prefix runs with no Swift toolchain and a
clean environment, with manual pages, completions and the Python package, and goes away again.

The first install builds the tools in release mode with the Swift standard library linked
statically (in .build-static, which later installs find up to date).
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from conftest import REPO

TOOLS = ["frames", "generate-ground-truth", "sample-measurements", "corrupt-sparse", "solve-flat", "evaluate"]
INSTALL = REPO / "Pipelines" / "install.sh"
# Toolchain libraries: none may be needed, all are in the executables.
TOOLCHAIN_LIBRARIES = ("libswift", "libFoundation", "lib_Foundation", "libdispatch", "libBlocksRuntime", "libXCTest")


def install(*arguments, check=True, cwd="/"):
    # python3 is this interpreter, so the package lands where it would look.
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    result = subprocess.run(["bash", str(INSTALL), *arguments], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1800)
    if check and result.returncode != 0:
        raise AssertionError(f"install.sh {arguments} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def listing(root):
    return sorted(str(path.relative_to(root)) for path in pathlib.Path(root).rglob("*"))


def manifest(prefix):
    return (prefix / "share" / "flatmin" / "install-manifest").read_text().splitlines()


def toolchain_root():
    swift = shutil.which("swift")
    assert swift, "swift is not on PATH"
    return pathlib.Path(os.path.realpath(swift)).parents[2]


def clean_env(prefix, home, **extra):
    """Only PATH and HOME: the installed tools, Python, and the system's /usr/bin and /bin."""
    return {"PATH": f"{prefix}/bin:{os.path.dirname(sys.executable)}:/usr/bin:/bin", "HOME": str(home), **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A prefix that already held unrelated files, with the toolkit installed into it."""
    root = tmp_path_factory.mktemp("install")
    prefix, home = root / "prefix", root / "home"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "share" / "man" / "man1").mkdir(parents=True)
    (prefix / "bin" / "unrelated-tool").write_text("#!/bin/sh\n")
    (prefix / "share" / "man" / "man1" / "unrelated.1").write_text(".TH UNRELATED 1\n")
    home.mkdir()
    before = listing(prefix)
    result = install(str(prefix))
    site = next(line.split("=", 1)[1].split("$")[0] for line in result.stdout.splitlines()
                if line.startswith("for 'import flatframes': export PYTHONPATH="))
    return {"prefix": prefix, "home": home, "root": root, "site": pathlib.Path(site), "before": before}


def test_executables_need_no_toolchain(installed):
    toolchain = toolchain_root()
    for tool in TOOLS:
        path = installed["prefix"] / "bin" / tool
        dynamic = subprocess.run(["readelf", "-d", str(path)], check=True, stdout=subprocess.PIPE, text=True).stdout
        needed = [line.split("[", 1)[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line]
        assert needed and not [lib for lib in needed if lib.startswith(TOOLCHAIN_LIBRARIES)], (tool, needed)
        search = [entry for line in dynamic.splitlines() if "(RUNPATH)" in line or "(RPATH)" in line
                  for entry in line.split("[", 1)[1].rstrip("]").split(":")]
        assert set(search) <= {"$ORIGIN"}, (tool, search)
        resolved = subprocess.run(["ldd", str(path)], check=True, stdout=subprocess.PIPE, text=True).stdout
        assert "not found" not in resolved and str(toolchain) not in resolved, (tool, resolved)


def test_pipeline_runs_from_the_prefix_in_a_clean_environment(installed):
    """generate | sample | a Python stage | solve | evaluate, each from the prefix, with only
    PATH, HOME and PYTHONPATH set; with the toolchain's directory hidden when the test may
    mount over it (root, util-linux unshare)."""
    prefix, work = installed["prefix"], installed["root"]
    stage = REPO / "Pipelines" / "stages" / "uneven_sampling.py"
    script = (f"generate-ground-truth --d1 30 --rank 2 --seed 1"
              f" | sample-measurements --operator completion --p 0.9 --seed 2"
              f" | python3 {stage} --low 0.5 --seed 3 | solve-flat -o solved.frames"
              f" && evaluate solved.frames > report.json")
    command = ["sh", "-c", script]
    toolchain = toolchain_root()
    hidden = os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(
        ["unshare", "-m", "true"], stderr=subprocess.DEVNULL).returncode == 0
    if hidden:
        command = ["unshare", "-m", "sh", "-c", f"mount -t tmpfs none {toolchain} && [ -z \"$(ls -A {toolchain})\" ]"
                   f" && exec env -i PATH=\"$PATH\" HOME=\"$HOME\" PYTHONPATH=\"$PYTHONPATH\" sh -c '{script}'"]
    subprocess.run(command, check=True, cwd=work, timeout=300,
                   env=clean_env(prefix, installed["home"], PYTHONPATH=str(installed["site"])))
    report = json.loads((work / "report.json").read_text())
    assert report["converged"] and report["recovered"] and report["m"] < 900, report

    # The installed flatframes reads the solved stream; numpy recomputes evaluate's error.
    check = ("import json, sys, numpy as np, flatframes\n"
             "s = flatframes.load('solved.frames')\n"
             "X = s['estimate_left'] @ s['estimate_right'].T\n"
             "print(json.dumps({'module': flatframes.__file__,"
             " 'error': float(np.linalg.norm(X - s['truth']) / np.linalg.norm(s['truth']))}))\n")
    out = subprocess.run(["python3", "-c", check], check=True, cwd=work, stdout=subprocess.PIPE, text=True,
                         env=clean_env(prefix, installed["home"], PYTHONPATH=str(installed["site"])))
    recomputed = json.loads(out.stdout)
    assert recomputed["module"] == str(installed["site"] / "flatframes" / "__init__.py")
    assert abs(recomputed["error"] - report["relative_error"]) <= 1e-3 * report["relative_error"] + 1e-15


def test_python_package_is_under_the_prefix(installed):
    prefix, site = installed["prefix"], installed["site"]
    assert site == prefix / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    shipped = sorted(p.name for p in (REPO / "Pipelines" / "python" / "flatframes").iterdir() if p.is_file())
    installed_files = sorted(p.name for p in (site / "flatframes").iterdir() if p.is_file())
    assert installed_files == shipped
    for name in shipped:
        assert (site / "flatframes" / name).read_bytes() == (REPO / "Pipelines/python/flatframes" / name).read_bytes()


def test_manual_pages_say_what_the_help_says(installed):
    """man finds the pages from PATH alone (PREFIX/bin → PREFIX/share/man), renders them without
    a warning, and keeps every option and every non-ASCII symbol of --help."""
    prefix = installed["prefix"]
    man = shutil.which("man", path="/usr/bin:/bin")
    for tool in TOOLS:
        page = prefix / "share" / "man" / "man1" / f"{tool}.1"
        source = page.read_text(encoding="ascii")
        assert f".Dt {tool.upper()} 1" in source
        info = json.loads(subprocess.run([str(prefix / "bin" / tool), "--experimental-dump-help"], check=True,
                                         stdout=subprocess.PIPE).stdout)
        help_text = subprocess.run([str(prefix / "bin" / tool), "--help"], check=True, stdout=subprocess.PIPE,
                                   text=True).stdout
        if man is None:
            continue
        rendered = subprocess.run([man, "-P", "cat", tool], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=clean_env(prefix, installed["home"], LANG="C.UTF-8", MANWIDTH="250"))
        assert rendered.returncode == 0 and rendered.stderr == "", (tool, rendered.stderr)
        text = rendered.stdout
        assert text.startswith(f"{tool.upper()}(1)"), text[:200]
        words = " ".join(text.split())
        assert " ".join(info["command"]["abstract"].split()) in words
        for argument in info["command"].get("arguments", []):
            for name in argument.get("names", []):
                if name["kind"] == "long":
                    assert f"--{name['name']}" in text, (tool, name)
        # groff drops a combining mark before punctuation (X̂) itself; every other symbol stays.
        symbols = Counter(c for c in help_text if not c.isascii() and not 0x300 <= ord(c) < 0x370)
        assert not symbols - Counter(text), (tool, symbols - Counter(text))
        subcommands = [sub["commandName"] for sub in info["command"].get("subcommands", [])]
        synopsis = text.split("DESCRIPTION")[0]
        assert ("subcommand" in synopsis) == (subcommands != ["help"]), (tool, synopsis)
    frames = (prefix / "share" / "man" / "man1" / "frames.1").read_text()
    for subcommand in ["ls", "pick", "drop", "verify", "import", "export"]:
        assert f".It Em {subcommand}" in frames


def test_completions_load(installed):
    prefix = installed["prefix"]
    for tool in TOOLS:
        bash = prefix / "share" / "bash-completion" / "completions" / tool
        loaded = subprocess.run(["bash", "-c", f"source {bash} && complete -p {tool}"], check=True,
                                stdout=subprocess.PIPE, text=True).stdout
        assert tool in loaded
        zsh = (prefix / "share" / "zsh" / "site-functions" / f"_{tool}").read_text()
        assert zsh.startswith(f"#compdef {tool}")
        fish = (prefix / "share" / "fish" / "vendor_completions.d" / f"{tool}.fish").read_text()
        assert f"complete -c '{tool}'" in fish or f"complete -c {tool}" in fish


def test_manifest_lists_exactly_what_was_added(installed):
    prefix = installed["prefix"]
    entries = manifest(prefix)
    files = {line[2:] for line in entries if line.startswith("f ")}
    dirs = {line[2:] for line in entries if line.startswith("d ")}
    added = set(listing(prefix)) - set(installed["before"]) - {"share/flatmin/install-manifest"}
    # Python may have cached bytecode of the package since; those files are not the install's.
    added = {path for path in added if not (path.endswith(".pyc") and path not in files)}
    assert files | dirs == added
    assert {f"bin/{tool}" for tool in TOOLS} <= files
    assert {f"share/man/man1/{tool}.1" for tool in TOOLS} <= files
    assert "bin" not in dirs and "share/man/man1" not in dirs  # they were there before


def test_refuses_to_overwrite_then_reinstalls_and_uninstalls(tmp_path):
    """With PREFIX given relative to the caller's directory."""
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "evaluate").write_text("someone else's evaluate\n")
    (prefix / "notes.txt").write_text("unrelated\n")
    before = listing(prefix)

    refused = install("prefix", check=False, cwd=tmp_path)
    assert refused.returncode != 0
    last = refused.stderr.strip().splitlines()[-1]
    assert last.startswith("install.sh: ") and os.path.realpath(prefix / "bin" / "evaluate") in last
    assert listing(prefix) == before and (prefix / "bin" / "evaluate").read_text() == "someone else's evaluate\n"

    (prefix / "bin" / "evaluate").unlink()
    install("prefix", cwd=tmp_path)
    first = manifest(prefix)
    # A file a previous install listed and this one does not make goes; nothing else changes.
    (prefix / "bin" / "stale-tool").write_text("")
    with open(prefix / "share" / "flatmin" / "install-manifest", "a") as m:
        m.write("f bin/stale-tool\n")
    install("prefix", cwd=tmp_path)
    assert manifest(prefix) == first and not (prefix / "bin" / "stale-tool").exists()

    removed = install("--uninstall", "prefix", cwd=tmp_path)
    assert removed.stderr == ""
    assert listing(prefix) == sorted(set(before) - {"bin/evaluate"})
    again = install("--uninstall", "prefix", check=False, cwd=tmp_path)
    assert again.returncode != 0 and again.stderr.count("\n") == 1 and "nothing installed" in again.stderr
