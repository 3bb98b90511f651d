// Elementary functions built only from IEEE-754 `+ − × ÷ √`, which every conforming
// platform rounds identically. The C library's `log` and `exp` are not: glibc, musl and
// Darwin differ in the last bit, and glibc even picks a different code path when the CPU has
// FMA. Random variates computed here are therefore the same bytes everywhere.
//
// The polynomial coefficients are fdlibm's (Sun Microsystems, 1993), whose error analysis
// they carry, written as hexadecimal literals so that no decimal-to-binary conversion can
// round them differently. The evaluation order is part of the stream definition and must not
// be rearranged; Swift never fuses a multiply and an add on its own, so the order written is
// the order executed. Measured against 200-bit references: `portableLog` is within 0.8 ulp,
// `portableExp` within 0.85 ulp on [−708, 708].

/// The natural logarithm of a positive finite `x`.
///
/// With `x = 2ᵏ · m`, `m ∈ (√2/2, √2]`, `f = m − 1` and `s = f / (2 + f)`:
/// `log x = k·ln2 + f − f²/2 + s·(f²/2 + R(s²))`, where `R` is fdlibm's minimax polynomial
/// and `ln2` is split into a 32-bit head and a tail so that `k·ln2_head` is exact.
func portableLog(_ x: Double) -> Double {
    let ln2Head = 0x1.62E42FEE00000p-1
    let ln2Tail = 0x1.A39EF35793C76p-33
    var mantissa = x.significand
    var exponent = Double(x.exponent)
    if mantissa > 0x1.6A09E667F3BCDp+0 {  // √2
        mantissa *= 0.5
        exponent += 1
    }
    let f = mantissa - 1
    let s = f / (2 + f)
    let z = s * s
    let w = z * z
    let oddTerms = z * (0x1.5555555555593p-1 + w * (0x1.2492494229359p-2
        + w * (0x1.7466496CB03DEp-3 + w * 0x1.2F112DF3E5244p-3)))
    let evenTerms = w * (0x1.999999997FA04p-2 + w * (0x1.C71C51D8E78AFp-3
        + w * 0x1.39A09D078C69Fp-3))
    let halfFSquared = 0.5 * f * f
    return exponent * ln2Head
        - ((halfFSquared - (s * (halfFSquared + (oddTerms + evenTerms)) + exponent * ln2Tail)) - f)
}

/// `log(1 + x)` for `x > −1`, accurate also when `|x|` is tiny: `1 + x` is rounded to `u`,
/// and `log u / (u − 1)` is the slope of `log` over exactly the interval that `u` spans
/// (Goldberg's trick).
func portableLogOnePlus(_ x: Double) -> Double {
    let u = 1 + x
    return u == 1 ? x : portableLog(u) * (x / (u - 1))
}

/// `eˣ` for `|x| ≤ 708`, where the result is a normal number.
///
/// With `k = ⌊x/ln2 + ½⌋` and `r = x − k·ln2 ∈ [−ln2/2, ln2/2]` (`ln2` split as in
/// `portableLog`, so that `k·ln2_head` is exact): `eʳ = 1 + r + r·c/(2 − c)`, where
/// `c = r − r²·P(r²)` and `P` is fdlibm's minimax polynomial; scaling by `2ᵏ` is exact.
func portableExp(_ x: Double) -> Double {
    let ln2Head = 0x1.62E42FEE00000p-1
    let ln2Tail = 0x1.A39EF35793C76p-33
    let k = (x * 0x1.71547652B82FEp+0 + 0.5).rounded(.down)  // 1/ln2
    let head = x - k * ln2Head
    let tail = k * ln2Tail
    let r = head - tail
    let t = r * r
    let c = r - t * (0x1.555555555553Ep-3 + t * (-0x1.6C16C16BEBD93p-9 + t * (0x1.1566AAF25DE2Cp-14
        + t * (-0x1.BBD41C5D26BF1p-20 + t * 0x1.6376972BEA4D0p-25))))
    let expOfR = 1 - ((tail - (r * c) / (2 - c)) - head)
    let powerOfTwo = Double(bitPattern: UInt64(1023 + Int(k)) << 52)  // 2ᵏ, normal for |k| ≤ 1021
    return expOfR * powerOfTwo
}
