// Elementary functions built only from IEEE-754 `+ − × ÷ √`, which every conforming
// platform rounds identically. The C library's `log`, `sin` and `cos` are not: glibc, musl and
// Darwin differ in the last bit, and glibc even picks a different code path when the CPU has
// FMA. Random variates computed here are therefore the same bytes everywhere.
//
// The polynomial coefficients are fdlibm's (Sun Microsystems, 1993), whose error analysis
// they carry, written as hexadecimal literals so that no decimal-to-binary conversion can
// round them differently. The evaluation order is part of the stream definition and must not
// be rearranged; Swift never fuses a multiply and an add on its own, so the order written is
// the order executed. Measured against 200-bit references: `portableLog` is within 0.8 ulp,
// `cosSinOfTurns` within 1.8 ulp.

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

/// `(cos 2πt, sin 2πt)` for `t ∈ [0, 1)`.
///
/// Works in quarter turns so that the argument reduction is exact: `4t = q + r` with
/// `q = ⌊4t + ½⌋` and `r ∈ [−½, ½]` (exact for the multiples of 2⁻⁵³ that `nextUniform()`
/// returns), then `x = r·π/2 ∈ [−π/4, π/4]` goes through fdlibm's sine and cosine kernels
/// and `q mod 4` picks the quadrant.
func cosSinOfTurns(_ turns: Double) -> (cos: Double, sin: Double) {
    let quarterTurns = 4 * turns
    let nearestQuarter = (quarterTurns + 0.5).rounded(.down)
    let x = (quarterTurns - nearestQuarter) * (Double.pi / 2)
    let z = x * x
    let sinX = x + z * x * (-0x1.5555555555549p-3 + z * (0x1.111111110F8A6p-7
        + z * (-0x1.A01A019C161D5p-13 + z * (0x1.71DE357B1FE7Dp-19
        + z * (-0x1.AE5E68A2B9CEBp-26 + z * 0x1.5D93A5ACFD57Cp-33)))))
    // cos x = (1 − z/2) + z²·P(z); the rounding error of 1 − z/2 is recovered and added back.
    let halfZ = 0.5 * z
    let head = 1 - halfZ
    let cosX = head + (((1 - head) - halfZ) + z * z * (0x1.555555555554Cp-5
        + z * (-0x1.6C16C16C15177p-10 + z * (0x1.A01A019CB1590p-16
        + z * (-0x1.27E4F809C52ADp-22 + z * (0x1.1EE9EBDB4B1C4p-29
        + z * -0x1.8FAE9BE8838D4p-37))))))
    switch Int(nearestQuarter) & 3 {
    case 0: return (cosX, sinX)
    case 1: return (-sinX, cosX)
    case 2: return (-cosX, -sinX)
    default: return (sinX, -cosX)
    }
}
