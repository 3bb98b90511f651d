"""`evaluate` rows join back to a sweep's parameters: the input's name, each stage's seed and
arguments from the provenance, and user tags, in JSON Lines and CSV that pandas loads as they
are; -o writes the table, -q keeps stderr quiet."""
import io

import pytest

from conftest import run, tool

pandas = pytest.importorskip("pandas")


def solved(tmp_path, seed, m):
    truth = run([tool("generate-ground-truth"), "--d1", "8", "--rank", "2", "--seed", str(seed)]).stdout
    observed = run([tool("sample-measurements"), "--m", str(m), "--seed", str(seed + 100)], input=truth).stdout
    path = tmp_path / f"run-{seed}-{m}.frames"
    path.write_bytes(run([tool("solve-flat"), "-q", "--timings", "--seed", str(seed + 200)], input=observed).stdout)
    return path


@pytest.mark.parametrize("form", ["json", "csv"])
def test_a_sweep_table_joins_back_to_its_parameters(tmp_path, form):
    runs = {(seed, m): solved(tmp_path, seed, m) for seed in (1, 2) for m in (40, 60)}
    table_path = tmp_path / f"table.{form}"
    result = run([tool("evaluate"), *map(str, runs.values()), "--format", form, "-q", "-o", str(table_path),
                  "--tag", "sweep=demo", "--tag", "budget=2.5", "--tag", "cold=true"])
    assert result.stdout == b"" and result.stderr == ""
    table = pandas.read_json(table_path, lines=True) if form == "json" else pandas.read_csv(table_path)
    assert len(table) == 4
    assert list(table["input"]) == [str(path) for path in runs.values()]
    for (seed, m), path in runs.items():
        row = table[table["input"] == str(path)].iloc[0]
        assert row["truth_seed"] == seed and row["measurement_seed"] == seed + 100 and row["solve_seed"] == seed + 200
        assert f"--m {m}" in row["measurement_args"] and f"--seed {seed}" in row["truth_args"]
        assert row["m"] == m and row["sweep"] == "demo" and row["budget"] == 2.5 and bool(row["cold"]) is True
        assert row["seconds"] > 0 and bool(row["recovered"]) in (True, False)
    for column in ("relative_error", "residual", "scaled_trace", "seconds", "budget"):
        assert pandas.api.types.is_float_dtype(table[column]), column
    for column in ("d1", "m", "truth_seed", "measurement_seed", "iterations"):
        assert pandas.api.types.is_integer_dtype(table[column]), column


def test_a_tag_must_be_new_and_well_formed(tmp_path):
    path = solved(tmp_path, 3, 50)
    for tag, message in (("relative_error=1", "repeats a column"), ("novalue", "KEY=VALUE"), ("=1", "KEY=VALUE")):
        result = run([tool("evaluate"), str(path), "--tag", tag], check=False)
        assert result.returncode != 0 and message in result.stderr and result.stderr.count("\n") == 1


def test_the_table_format_shows_tags_and_provenance(tmp_path):
    path = solved(tmp_path, 4, 50)
    text = run([tool("evaluate"), str(path), "--format", "table", "--tag", "label=a"]).stdout.decode()
    assert "label" in text and "truth_seed" in text and "measurement_args" in text
