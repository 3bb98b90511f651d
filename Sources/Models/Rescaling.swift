import Foundation
import Frames
import LinearAlgebra

/// Which form a family's rescaling takes on each side, known before it is computed, so that
/// what it will hold can be checked against memory first.
public enum ScalingForm: Sendable {
    case multipleOfIdentity, diagonal, dense

    /// What one side of `size` (named as in `d1 100000`) holds in this form; nil for none.
    func plannedArray(_ what: String, size: (source: String, value: Int)) -> PlannedArray? {
        switch self {
        case .multipleOfIdentity: return nil
        case .diagonal: return PlannedArray(what, [size])
        case .dense: return PlannedArray(what, [size, size])
        }
    }
}

/// One side of the rescaling, held as the square D² (what the formulas produce) in the
/// cheapest exact form: completion gives diagonals, the identity a multiple of I.
public enum SquaredScaling: Sendable, Equatable {
    case multipleOfIdentity(Double, size: Int)
    case diagonal([Double])
    case dense(Matrix)

    public var size: Int {
        switch self {
        case .multipleOfIdentity(_, let size): return size
        case .diagonal(let d): return d.count
        case .dense(let m): return m.rows
        }
    }

    /// D² as a dense matrix.
    public var matrix: Matrix {
        switch self {
        case .multipleOfIdentity(let c, let size): return Matrix.identity(size) * c
        case .diagonal(let d): return Matrix.diagonal(d)
        case .dense(let m): return m
        }
    }

    /// ‖D·F‖²_F = tr(Fᵀ D² F): one side of the scaled Hessian trace.
    public func weightedSquaredNorm(_ f: Matrix) -> Double {
        precondition(f.rows == size)
        switch self {
        case .multipleOfIdentity(let c, _):
            return c * f.storage.reduce(0) { $0 + $1 * $1 }
        case .diagonal(let d):
            var total = 0.0
            for j in 0..<f.columns {
                for i in 0..<f.rows { total += d[i] * f[i, j] * f[i, j] }
            }
            return total
        case .dense(let m):
            let product = BLAS.matmul(m, f)
            return BLAS.dot(product.storage, f.storage)
        }
    }

    /// tr D² = ‖D‖²_F.
    public var trace: Double {
        switch self {
        case .multipleOfIdentity(let c, let size): return c * Double(size)
        case .diagonal(let d): return d.reduce(0, +)
        case .dense(let m): return (0..<m.rows).reduce(0) { $0 + m[$1, $1] }
        }
    }

    /// D²·F.
    public func times(_ f: Matrix) -> Matrix {
        switch self {
        case .multipleOfIdentity(let c, _): return c == 1 ? f : f * c
        case .diagonal(let d): return scalingRows(f, by: d)
        case .dense(let m): return BLAS.matmul(m, f)
        }
    }

    /// F·D² (D² is symmetric).
    func timesOnTheRight(_ f: Matrix) -> Matrix {
        switch self {
        case .multipleOfIdentity(let c, _): return c == 1 ? f : f * c
        case .diagonal(let d): return scalingColumns(f, by: d)
        case .dense(let m): return BLAS.matmul(f, m)
        }
    }

    /// S·M·T for S = self (d1×d1) and T = `right` (d2×d2), both symmetric: the two-sided weighting
    /// of a d1×d2 matrix (D1⁻¹A*(y)D2⁻¹ and the like). Splitting methods apply it to a full
    /// d1×d2 matrix every step, so it touches the entries once per diagonal side and not at all
    /// for the identity.
    public func sandwiching(_ m: Matrix, right: SquaredScaling) -> Matrix {
        if case .multipleOfIdentity(let a, _) = self, case .multipleOfIdentity(let b, _) = right {
            return a * b == 1 ? m : m * (a * b)
        }
        return right.timesOnTheRight(times(m))
    }

    /// D⁺, the pseudo-inverse of D: D⁻¹ on the directions D weighs and 0 on those it does not
    /// (a completion row that was never observed). Dense D must be invertible.
    public func pseudoInverseRoot() throws -> SquaredScaling {
        switch self {
        case .multipleOfIdentity(let c, let size):
            return .multipleOfIdentity(c > 0 ? 1 / c.squareRoot() : 0, size: size)
        case .diagonal(let d):
            return .diagonal(d.map { $0 > 0 ? 1 / $0.squareRoot() : 0 })
        case .dense:
            return try power(-0.5)
        }
    }

    /// (D²)^exponent in the same form: exponent ½ gives D, −½ gives D⁻¹.
    public func power(_ exponent: Double) throws -> SquaredScaling {
        switch self {
        case .multipleOfIdentity(let c, let size):
            guard c > 0 || exponent > 0 else { throw LinearAlgebraError(.singular, routine: "rescaling", info: 0) }
            return .multipleOfIdentity(Foundation.pow(c, exponent), size: size)
        case .diagonal(let d):
            if exponent < 0, d.contains(where: { $0 <= 0 }) { throw LinearAlgebraError(.singular, routine: "rescaling", info: 0) }
            return .diagonal(d.map { Foundation.pow($0, exponent) })
        case .dense(let m):
            return .dense(try LAPACK.symmetricPower(m, exponent: exponent))
        }
    }
}

/// D1² and D2² of docs/mathematics.md §2–3, computed once per instance from the operator's structure.
public struct Rescaling: Sendable, Equatable {
    /// D1², d1×d1.
    public var left: SquaredScaling
    /// D2², d2×d2.
    public var right: SquaredScaling

    public init(left: SquaredScaling, right: SquaredScaling) {
        self.left = left
        self.right = right
    }

    /// str(L, R) = ‖D1 L‖²_F + ‖D2 R‖²_F, the scaled Hessian trace at a zero-loss point.
    public func scaledTrace(left l: Matrix, right r: Matrix) -> Double {
        left.weightedSquaredNorm(l) + right.weightedSquaredNorm(r)
    }
}

