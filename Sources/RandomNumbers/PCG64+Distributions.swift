extension PCG64 {
    /// A uniform double in [0, 1): the top 53 bits of `nextUInt64()` times 2⁻⁵³, exactly
    /// NumPy's `Generator(PCG64(...)).random()`.
    public mutating func nextUniform() -> Double {
        Double(nextUInt64() >> 11) * 0x1p-53
    }

    /// A standard normal variate by the 256-layer ziggurat method (Marsaglia and Tsang, 2000)
    /// exactly as NumPy's `Generator.standard_normal` computes it, with NumPy's tables
    /// (`NormalZiggurat` in `ZigguratTables.swift`: limits `k`, scales `w`, densities `f`, tail
    /// start `r`):
    ///
    /// 1. `b = nextUInt64()`; layer `i = b & 0xFF`, magnitude `a = (b >> 9) & (2⁵² − 1)` and
    ///    `x = a · w[i]`, negated if bit 8 of `b` is set.
    /// 2. If `a < k[i]`, return `x` (98.5% of draws end here, after one step of the generator).
    /// 3. Layer 0 beyond `r` is the tail, sampled by Marsaglia's method (1964): draw
    ///    `ξ = −r⁻¹ · log(1 − nextUniform())` and then `η = −log(1 − nextUniform())` until
    ///    `η + η > ξ · ξ`, and return `r + ξ`, negated if bit 8 of `a` is set.
    /// 4. Any other layer `i` is a wedge: with `u = nextUniform()`, return `x` if
    ///    `(f[i − 1] − f[i]) · u + f[i] < exp(−0.5 · x · x)`, or else go back to step 1.
    ///
    /// Every formula is evaluated as written, left to right, and `log` and `exp` are the portable
    /// implementations in `PortableMath.swift`, so the values are the same on every platform.
    /// NumPy calls its C library's `log1p` and `exp` instead; on the 4·10⁷ draws compared they
    /// never changed a value, so in practice NumPy reproduces these normals too
    /// (`Pipelines/tests/test_normal_sampler.py` checks both that and a pure-Python copy).
    public mutating func nextStandardNormal() -> Double {
        let bits = nextUInt64()
        let layer = Int(truncatingIfNeeded: bits & 0xFF)
        let magnitude = (bits >> 9) & 0xF_FFFF_FFFF_FFFF
        // Below 2⁵², so converting through Int is exact and spares the unsigned conversion's
        // extra branch; the sign goes in by flipping the sign bit, not by an unpredictable branch.
        let distance = Double(Int(truncatingIfNeeded: magnitude)) * NormalZiggurat.magnitudeScales[layer]
        let x = Double(bitPattern: distance.bitPattern ^ ((bits & 0x100) << 55))
        if magnitude < NormalZiggurat.magnitudeLimits[layer] { return x }
        return nextStandardNormalOutsideCore(layer: layer, magnitude: magnitude, x: x)
    }

    /// Steps 3 and 4 of `nextStandardNormal()`, kept out of line so that the common case stays
    /// small enough to inline into fill loops.
    @inline(never)
    private mutating func nextStandardNormalOutsideCore(layer: Int, magnitude: UInt64, x: Double) -> Double {
        if layer == 0 {
            while true {
                let excess = -NormalZiggurat.inverseTailStart * portableLog(1 - nextUniform())
                let height = -portableLog(1 - nextUniform())
                if height + height > excess * excess {
                    let tailValue = NormalZiggurat.tailStart + excess
                    return magnitude & 0x100 == 0 ? tailValue : -tailValue
                }
            }
        }
        let outerDensity = NormalZiggurat.edgeDensities[layer]
        let height = (NormalZiggurat.edgeDensities[layer - 1] - outerDensity) * nextUniform() + outerDensity
        return height < portableExp(-0.5 * x * x) ? x : nextStandardNormal()
    }

    /// A uniform integer in `0 ..< bound`, without bias, by Lemire's multiply-and-reject
    /// method (ACM TOMACS 2019): with `x = nextUInt64()` and the 128-bit product
    /// `x · bound = high · 2⁶⁴ + low`, return `high` unless `low < 2⁶⁴ mod bound`, in which
    /// case draw `x` again. The common case costs one draw and no division.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let range = UInt64(bound)
        var product = nextUInt64().multipliedFullWidth(by: range)
        if product.low < range {
            let rejectedBelow = (0 &- range) % range  // 2⁶⁴ mod range
            while product.low < rejectedBelow {
                product = nextUInt64().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Fills `values` with `nextUniform()` draws, in index order.
    public mutating func fillUniform(_ values: UnsafeMutableBufferPointer<Double>) {
        for index in values.indices {
            values[index] = nextUniform()
        }
    }

    /// Fills `values` with `nextUniform()` draws, in index order.
    public mutating func fillUniform(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { fillUniform($0) }
    }

    /// Fills `values` with `nextStandardNormal()` draws, in index order.
    public mutating func fillStandardNormal(_ values: UnsafeMutableBufferPointer<Double>) {
        for index in values.indices {
            values[index] = nextStandardNormal()
        }
    }

    /// Fills `values` with `nextStandardNormal()` draws, in index order.
    public mutating func fillStandardNormal(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { fillStandardNormal($0) }
    }
}
