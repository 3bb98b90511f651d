/// The project's one random-number generator: NumPy's `numpy.random.PCG64` bit generator,
/// bit for bit, plus a documented seeding rule and documented ways of turning its bits into
/// uniforms, normals, integers and samples.
///
/// Every draw is defined by integer arithmetic and IEEE-754 `+ − × ÷ √` (never the
/// platform's `log` or `exp`, whose last bits differ between C libraries and CPUs),
/// so the same seed gives the same bytes on every machine, and a Python stage can reproduce
/// any stream. Parallel work stays deterministic by giving each task its own `stream`
/// rather than sharing one generator between threads.
///
/// The generator (PCG XSL-RR 128/64) is a 128-bit linear congruential generator
/// `state ← state · multiplier + increment (mod 2¹²⁸)`. Each draw first steps the state and
/// then outputs `rotr64(high ⊕ low, high >> 58)` of the *new* state, as NumPy does.
///
/// Prefer these methods to the standard library's `shuffle(using:)`,
/// `Int.random(in:using:)` and friends: they accept this generator, but their algorithms may
/// change between Swift releases, which would silently change our streams.
public struct PCG64: RandomNumberGenerator, Sendable {
    /// The LCG multiplier of PCG64 (the same constant in NumPy and in O'Neill's reference).
    public static let multiplier: UInt128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645

    /// The LCG state, equal to `bit_generator.state['state']['state']` in NumPy.
    public private(set) var state: UInt128

    /// The LCG increment, equal to `bit_generator.state['state']['inc']` in NumPy.
    public let increment: UInt128

    /// A generator in exactly the state NumPy is in after
    /// ```python
    /// bg = numpy.random.PCG64()
    /// bg.state = {'bit_generator': 'PCG64', 'state': {'state': state, 'inc': increment},
    ///             'has_uint32': 0, 'uinteger': 0}
    /// ```
    /// The increment is used as given, like NumPy does; it should be odd, or the generator
    /// does not reach its full period of 2¹²⁸.
    /// `state` and `increment` are all there is to a generator: one rebuilt from them continues
    /// every kind of draw exactly where the original would.
    public init(state: UInt128, increment: UInt128) {
        self.state = state
        self.increment = increment
    }

    /// A generator for a user seed and a stream number, defined so that ten lines of Python
    /// reproduce it:
    ///
    /// 1. SplitMix64 seeded with `seed` produces four words `s₁ s₂ i₁ i₂`.
    /// 2. SplitMix64 seeded with `~stream` (bitwise NOT) produces two words `o₁ o₂`.
    ///    The complement keeps the small stream numbers people pick away from the small
    ///    seeds they pick, so `(seed: 1, stream: 0)` and `(seed: 0, stream: 1)` do not share
    ///    a state.
    /// 3. `state = (s₁ ⊕ o₁) · 2⁶⁴ + (s₂ ⊕ o₂)`.
    /// 4. `increment = (((i₁ · 2⁶⁴ + i₂) ⊕ stream) · 2 + 1) mod 2¹²⁸`.
    ///
    /// Distinct streams of one seed therefore run on distinct LCG sequences (distinct odd
    /// increments) from unrelated starting points, which is what makes them usable as
    /// independent generators for parallel tasks.
    ///
    /// SplitMix64 (Steele, Lea, Flood 2014) seeded with `x` yields, for n = 1, 2, …,
    /// `z = x + n · 0x9E3779B97F4A7C15`, `z = (z ⊕ z >> 30) · 0xBF58476D1CE4E5B9`,
    /// `z = (z ⊕ z >> 27) · 0x94D049BB133111EB`, `z ⊕ z >> 31`, all modulo 2⁶⁴.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var seedWords = SplitMix64(seed: seed)
        var streamWords = SplitMix64(seed: ~stream)
        let stateHigh = seedWords.next() ^ streamWords.next()
        let stateLow = seedWords.next() ^ streamWords.next()
        let incrementBase = UInt128(seedWords.next()) << 64 | UInt128(seedWords.next())
        self.init(
            state: UInt128(stateHigh) << 64 | UInt128(stateLow),
            increment: (incrementBase ^ UInt128(stream)) &<< 1 | 1)
    }

    /// The next 64 raw bits; NumPy's `bit_generator.random_raw()`.
    public mutating func nextUInt64() -> UInt64 {
        state = state &* Self.multiplier &+ increment
        let high = UInt64(truncatingIfNeeded: state >> 64)
        let low = UInt64(truncatingIfNeeded: state)
        let rotation = high >> 58
        let folded = high ^ low
        return folded &>> rotation | folded &<< (64 &- rotation)
    }

    /// `RandomNumberGenerator` conformance; the same as `nextUInt64()`.
    public mutating func next() -> UInt64 {
        nextUInt64()
    }
}

/// Steele, Lea and Flood's SplitMix64, used only to spread a 64-bit seed over PCG64's state.
private struct SplitMix64 {
    private var counter: UInt64

    init(seed: UInt64) {
        counter = seed
    }

    mutating func next() -> UInt64 {
        counter &+= 0x9E37_79B9_7F4A_7C15
        var z = counter
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
