extension PCG64 {
    /// A uniform double in [0, 1): the top 53 bits of `nextUInt64()` times 2⁻⁵³, exactly
    /// NumPy's `Generator(PCG64(...)).random()`.
    public mutating func nextUniform() -> Double {
        Double(nextUInt64() >> 11) * 0x1p-53
    }

    /// A standard normal variate by the Box–Muller transform.
    ///
    /// Draws come in pairs. With `u₁ = nextUniform()` then `u₂ = nextUniform()`,
    /// `ρ = √(−2 · log(1 − u₁))` (the `1 − u₁` is exact and never 0), this returns
    /// `ρ · cos(2πu₂)` and keeps `ρ · sin(2πu₂)` for the next call, which returns it without
    /// drawing. Other draws in between leave the kept value in place. `log`, `cos` and `sin`
    /// are the portable implementations in `PortableMath.swift`, so the values are the same
    /// on every platform; NumPy's `standard_normal` uses a different algorithm (ziggurat).
    public mutating func nextStandardNormal() -> Double {
        if let kept = pendingNormal {
            pendingNormal = nil
            return kept
        }
        let radius = (-2 * portableLog(1 - nextUniform())).squareRoot()
        let direction = cosSinOfTurns(nextUniform())
        pendingNormal = radius * direction.sin
        return radius * direction.cos
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

    /// Fills `values` with `nextStandardNormal()` draws, in index order: the same numbers,
    /// including the kept second value of a pair, as calling it `values.count` times.
    public mutating func fillStandardNormal(_ values: UnsafeMutableBufferPointer<Double>) {
        guard !values.isEmpty else { return }
        var index = 0
        if pendingNormal != nil {
            values[0] = nextStandardNormal()
            index = 1
        }
        // Whole pairs straight into the buffer: the same arithmetic as `nextStandardNormal`
        // without passing the second value through the kept-value slot.
        while index + 1 < values.count {
            let radius = (-2 * portableLog(1 - nextUniform())).squareRoot()
            let direction = cosSinOfTurns(nextUniform())
            values[index] = radius * direction.cos
            values[index + 1] = radius * direction.sin
            index += 2
        }
        if index < values.count { values[index] = nextStandardNormal() }
    }

    /// Fills `values` with `nextStandardNormal()` draws, in index order: the same numbers,
    /// including the kept second value of a pair, as calling it `values.count` times.
    public mutating func fillStandardNormal(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { fillStandardNormal($0) }
    }
}
