import Foundation
import Testing
@testable import RandomNumbers

// The portable functions must agree with the platform's libm to about an ulp; they exist only
// to make that last ulp the same everywhere. (Their accuracy against 200-bit references was
// measured once in Python with mpmath; see PortableMath.swift.)
@Suite("Platform-independent elementary functions")
struct PortableMathTests {
    @Test func logMatchesLibm() {
        var generator = PCG64(seed: 13)
        for _ in 0 ..< 50_000 {
            // The arguments Box–Muller uses: 1 − u, from 2⁻⁵³ to 1.
            let boxMullerArgument = 1 - generator.nextUniform()
            #expect(abs(portableLog(boxMullerArgument) - log(boxMullerArgument))
                <= log(boxMullerArgument).ulp)
            // Every binade, to exercise the exponent handling.
            let anyPositive = Double(
                sign: .plus, exponent: generator.nextInt(below: 2000) - 1000,
                significand: 1 + generator.nextUniform())
            #expect(abs(portableLog(anyPositive) - log(anyPositive)) <= log(anyPositive).ulp)
        }
        #expect(portableLog(1) == 0)
        // The most negative argument Box–Muller can pass: log 2⁻⁵³ = −53 ln 2, correctly rounded.
        #expect(portableLog(0x1p-53) == -0x1.25E4F7B2737FAp+5)
    }

    @Test func logOnePlusMatchesLibmForTinyAndLargeArguments() {
        var generator = PCG64(seed: 14)
        for _ in 0 ..< 20_000 {
            let magnitude = Double(sign: .plus, exponent: -generator.nextInt(below: 60), significand: 1)
            let x = -generator.nextUniform() * magnitude
            #expect(abs(portableLogOnePlus(x) - log1p(x)) <= 2 * log1p(x).ulp)
        }
        #expect(portableLogOnePlus(-1e-300) == -1e-300)
    }

    @Test func cosineAndSineOfTurnsMatchLibm() {
        var generator = PCG64(seed: 15)
        for _ in 0 ..< 50_000 {
            let turns = generator.nextUniform()
            let (cosine, sine) = cosSinOfTurns(turns)
            // libm's cos(2πt) inherits the rounding of 2πt, up to 4.4e-16 in the argument.
            #expect(abs(cosine - cos(2 * Double.pi * turns)) < 1e-15)
            #expect(abs(sine - sin(2 * Double.pi * turns)) < 1e-15)
            #expect(abs(cosine * cosine + sine * sine - 1) < 4 * Double.ulpOfOne)
        }
        #expect(cosSinOfTurns(0) == (cos: 1, sin: 0))
        #expect(cosSinOfTurns(0.25) == (cos: 0, sin: 1))
        #expect(cosSinOfTurns(0.5) == (cos: -1, sin: 0))
        #expect(cosSinOfTurns(0.75) == (cos: 0, sin: -1))
        #expect(abs(cosSinOfTurns(0.125).cos - 0.5.squareRoot()) <= 0.5.squareRoot().ulp)
    }
}
