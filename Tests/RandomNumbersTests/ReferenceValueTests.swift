import Testing
import RandomNumbers

// Reference values computed outside Swift, with NumPy 2.4.6, by this script (python3):
//
//   - `numpy_pcg64` drives NumPy's own bit generator: the independent truth for PCG64's bits
//     and for `random()`.
//   - The other functions restate this module's documented definitions in Python. They are
//     the reproduction a Python stage can use (`pcg64_seeded(seed, stream)` is
//     `PCG64(seed:stream:)`), and pinning their outputs here keeps Swift and Python in step:
//     if a test below fails, the streams of every tool have changed.
//   - `standard_normals` is the ziggurat restated in `Pipelines/tests/test_normal_sampler.py`,
//     which reads the tables from `ZigguratTables.swift`; NumPy's own `standard_normal` gives
//     the same values.
//
// ---- reference.py (run from the repository's root) ----
// import math
// import sys
// import numpy as np  # numpy 2.4.6
// sys.path.insert(0, 'Pipelines/tests')
// from test_normal_sampler import standard_normals
//
// M64, M128 = 2**64 - 1, 2**128 - 1
//
// def numpy_pcg64(state, inc):
//     bg = np.random.PCG64()
//     bg.state = {'bit_generator': 'PCG64', 'state': {'state': state, 'inc': inc},
//                 'has_uint32': 0, 'uinteger': 0}
//     return bg
//
// def splitmix64_words(seed, count):
//     words = []
//     for _ in range(count):
//         seed = (seed + 0x9E3779B97F4A7C15) & M64
//         z = seed
//         z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
//         z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
//         words.append(z ^ (z >> 31))
//     return words
//
// def pcg64_seeded(seed, stream=0):  # PCG64(seed:stream:)
//     s1, s2, i1, i2 = splitmix64_words(seed, 4)
//     o1, o2 = splitmix64_words(~stream & M64, 2)
//     state = ((s1 ^ o1) << 64) | (s2 ^ o2)
//     inc = (((((i1 << 64) | i2) ^ stream) << 1) | 1) & M128
//     return numpy_pcg64(state, inc)
//
// def uniform(bg):  # nextUniform(), == np.random.Generator(bg).random()
//     return (int(bg.random_raw()) >> 11) * 2.0**-53
//
// def portable_log(x):
//     m, k = math.frexp(x); m *= 2.0; k -= 1
//     if m > float.fromhex('0x1.6A09E667F3BCDp+0'): m *= 0.5; k += 1
//     f = m - 1.0; s = f / (2.0 + f); z = s * s; w = z * z
//     h = lambda t: float.fromhex(t)
//     odd = z * (h('0x1.5555555555593p-1') + w * (h('0x1.2492494229359p-2')
//           + w * (h('0x1.7466496CB03DEp-3') + w * h('0x1.2F112DF3E5244p-3'))))
//     even = w * (h('0x1.999999997FA04p-2') + w * (h('0x1.C71C51D8E78AFp-3')
//            + w * h('0x1.39A09D078C69Fp-3')))
//     hfsq = 0.5 * f * f
//     return k * h('0x1.62E42FEE00000p-1') - ((hfsq - (s * (hfsq + (odd + even))
//            + k * h('0x1.A39EF35793C76p-33'))) - f)
//
// def portable_log1p(x):
//     u = 1.0 + x
//     return x if u == 1.0 else portable_log(u) * (x / (u - 1.0))
//
// def int_below(bg, n):  # nextInt(below:)
//     product = int(bg.random_raw()) * n
//     while product % 2**64 < 2**64 % n:
//         product = int(bg.random_raw()) * n
//     return product >> 64
//
// def sample_without_replacement(bg, k, n):
//     chosen = set()
//     for j in range(n - k, n):
//         t = int_below(bg, j + 1)
//         chosen.add(j if t in chosen else t)
//     return sorted(chosen)
//
// def bernoulli_indices(bg, p, count):  # for 0 < p < 1
//     log_failure, successes, previous = portable_log1p(-p), [], -1
//     while True:
//         gap = portable_log(1.0 - uniform(bg)) / log_failure
//         if not gap < count - 1 - previous: return successes
//         previous += 1 + int(gap)
//         successes.append(previous)
//
// def shuffle(bg, items):
//     for i in range(len(items) - 1, 0, -1):
//         j = int_below(bg, i + 1)
//         items[i], items[j] = items[j], items[i]
//     return items
//
// for state, inc in [(0x0123456789ABCDEFFEDCBA9876543210, 0x2B47FED88766BB05C45FEB0E9E4FE10B),
//                    (2**128 - 1, 0x5851F42D4C957F2D14057B7EF767814F)]:
//     bg = numpy_pcg64(state, inc)
//     print([hex(x) for x in bg.random_raw(5)], hex(bg.state['state']['state']))
//     print([x.hex() for x in np.random.Generator(numpy_pcg64(state, inc)).random(4)])
// for seed, stream in [(0, 0), (42, 0), (42, 1), (2**64 - 1, 7)]:
//     bg = pcg64_seeded(seed, stream)
//     print(seed, stream, hex(bg.state['state']['state']), hex(bg.state['state']['inc']),
//           [hex(x) for x in bg.random_raw(3)])
// # 42: six draws in the rectangles' cores; 1074, 31285, 57533: tail draws (57533's after two
// # rejections) and wedge tests (1074's rejected and drawn again, 31285's accepted).
// for seed in (42, 1074, 31285, 57533):
//     normals = standard_normals(pcg64_seeded(seed), 6)
//     assert normals == list(np.random.Generator(pcg64_seeded(seed)).standard_normal(6))
//     bg = pcg64_seeded(seed)
//     print(seed, [x.hex() for x in standard_normals(bg, 6)], hex(bg.random_raw()))
// bg = pcg64_seeded(42)
// print([int_below(bg, n) for n in (1, 7, 10**9) + (2**64 // 3 + 1,) * 6], hex(bg.random_raw()))
// print(sample_without_replacement(pcg64_seeded(7), 5, 20),
//       sample_without_replacement(pcg64_seeded(7), 3, 10**12))
// print(bernoulli_indices(pcg64_seeded(9), 0.3, 40))
// print(shuffle(pcg64_seeded(11), list(range(10))))
// ---- end of reference.py ----
//
// It printed:
//     ['0x819429338f63650e', '0xe8693efa59f6c218', '0xd274506e25618737', '0x2485e158176f28e2', '0x5ebc65e6abf0df0'] 0x8391875d00bc3901e92e8aad0557ff5f
//     ['0x1.032852671ec6cp-1', '0x1.d0d27df4b3ed8p-1', '0x1.a4e8a0dc4ac30p-1', '0x1.242f0ac0bb794p-3']
//     ['0x54172474d993daad', '0x8bd69346b5cae7a6', '0x1d396726771e6c6b', '0xc052794e7eccc85e', '0xd1046b05929b833b'] 0xac9f6d7f649e7c9a7086b3f747c6500e
//     ['0x1.505c91d3664f6p-2', '0x1.17ad268d6b95cp-1', '0x1.d396726771e68p-4', '0x1.80a4f29cfd999p-1']
//     0 0 0x6f9d94e6078e18f87e7660d7a4fe73d 0xd88ba3100128a9ff1177150e49903d9 ['0xe3d8a172b68d7b48', '0xc100529907adbd29', '0xea4f5d117fb69eb8']
//     42 0 0x590e4351348e42b5c1701b54699073ca 0x8ea4ceae261f3ea4b039c3fe1c95c729 ['0x3883ff577214320a', '0x17d8c359733e12bc', '0x9ac734f57521ed46']
//     42 1 0x4ef70cb6161fc6b492b977aaa7ba08ea 0x8ea4ceae261f3ea4b039c3fe1c95c72b ['0xf644dc734147a2d3', '0x3e945ef4606251b3', '0xb4090a4f4a575757']
//     18446744073709551615 7 0x6c25d16e4683523274f3a9343136c151 0x705ff09964e503d2da3b66d9975305ab ['0x5305f66879c01cc1', '0x6ce0acd0c08fca0e', '0x8737e4713971f8ef']
//     42 ['0x1.9fb6c91073f53p-2', '0x1.7b782ada9b53ep+0', '-0x1.e8810dd267232p-1', '-0x1.d0317bfd2c5c8p-1', '-0x1.99728c85d7e86p-2', '-0x1.20fd1f168ed81p+0'] 0xa60030b134091c4
//     1074 ['-0x1.11a5479c5a44dp+2', '0x1.5c04c92ac90f5p+0', '0x1.c267ace50482ap-1', '-0x1.0e5d0885dcd9ep+0', '-0x1.d201cecf056a9p-3', '0x1.9367d7b2e218cp-1'] 0x94739ccbbe3fbcbf
//     31285 ['-0x1.1983e72a5d2d6p-1', '0x1.e9d1db0d14780p-4', '0x1.f4e5c343fd1c0p-3', '0x1.d5422573c74e4p+1', '0x1.f2ac7f397dd4cp-1', '-0x1.5dd5512f1003bp-5'] 0x705a4fab91017a49
//     57533 ['0x1.4a80612207ad2p-1', '0x1.db14f4f8f150ep+1', '-0x1.614553d8e739fp-2', '-0x1.23b851dce4afbp+0', '-0x1.ab193ed41d290p-2', '0x1.8fae1f52a5262p+0'] 0x547395a4f3b5ab2d
//     [0, 0, 604602155, 4907968599853484020, 1836427106717164818, 3745196904300279412, 249200294748674881, 5099953824943349731, 520774507079357908] 0x9177be0f43ac7d70
//     [0, 1, 5, 13, 18] [26077697101, 330463174639, 830942735126]
//     [2, 8, 19, 20, 21, 23, 24, 27, 35, 38, 39]
//     [0, 3, 4, 9, 6, 5, 2, 7, 1, 8]

@Suite("Agreement with NumPy and with the Python reproduction")
struct ReferenceValueTests {
    struct RawCase: Sendable {
        let state: UInt128
        let increment: UInt128
        let raw: [UInt64]
        let stateAfterRaw: UInt128
        let uniforms: [Double]
    }

    static let rawCases = [
        RawCase(
            state: 0x0123_4567_89AB_CDEF_FEDC_BA98_7654_3210,
            increment: 0x2B47_FED8_8766_BB05_C45F_EB0E_9E4F_E10B,
            raw: [0x8194_2933_8F63_650E, 0xE869_3EFA_59F6_C218, 0xD274_506E_2561_8737,
                  0x2485_E158_176F_28E2, 0x05EB_C65E_6ABF_0DF0],
            stateAfterRaw: 0x8391_875D_00BC_3901_E92E_8AAD_0557_FF5F,
            uniforms: [0x1.032852671EC6Cp-1, 0x1.D0D27DF4B3ED8p-1, 0x1.A4E8A0DC4AC30p-1,
                       0x1.242F0AC0BB794p-3]),
        // The all-ones state makes the first step wrap around 2¹²⁸.
        RawCase(
            state: 0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF_FFFF,
            increment: 0x5851_F42D_4C95_7F2D_1405_7B7E_F767_814F,
            raw: [0x5417_2474_D993_DAAD, 0x8BD6_9346_B5CA_E7A6, 0x1D39_6726_771E_6C6B,
                  0xC052_794E_7ECC_C85E, 0xD104_6B05_929B_833B],
            stateAfterRaw: 0xAC9F_6D7F_649E_7C9A_7086_B3F7_47C6_500E,
            uniforms: [0x1.505C91D3664F6p-2, 0x1.17AD268D6B95Cp-1, 0x1.D396726771E68p-4,
                       0x1.80A4F29CFD999p-1]),
    ]

    @Test("raw outputs and state match numpy.random.PCG64", arguments: rawCases)
    func rawOutputsMatchNumPy(_ reference: RawCase) {
        var generator = PCG64(state: reference.state, increment: reference.increment)
        #expect((0 ..< 5).map { _ in generator.nextUInt64() } == reference.raw)
        #expect(generator.state == reference.stateAfterRaw)
        #expect(generator.increment == reference.increment)
    }

    @Test("nextUniform matches numpy's Generator.random()", arguments: rawCases)
    func uniformsMatchNumPy(_ reference: RawCase) {
        var generator = PCG64(state: reference.state, increment: reference.increment)
        #expect((0 ..< 4).map { _ in generator.nextUniform() } == reference.uniforms)
    }

    struct SeedCase: Sendable {
        let seed: UInt64
        let stream: UInt64
        let state: UInt128
        let increment: UInt128
        let raw: [UInt64]
    }

    static let seedCases = [
        SeedCase(
            seed: 0, stream: 0,
            state: 0x06F9_D94E_6078_E18F_87E7_660D_7A4F_E73D,
            increment: 0x0D88_BA31_0012_8A9F_F117_7150_E499_03D9,
            raw: [0xE3D8_A172_B68D_7B48, 0xC100_5299_07AD_BD29, 0xEA4F_5D11_7FB6_9EB8]),
        SeedCase(
            seed: 42, stream: 0,
            state: 0x590E_4351_348E_42B5_C170_1B54_6990_73CA,
            increment: 0x8EA4_CEAE_261F_3EA4_B039_C3FE_1C95_C729,
            raw: [0x3883_FF57_7214_320A, 0x17D8_C359_733E_12BC, 0x9AC7_34F5_7521_ED46]),
        SeedCase(
            seed: 42, stream: 1,
            state: 0x4EF7_0CB6_161F_C6B4_92B9_77AA_A7BA_08EA,
            increment: 0x8EA4_CEAE_261F_3EA4_B039_C3FE_1C95_C72B,
            raw: [0xF644_DC73_4147_A2D3, 0x3E94_5EF4_6062_51B3, 0xB409_0A4F_4A57_5757]),
        SeedCase(
            seed: .max, stream: 7,
            state: 0x6C25_D16E_4683_5232_74F3_A934_3136_C151,
            increment: 0x705F_F099_64E5_03D2_DA3B_66D9_9753_05AB,
            raw: [0x5305_F668_79C0_1CC1, 0x6CE0_ACD0_C08F_CA0E, 0x8737_E471_3971_F8EF]),
    ]

    @Test("seeding matches pcg64_seeded(seed, stream)", arguments: seedCases)
    func seedingMatchesPython(_ reference: SeedCase) {
        var generator = PCG64(seed: reference.seed, stream: reference.stream)
        #expect(generator.state == reference.state)
        #expect(generator.increment == reference.increment)
        #expect((0 ..< 3).map { _ in generator.nextUInt64() } == reference.raw)
    }

    struct NormalCase: Sendable {
        let seed: UInt64
        let normals: [Double]
        let nextRaw: UInt64
    }

    /// Seed 42's first six draws all end in a rectangle's core; the others' include tail draws
    /// (57533's after two rejections) and wedge tests (1074's rejected, 31285's accepted).
    static let normalCases = [
        NormalCase(
            seed: 42,
            normals: [0x1.9FB6C91073F53p-2, 0x1.7B782ADA9B53Ep+0, -0x1.E8810DD267232p-1,
                      -0x1.D0317BFD2C5C8p-1, -0x1.99728C85D7E86p-2, -0x1.20FD1F168ED81p+0],
            nextRaw: 0x0A60_030B_1340_91C4),
        NormalCase(
            seed: 1074,
            normals: [-0x1.11A5479C5A44Dp+2, 0x1.5C04C92AC90F5p+0, 0x1.C267ACE50482Ap-1,
                      -0x1.0E5D0885DCD9Ep+0, -0x1.D201CECF056A9p-3, 0x1.9367D7B2E218Cp-1],
            nextRaw: 0x9473_9CCB_BE3F_BCBF),
        NormalCase(
            seed: 31285,
            normals: [-0x1.1983E72A5D2D6p-1, 0x1.E9D1DB0D14780p-4, 0x1.F4E5C343FD1C0p-3,
                      0x1.D5422573C74E4p+1, 0x1.F2AC7F397DD4Cp-1, -0x1.5DD5512F1003Bp-5],
            nextRaw: 0x705A_4FAB_9101_7A49),
        NormalCase(
            seed: 57533,
            normals: [0x1.4A80612207AD2p-1, 0x1.DB14F4F8F150Ep+1, -0x1.614553D8E739Fp-2,
                      -0x1.23B851DCE4AFBp+0, -0x1.AB193ED41D290p-2, 0x1.8FAE1F52A5262p+0],
            nextRaw: 0x5473_95A4_F3B5_AB2D),
    ]

    @Test("standard normals match standard_normals(bg, 6) and numpy", arguments: normalCases)
    func standardNormalsMatchPython(_ reference: NormalCase) {
        var generator = PCG64(seed: reference.seed)
        #expect((0 ..< 6).map { _ in generator.nextStandardNormal() } == reference.normals)
        // The next raw draw proves that Swift consumed exactly as many draws as Python.
        #expect(generator.nextUInt64() == reference.nextRaw)
    }

    @Test func boundedIntegersMatchPython() {
        var generator = PCG64(seed: 42)
        // ⌊2⁶⁴/3⌋ + 1 rejects a third of all draws; here one rejection happens, so the retry
        // loop is checked too.
        let rejectingBound = 6_148_914_691_236_517_206
        let bounds = [1, 7, 1_000_000_000] + Array(repeating: rejectingBound, count: 6)
        #expect(bounds.map { generator.nextInt(below: $0) } == [
            0, 0, 604_602_155, 4_907_968_599_853_484_020, 1_836_427_106_717_164_818,
            3_745_196_904_300_279_412, 249_200_294_748_674_881, 5_099_953_824_943_349_731,
            520_774_507_079_357_908,
        ])
        // The next raw draw proves that Swift consumed exactly as many draws as Python.
        #expect(generator.nextUInt64() == 0x9177_BE0F_43AC_7D70)
    }

    @Test func samplesWithoutReplacementMatchPython() {
        var small = PCG64(seed: 7)
        #expect(small.sampleWithoutReplacement(count: 5, from: 20) == [0, 1, 5, 13, 18])
        var huge = PCG64(seed: 7)
        #expect(huge.sampleWithoutReplacement(count: 3, from: 1_000_000_000_000)
            == [26_077_697_101, 330_463_174_639, 830_942_735_126])
    }

    @Test func bernoulliIndicesMatchPython() {
        var generator = PCG64(seed: 9)
        #expect(generator.bernoulliIndices(probability: 0.3, count: 40)
            == [2, 8, 19, 20, 21, 23, 24, 27, 35, 38, 39])
    }

    @Test func shuffleMatchesPython() {
        var generator = PCG64(seed: 11)
        var items = Array(0 ..< 10)
        generator.shuffle(&items)
        #expect(items == [0, 3, 4, 9, 6, 5, 2, 7, 1, 8])
    }
}
