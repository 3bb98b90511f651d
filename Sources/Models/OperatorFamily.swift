/// The measurement families a stream can name (the `operator` attribute of `observations`).
/// A family is parsed from its name once, where a stream is read; everything after works with
/// the operator's types and their declared structure.
public enum OperatorFamily: String, CaseIterable, Sendable {
    case gaussian, bilinear, completion, quadratic, identity
}

/// How a model's factors make the estimate: every model declares one, and the solvers build
/// their factorization from it without knowing the family.
public enum FactorParametrization: Sendable, Equatable {
    /// X = L·Rᵀ with independent L (d1×k) and R (d2×k).
    case general
    /// X = U1U1ᵀ − U2U2ᵀ for measurements that see only the symmetric part of X
    /// (A_i = A_iᵀ): P = U1U1ᵀ and N = U2U2ᵀ are the two sides of X's Jordan decomposition,
    /// so the factors are the square roots of P, N ⪰ 0 (docs/mathematics.md §7).
    case signedSymmetric
}
