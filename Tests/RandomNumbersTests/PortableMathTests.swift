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
            // The arguments the normal tail and Bernoulli gaps use: 1 − u, from 2⁻⁵³ to 1.
            let samplingArgument = 1 - generator.nextUniform()
            #expect(abs(portableLog(samplingArgument) - log(samplingArgument)) <= log(samplingArgument).ulp)
            // Every binade, to exercise the exponent handling.
            let anyPositive = Double(
                sign: .plus, exponent: generator.nextInt(below: 2000) - 1000,
                significand: 1 + generator.nextUniform())
            #expect(abs(portableLog(anyPositive) - log(anyPositive)) <= log(anyPositive).ulp)
        }
        #expect(portableLog(1) == 0)
        // The smallest argument sampling can pass: log 2⁻⁵³ = −53 ln 2, correctly rounded.
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

    @Test func expMatchesLibm() {
        var generator = PCG64(seed: 15)
        for _ in 0 ..< 50_000 {
            // The arguments the ziggurat's wedge test uses: −x²/2 for x up to r ≈ 3.654.
            let wedgeArgument = -6.68 * generator.nextUniform()
            #expect(abs(portableExp(wedgeArgument) - exp(wedgeArgument)) <= exp(wedgeArgument).ulp)
            let anyArgument = 1416 * generator.nextUniform() - 708
            #expect(abs(portableExp(anyArgument) - exp(anyArgument)) <= exp(anyArgument).ulp)
        }
        #expect(portableExp(0) == 1)
        #expect(portableExp(-0.5) == 0x1.368B2FC6F960Ap-1)  // e^−½, correctly rounded
    }
}
