"""One pipeline per model, as the README shows them, checked against numpy on the same bytes."""
import numpy as np
import pytest

from conftest import frames_of, pipeline, run, tool


def relative_gap(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def test_gaussian_sensing():
    f = frames_of(pipeline(["generate-ground-truth", "--d1", "12", "--d2", "9", "--rank", "2", "--seed", "1"],
                           ["sample-measurements", "--operator", "gaussian", "--oversampling", "5", "--seed", "2"]))
    truth, sensing = f["truth"].array, f["sensing"].array
    assert sensing.shape == (5 * 2 * 21, 12, 9)
    assert relative_gap(f["observations"].array, np.einsum("ipq,pq->i", sensing, truth)) < 1e-13


def test_bilinear_sensing():
    f = frames_of(pipeline(["generate-ground-truth", "--d1", "10", "--d2", "14", "--rank", "2"],
                           ["sample-measurements", "--operator", "bilinear", "--m", "300", "--seed", "5"]))
    a, c, truth = f["sensing_left"].array, f["sensing_right"].array, f["truth"].array
    assert relative_gap(f["observations"].array, np.einsum("ip,pq,iq->i", a, truth, c)) < 1e-13


def test_matrix_completion():
    f = frames_of(pipeline(["generate-ground-truth", "--d1", "40", "--d2", "30", "--rank", "3"],
                           ["sample-measurements", "--operator", "completion", "--p", "0.25", "--seed", "3"]))
    entries = f["entries"].array
    assert entries.dtype == np.int64 and entries.shape[1] == 2
    assert np.array_equal(f["observations"].array, f["truth"].array[entries[:, 0], entries[:, 1]])
    assert len({tuple(e) for e in entries}) == len(entries)


@pytest.mark.parametrize("kind", [["--kind", "psd"], ["--kind", "signed", "--rank-neg", "1"]])
def test_quadratic_sensing(kind):
    f = frames_of(pipeline(["generate-ground-truth", "--d1", "15", "--rank", "2", *kind],
                           ["sample-measurements", "--operator", "quadratic", "--m", "200", "--noise", "0.01",
                            "--holdout", "50", "--seed", "4"]))
    x, truth = f["features"].array, f["truth"].array
    clean = np.einsum("ip,pq,iq->i", x, truth, x)
    noise = f["observations"].array - clean
    attributes = f["observations"].attributes
    assert np.isclose(np.linalg.norm(noise), attributes["noise_norm"], rtol=1e-9)
    assert np.isclose(attributes["noise_std"], 0.01 * np.sqrt(np.mean(clean ** 2)), rtol=1e-12)
    hx = f["holdout_features"].array
    held_noise = f["holdout_observations"].array - np.einsum("ip,pq,iq->i", hx, truth, hx)
    assert np.isclose(np.linalg.norm(held_noise), f["holdout_observations"].attributes["noise_norm"], rtol=1e-9)


def test_robust_pca():
    stream = pipeline(["generate-ground-truth", "--d1", "30", "--rank", "2", "--seed", "7"],
                      ["sample-measurements", "--operator", "identity"],
                      ["corrupt-sparse", "--count", "60", "--per-line", "3", "--distribution", "constant",
                       "--magnitude", "5", "--seed", "8"])
    f = frames_of(stream)
    difference = f["observations"].array - f["truth"].array
    support = f["outliers_support"].array
    rows, columns = support % 30, support // 30   # column-major linear indices
    assert support.size == 60
    assert np.bincount(rows, minlength=30).max() <= 3 and np.bincount(columns, minlength=30).max() <= 3
    expected = np.zeros(900)
    expected[support] = f["outliers_values"].array
    assert np.array_equal(difference.ravel(order="F"), expected)
    assert np.allclose(f["outliers_values"].array, 5)


def test_whole_pipeline_is_byte_identical_at_any_thread_count():
    def make(threads):
        return pipeline(["generate-ground-truth", "--d1", "40", "--rank", "3", "--seed", "1", "--threads", threads],
                        ["sample-measurements", "--operator", "gaussian", "--m", "2000", "--holdout", "100",
                         "--noise", "0.01", "--seed", "2", "--threads", threads],
                        ["corrupt-sparse", "--fraction", "0.05", "--seed", "3", "--threads", threads])
    one, two = make("1"), make("2")
    assert len(one) > 8 << 20   # the sensing frame is large enough for multi-threaded compression
    assert one == two


def test_sample_measurements_errors_are_one_line():
    truth = pipeline(["generate-ground-truth", "--d1", "6", "--d2", "4", "--rank", "1"])
    for args, message in [(["--operator", "quadratic"], "needs a square truth"),
                          (["--operator", "completion", "--m", "25"], "exceeds the 24 entries"),
                          (["--operator", "gaussian", "--p", "0.5"], "--p applies to --operator completion only")]:
        result = run([tool("sample-measurements"), *args], input=truth, check=False)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sample-measurements: ") and message in lines[0], result.stderr
    result = run([tool("sample-measurements")], input=b"", check=False)
    assert result.returncode == 1 and "neither a 'truth' frame nor 'truth_left' and 'truth_right'" in result.stderr
