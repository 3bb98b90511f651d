"""The normal sampler restated in Python from its documentation (`PCG64.nextStandardNormal` in
Sources/RandomNumbers): this copy reproduces the tools' normals bit for bit, so does NumPy's own
`Generator.standard_normal`, and the tables the Swift code carries form a valid ziggurat.

The functions here are the reproduction a Python stage can use; `pcg64_seeded(seed, stream)` is
`PCG64(seed:stream:)`, as in Tests/RandomNumbersTests/ReferenceValueTests.swift.
"""
import io
import math
import re

import numpy as np

from conftest import REPO, run, tool

import flatframes

M64, M128 = 2**64 - 1, 2**128 - 1
h = float.fromhex


def ziggurat_tables():
    """(r, 1/r, magnitude limits k, magnitude scales w, edge densities f) from ZigguratTables.swift."""
    source = (REPO / "Sources" / "RandomNumbers" / "ZigguratTables.swift").read_text()

    def constant(name):
        return h(re.search(rf"static let {name} = (\S+)", source).group(1))

    def table(name):
        body = re.search(rf"static let {name}: \[\w+\] = \[(.*?)\]", source, re.S).group(1)
        return re.findall(r"0x[0-9A-Fa-f_.]+(?:p[-+]\d+)?", body)

    limits = [int(word, 16) for word in table("magnitudeLimits")]
    scales = [h(word) for word in table("magnitudeScales")]
    densities = [h(word) for word in table("edgeDensities")]
    return constant("tailStart"), constant("inverseTailStart"), limits, scales, densities


R, INVERSE_R, K, W, F = ziggurat_tables()


def splitmix64_words(seed, count):
    words = []
    for _ in range(count):
        seed = (seed + 0x9E3779B97F4A7C15) & M64
        z = seed
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        words.append(z ^ (z >> 31))
    return words


def pcg64_seeded(seed, stream=0):  # PCG64(seed:stream:)
    s1, s2, i1, i2 = splitmix64_words(seed, 4)
    o1, o2 = splitmix64_words(~stream & M64, 2)
    bg = np.random.PCG64()
    bg.state = {"bit_generator": "PCG64",
                "state": {"state": ((s1 ^ o1) << 64) | (s2 ^ o2),
                          "inc": (((((i1 << 64) | i2) ^ stream) << 1) | 1) & M128},
                "has_uint32": 0, "uinteger": 0}
    return bg


def uniform(bg):  # nextUniform()
    return (int(bg.random_raw()) >> 11) * 2.0**-53


def portable_log(x):
    m, k = math.frexp(x); m *= 2.0; k -= 1
    if m > h("0x1.6A09E667F3BCDp+0"): m *= 0.5; k += 1
    f = m - 1.0; s = f / (2.0 + f); z = s * s; w = z * z
    odd = z * (h("0x1.5555555555593p-1") + w * (h("0x1.2492494229359p-2")
          + w * (h("0x1.7466496CB03DEp-3") + w * h("0x1.2F112DF3E5244p-3"))))
    even = w * (h("0x1.999999997FA04p-2") + w * (h("0x1.C71C51D8E78AFp-3")
           + w * h("0x1.39A09D078C69Fp-3")))
    hfsq = 0.5 * f * f
    return k * h("0x1.62E42FEE00000p-1") - ((hfsq - (s * (hfsq + (odd + even))
           + k * h("0x1.A39EF35793C76p-33"))) - f)


def portable_exp(x):
    k = math.floor(x * h("0x1.71547652B82FEp+0") + 0.5)
    head = x - k * h("0x1.62E42FEE00000p-1")
    tail = k * h("0x1.A39EF35793C76p-33")
    r = head - tail
    t = r * r
    c = r - t * (h("0x1.555555555553Ep-3") + t * (h("-0x1.6C16C16BEBD93p-9") + t * (h("0x1.1566AAF25DE2Cp-14")
        + t * (h("-0x1.BBD41C5D26BF1p-20") + t * h("0x1.6376972BEA4D0p-25")))))
    return math.ldexp(1.0 - ((tail - (r * c) / (2.0 - c)) - head), k)


def standard_normal(bg):  # nextStandardNormal()
    while True:
        b = int(bg.random_raw())
        i = b & 0xFF
        a = (b >> 9) & (2**52 - 1)
        x = -(a * W[i]) if b & 0x100 else a * W[i]
        if a < K[i]:
            return x
        if i == 0:
            while True:
                xi = -INVERSE_R * portable_log(1.0 - uniform(bg))
                eta = -portable_log(1.0 - uniform(bg))
                if eta + eta > xi * xi:
                    return -(R + xi) if a & 0x100 else R + xi
        if (F[i - 1] - F[i]) * uniform(bg) + F[i] < portable_exp(-0.5 * x * x):
            return x


def standard_normals(bg, count):
    return [standard_normal(bg) for _ in range(count)]


CHUNK = 1 << 18  # ParallelNormals.chunkSize


def dense_sensing(d, m, seed):
    """The tools' `sensing` frame in storage order, and (generator, length) of each chunk of it."""
    stream = run([tool("generate-ground-truth"), "--d1", str(d), "--rank", "2", "--seed", "1"]).stdout
    stream = run([tool("sample-measurements"), "--operator", "gaussian", "--m", str(m), "--seed", str(seed)],
                 input=stream).stdout
    sensing = next(f for f in flatframes.read_frames(io.BytesIO(stream)) if f.name == "sensing")
    drawn = sensing.array.ravel(order="F")
    # Training operator: chunk j of the m × d1·d2 array comes from stream 2³² + j.
    chunks = [(pcg64_seeded(seed, (1 << 32) + j), min(CHUNK, drawn.size - j * CHUNK))
              for j in range(-(-drawn.size // CHUNK))]
    return drawn, chunks


def test_tables_form_a_ziggurat_of_equal_areas():
    assert len(K) == len(W) == len(F) == 256
    x = [w * 2.0**52 for w in W]  # layer edges x_i; x[0] is the base's v / f(r)
    density = lambda t: math.exp(-0.5 * t * t)
    # The base's area: its rectangle up to r plus the tail beyond, ∫_r^∞ f = √(π/2)·erfc(r/√2).
    area = R * density(R) + math.sqrt(math.pi / 2) * math.erfc(R / math.sqrt(2))
    assert x[255] == R and F[0] == 1 and abs(INVERSE_R * R - 1) < 2**-52
    assert abs(x[0] * F[255] - area) < 1e-14 * area  # the base layer
    for i in range(1, 256):
        assert abs(x[i] * (F[i - 1] - F[i]) - area) < 1e-13 * area, f"layer {i}"
        assert abs(F[i] - density(x[i])) <= 2**-52, f"layer {i}"
    # k_i is 2⁵² · x_{i-1} / x_i rounded (to within NumPy's rounding); 0 for the top layer.
    assert K[1] == 0 and abs(K[0] - 2.0**52 * R * F[255] / area) < 16
    assert all(abs(K[i] - 2.0**52 * x[i - 1] / x[i]) < 1 for i in range(2, 256))


def test_tools_draw_the_documented_normals():
    drawn, chunks = dense_sensing(20, 700, seed=5)
    assert len(chunks) == 2  # crosses a chunk boundary
    expected = np.concatenate([standard_normals(bg, n) for bg, n in chunks])
    assert np.array_equal(drawn, expected)
    # The tail and wedge branches were exercised, not only the common case.
    assert np.count_nonzero(np.abs(drawn) > R) > 20


def test_numpy_standard_normal_reproduces_the_tools():
    drawn, chunks = dense_sensing(50, 400, seed=9)
    expected = np.concatenate([np.random.Generator(bg).standard_normal(n) for bg, n in chunks])
    assert np.array_equal(drawn, expected)
