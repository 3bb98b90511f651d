"""evaluate from the command line: every metric against numpy on the same frames, for
Gaussian sensing with a held-out set, the signed quadratic model and robust PCA; the json,
csv and table formats; --pass forwarding the stream byte for byte; missing frames."""
import csv
import io
import json

import numpy as np
import pytest

from conftest import frames_of, pipeline, run, tool


def evaluate(data, *options):
    return json.loads(run([tool("evaluate"), "--format", "json", *options], input=data).stdout)


@pytest.fixture(scope="module")
def gaussian():
    return pipeline(["generate-ground-truth", "--d1", "12", "--d2", "10", "--rank", "2", "--seed", "1"],
                  ["sample-measurements", "--operator", "gaussian", "--m", "150", "--holdout", "60", "--seed", "2"],
                  ["solve-flat", "--quiet"])


@pytest.fixture(scope="module")
def quadratic():
    return pipeline(["generate-ground-truth", "--d1", "8", "--rank", "2", "--kind", "signed", "--rank-neg", "1", "--seed", "3"],
                  ["sample-measurements", "--operator", "quadratic", "--m", "120", "--seed", "4"],
                  ["solve-flat", "--quiet"])


@pytest.fixture(scope="module")
def robust_pca():
    return pipeline(["generate-ground-truth", "--d1", "20", "--rank", "2", "--seed", "3"],
                  ["sample-measurements", "--operator", "identity", "--seed", "4"],
                  ["corrupt-sparse", "--fraction", "0.04", "--per-line", "2", "--seed", "5"],
                  ["solve-flat", "--quiet", "--oracle-budget"])


def dense_operator(f, prefix=""):
    """The A_i as an m×d1×d2 array, for the three families used here."""
    family = f[prefix + "observations"].attributes["operator"]
    if family == "gaussian":
        return f[prefix + "sensing"].array
    if family == "quadratic":
        x = f[prefix + "features"].array
        return np.einsum("ip,iq->ipq", x, x)
    d1, d2 = f[prefix + "observations"].array.shape
    units = np.eye(d1 * d2).reshape(d1 * d2, d2, d1).transpose(0, 2, 1)  # A_i = e_p e_qᵀ, i = p + q·d1
    return units


def observations(f, prefix=""):
    return f[prefix + "observations"].array.flatten(order="F")


def root(s):
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def loss_gradient(a, b, left, right):
    """∇ of (1/2m)‖A(L·Rᵀ) − b‖² in (L, R) for general factors."""
    r = np.einsum("ipq,pq->i", a, left @ right.T) - b
    g = np.einsum("i,ipq->pq", r, a) / len(b)
    return g @ right, g.T @ left


def numpy_sharpness(a, b, left, right, symmetric):
    """λ_max of a dense Hessian by central differences of the gradient (θ = U for the
    quadratic model, whose R = U·S)."""
    signs = np.sign(np.einsum("pj,pj->j", left, right)) if symmetric else None

    def gradient(theta):
        if symmetric:
            u = theta.reshape(left.shape, order="F")
            gl, gr = loss_gradient(a, b, u, u * signs)
            return (gl + gr * signs).flatten(order="F")
        l = theta[:left.size].reshape(left.shape, order="F")
        r = theta[left.size:].reshape(right.shape, order="F")
        gl, gr = loss_gradient(a, b, l, r)
        return np.concatenate([gl.flatten(order="F"), gr.flatten(order="F")])

    theta = left.flatten(order="F") if symmetric else np.concatenate([left.flatten(order="F"), right.flatten(order="F")])
    h = 1e-6 * max(1.0, np.abs(theta).max())
    columns = []
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = h
        columns.append((gradient(theta + step) - gradient(theta - step)) / (2 * h))
    hessian = np.array(columns).T
    return np.linalg.eigvalsh((hessian + hessian.T) / 2).max()


def check_against_numpy(data, report, symmetric=False):
    f = frames_of(data)
    truth, x = f["truth"].array, f["estimate"].array
    left, right = f["estimate_left"].array, f["estimate_right"].array
    a, b = dense_operator(f), observations(f)
    m, d1, d2 = a.shape
    close = dict(rel=1e-9, abs=1e-15)

    assert report["relative_error"] == pytest.approx(np.linalg.norm(x - truth) / np.linalg.norm(truth), **close)
    assert report["recovered"] is (report["relative_error"] <= 1e-6)
    sigma = np.linalg.svd(x, compute_uv=False)
    assert report["singular_values"] == pytest.approx(sigma[:10], rel=1e-9, abs=1e-13 * sigma[0])
    assert report["numerical_rank"] == int((sigma > 1e-8 * sigma[0]).sum())
    truth_sigma = np.linalg.svd(truth, compute_uv=False)
    assert report["truth_rank"] == int((truth_sigma > 1e-8 * truth_sigma[0]).sum())
    residual = np.einsum("ipq,pq->i", a, x) - b
    assert report["residual"] == pytest.approx(np.linalg.norm(residual) / np.linalg.norm(b), rel=1e-6, abs=1e-14)
    d1_squared = np.einsum("ipq,irq->pr", a, a) / (m * d2)
    d2_squared = np.einsum("ipq,ipr->qr", a, a) / (m * d1)
    str_numpy = np.trace(left.T @ d1_squared @ left) + np.trace(right.T @ d2_squared @ right)
    assert report["scaled_trace"] == pytest.approx(str_numpy, **close)
    flattest = 2 * np.linalg.norm(root(d1_squared) @ truth @ root(d2_squared), "nuc")
    assert report["flattest"] == pytest.approx(flattest, **close)
    gram_left, gram_right = left.T @ left, right.T @ right
    assert report["balancedness"] == pytest.approx(np.linalg.norm(gram_left - gram_right) / np.linalg.norm(gram_left), rel=1e-8, abs=1e-15)
    norm_minimality = (np.sum(left ** 2) + np.sum(right ** 2)) / (2 * np.linalg.norm(x, "nuc"))
    assert report["norm_minimality"] == pytest.approx(norm_minimality, **close)
    attributes = f["estimate"].attributes
    for key in ["method", "rank", "data_fit", "converged", "iterations", "passes", "seconds", "lower_bound"]:
        assert report[key] == attributes.get(key)
    assert report["operator"] == f["observations"].attributes["operator"] and report["m"] == m
    assert (report["d1"], report["d2"]) == truth.shape
    if report["sharpness"] is not None:
        assert report["sharpness"] == pytest.approx(numpy_sharpness(a, b, left, right, symmetric), rel=1e-5)
    return f


def test_gaussian_sensing_with_a_held_out_set(gaussian):
    report = evaluate(gaussian, "--sharpness")
    f = check_against_numpy(gaussian, report)
    a_h, b_h = dense_operator(f, "holdout_"), observations(f, "holdout_")
    holdout = np.linalg.norm(np.einsum("ipq,pq->i", a_h, f["estimate"].array) - b_h) / np.linalg.norm(b_h)
    assert report["holdout_error"] == pytest.approx(holdout, rel=1e-6, abs=1e-14)
    assert report["recovered"] is True and report["missing"] == []
    assert report["outlier_precision"] is None and report["sharpness"] > 0


def test_signed_quadratic_model(quadratic):
    report = evaluate(quadratic, "--sharpness")
    check_against_numpy(quadratic, report, symmetric=True)
    assert report["operator"] == "quadratic" and report["holdout_error"] is None


def test_robust_pca_outlier_support(robust_pca):
    report = evaluate(robust_pca)
    f = check_against_numpy(robust_pca, report)
    b = observations(f)
    detected = set(np.flatnonzero(np.abs(b - f["estimate"].array.flatten(order="F")) > 1e-6 * np.abs(b).max()))
    injected = set(f["outliers_support"].array.tolist())
    assert report["outlier_precision"] == pytest.approx(len(detected & injected) / len(detected))
    assert report["outlier_recall"] == pytest.approx(len(detected & injected) / len(injected))
    assert report["recovered"] is True and report["outlier_precision"] == report["outlier_recall"] == 1


def test_csv_has_a_header_and_a_row_per_input_and_agrees_with_json(gaussian, robust_pca, tmp_path):
    (tmp_path / "g.frames").write_bytes(gaussian)
    (tmp_path / "r.frames").write_bytes(robust_pca)
    out = run([tool("evaluate"), "--format", "csv", str(tmp_path / "g.frames"), str(tmp_path / "r.frames")]).stdout.decode()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    report = evaluate(gaussian)
    assert list(rows[0].keys()) == list(report.keys())
    assert float(rows[0]["relative_error"]) == report["relative_error"]
    assert [float(s) for s in rows[0]["singular_values"].split(";")] == report["singular_values"]
    assert rows[0]["outlier_recall"] == "" and rows[1]["operator"] == "identity"


def test_table_is_for_people(gaussian):
    out = run([tool("evaluate"), "--format", "table"], input=gaussian).stdout.decode()
    lines = out.splitlines()
    assert lines[0] == "stdin"
    values = dict(line.split(None, 1) for line in lines[1:])
    assert values["method"] == "flat" and values["recovered"] == "true"
    assert float(values["relative_error"]) == pytest.approx(evaluate(gaussian)["relative_error"], rel=1e-5)
    assert "outlier_recall" not in values and "sharpness" not in values


def test_json_is_the_default_off_a_terminal(gaussian):
    assert json.loads(run([tool("evaluate")], input=gaussian).stdout) == evaluate(gaussian)


def test_pass_forwards_the_stream_unchanged_and_reports_on_stderr(gaussian, tmp_path):
    result = run([tool("evaluate"), "--pass"], input=gaussian)
    assert result.stdout == gaussian
    assert json.loads(result.stderr)["relative_error"] == evaluate(gaussian)["relative_error"]
    report_file = tmp_path / "report.csv"
    result = run([tool("evaluate"), "--pass", "--format", "csv", "--report", str(report_file)], input=gaussian)
    assert result.stdout == gaussian and result.stderr == ""
    assert report_file.read_text().startswith("input,operator,d1,d2,m,")


def test_missing_frames_are_named_and_the_rest_reported(gaussian):
    no_truth = run([tool("frames"), "drop", "truth*"], input=gaussian).stdout
    report = evaluate(no_truth)
    assert report["missing"] == ["truth"]
    assert report["relative_error"] is None and report["flattest"] is None and report["recovered"] is None
    assert report["residual"] == evaluate(gaussian)["residual"]
    table = run([tool("evaluate"), "--format", "table"], input=no_truth).stdout.decode()
    assert "missing: truth" in table

    no_operator = run([tool("frames"), "drop", "sensing"], input=gaussian).stdout
    report = evaluate(no_operator)
    assert report["missing"] == ["sensing"] and report["residual"] is None and report["scaled_trace"] is None
    assert report["relative_error"] is not None


def test_a_stream_with_neither_truth_nor_estimate_is_an_error(gaussian):
    bare = run([tool("frames"), "drop", "truth*,estimate*"], input=gaussian).stdout
    result = run([tool("evaluate")], input=bare, check=False)
    assert result.returncode == 1 and result.stdout == b""
    assert result.stderr.strip() == "evaluate: the stream has neither 'truth' nor 'estimate' (nor their factors): nothing to evaluate"
