/// A LAPACK routine (or a helper built on one) that refused its input. Carries the routine's
/// name and its raw `info` so a failure can be looked up in the LAPACK documentation, and a
/// kind so callers can react without decoding `info` per routine.
public struct LinearAlgebraError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// LAPACK rejected argument number `-info`; with the shapes checked before the call,
        /// this in practice means the input contained NaN.
        case illegalArgument
        /// A matrix that had to be (semi)definite is not; for Cholesky, `info` is the order of
        /// the first leading minor that is not positive.
        case notPositiveDefinite
        /// Exactly or numerically singular (or rank-deficient, for least squares); `info`
        /// locates the zero pivot, or counts the zero eigenvalues in `symmetricPower`.
        case singular
        /// An iterative eigen- or singular-value solver did not converge.
        case notConverged
    }

    public var kind: Kind
    /// The LAPACK routine, e.g. `dpotrf`, or the toolkit function that detected the problem.
    public var routine: String
    public var info: Int

    public init(_ kind: Kind, routine: String, info: Int) {
        self.kind = kind
        self.routine = routine
        self.info = info
    }

    public var description: String {
        let explanation = switch kind {
        case .illegalArgument: "argument \(-info) was illegal (NaN in the input?)"
        case .notPositiveDefinite: "matrix is not positive definite"
        case .singular: "matrix is singular"
        case .notConverged: "iteration did not converge"
        }
        return "\(routine): \(explanation) (info = \(info))"
    }

    /// Translates LAPACK's `info` convention (0 success, < 0 bad argument, > 0 a routine-specific
    /// numerical failure) into a thrown error. Routines documented never to report a positive
    /// `info` pass no kind for it.
    static func check(_ info: Int32, routine: String,
                      positiveInfoMeans kind: Kind? = nil) throws(LinearAlgebraError) {
        if info < 0 { throw LinearAlgebraError(.illegalArgument, routine: routine, info: Int(info)) }
        guard info > 0 else { return }
        guard let kind else { preconditionFailure("\(routine) returned undocumented info = \(info)") }
        throw LinearAlgebraError(kind, routine: routine, info: Int(info))
    }
}
