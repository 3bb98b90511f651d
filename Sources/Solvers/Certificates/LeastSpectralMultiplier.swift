import Foundation
import LinearAlgebra
import Models
import Problems

/// The multipliers y = Pᵀ(z₀ + N·w) + q that meet the tangent conditions at a point (see
/// `LowRankNewton.tangentMultipliers`): z₀ the member nearest a reference, N an orthonormal
/// basis of the directions that leave the conditions unchanged, P and q the fit's active form.
struct TangentMultipliers {
    let base: [Double]
    let freeDirections: Matrix
    let fit: ActiveFit

    /// The member nearest the reference.
    var nearest: [Double] { fit.multiplier(base) }

    func multiplier(_ w: [Double]) -> [Double] {
        var z = base
        if !w.isEmpty { BLAS.axpy(1, BLAS.matvec(freeDirections, w), &z) }
        return fit.multiplier(z)
    }

    /// The gradient in w of a function of y, from its gradient in y.
    func pullback(_ gradient: [Double]) -> [Double] {
        BLAS.matvec(freeDirections, fit.project(gradient), transpose: true)
    }
}

/// Where the data leave the multiplier undetermined (fewer measurements than the fit's
/// neighbourhood has directions, or a degenerate optimum), the tangent conditions fix only
/// part of y, and the member an iterative method ends near need not be dual feasible even at
/// an exact optimum. The search maximizes the dual function over the members,
/// g(y) = 2·v(y)/‖D1⁻¹A*(y)D2⁻¹‖ with v(y) = −⟨y, b⟩ for an exact fit and −⟨y, b⟩ − τ‖y‖∞ for an
/// ℓ1 budget (`DualBound`): it minimizes log σ₁ − log v with both maxima smoothed,
/// μ·log Σ exp(σ_i/μ) and likewise over ±y_i, by L-BFGS over the free directions, with μ
/// shrinking until g reaches the point's objective (or the widths run out; the best member
/// seen stands). Each evaluation forms the weighted adjoint densely and takes its SVD, so the
/// search runs on small instances only (`entryLimit`). The same member gives the truest escape
/// directions when the point is not optimal: the only ones no other multiplier contradicts.
struct LeastSpectralMultiplier {
    let problem: RecoveryProblem

    /// d1·d2 up to which the dense SVD per evaluation is cheap enough.
    static let entryLimit = 10_000
    /// Free directions up to which the search runs (a dense basis of m × k numbers).
    static let directionLimit = 2_000
    /// Smoothing widths, relative to the threshold 2 and to the multiplier's size, one L-BFGS
    /// run each.
    static let smoothings = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
    static let iterationsPerSmoothing = 100

    /// Whether the instance is small enough for the dense search; beyond it the search is
    /// `SpectralExcessSearch`'s.
    static func reaches(_ problem: RecoveryProblem) -> Bool {
        problem.factorization.rows * problem.factorization.columns <= entryLimit
    }

    struct Member {
        var multiplier: [Double]
        /// ‖D1⁻¹A*(y)D2⁻¹‖.
        var norm: Double
        /// g(y).
        var bound: Double
    }

    /// The member of largest dual value found (the nearest one when no direction is free), to
    /// beat `target`; nil on instances too large for the search, or fits it does not cover (an
    /// ℓ2 ball, an ℓ1 penalty).
    func search(_ multipliers: TangentMultipliers, target: Double) throws -> Member? {
        let k = multipliers.freeDirections.columns
        guard Self.reaches(problem), k <= Self.directionLimit else { return nil }
        let budget: Double
        switch problem.dataFit {
        case .exact: budget = 0
        case .l1Ball(let radius): budget = radius
        case .euclideanBall, .l1Penalty: return nil
        }
        let dual = SmoothedDualFunction(problem: problem, multipliers: multipliers, budget: budget,
                                        leftInverse: try problem.rescaling.left.pseudoInverseRoot(),
                                        rightInverse: try problem.rescaling.right.pseudoInverseRoot(),
                                        spectralWidth: 0, entryWidth: 0)
        var w = [Double](repeating: 0, count: k)
        var best = try dual.member(w)
        guard k > 0 else { return best }
        let size = multipliers.nearest.map(abs).max() ?? 0
        for smoothing in Self.smoothings where best.bound < target {
            var objective = dual
            objective.spectralWidth = 2 * smoothing
            objective.entryWidth = max(size, .leastNormalMagnitude) * smoothing
            var history = LBFGS.History()
            w = LBFGS().minimize(objective, from: w, gradientTolerance: 1e-3 * smoothing,
                                 maxIterations: Self.iterationsPerSmoothing, history: &history).point
            let member = try dual.member(w)
            if member.bound > best.bound { best = member }
        }
        return best
    }
}

/// log(μ·log Σ exp(σ_i/μ)) − log(−⟨y, b⟩ − τ·ν·log Σ exp(±y_i/ν)) over the tangent members
/// y(w), for the singular values σ_i of D1⁻¹A*(y)D2⁻¹: the negative log of a smoothed dual
/// function, smooth in w, whose gradient in the weighted adjoint is U·diag(softmax(σ/μ))·Vᵀ.
struct SmoothedDualFunction: SmoothObjective {
    let problem: RecoveryProblem
    let multipliers: TangentMultipliers
    /// τ of an ℓ1 budget, 0 for an exact fit.
    let budget: Double
    let leftInverse: SquaredScaling, rightInverse: SquaredScaling
    var spectralWidth: Double
    var entryWidth: Double

    private func weightedAdjoint(_ y: [Double]) -> Matrix {
        leftInverse.sandwiching(problem.measurementOperator.adjoint(y), right: rightInverse)
    }

    /// The member at w with its exact norm and dual value.
    func member(_ w: [Double]) throws -> LeastSpectralMultiplier.Member {
        let y = multipliers.multiplier(w)
        let norm = try LAPACK.singularValues(weightedAdjoint(y)).first ?? 0
        let value = -BLAS.dot(y, problem.observations) - budget * (y.map(abs).max() ?? 0)
        return .init(multiplier: y, norm: norm, bound: norm > 0 ? max(0, 2 * value / norm) : 0)
    }

    /// μ·log Σ exp(x_i/μ) and its gradient, softmax(x/μ).
    private static func smoothMaximum(_ x: [Double], width: Double) -> (value: Double, weights: [Double]) {
        let largest = x.max() ?? 0
        let exponentials = x.map { Foundation.exp(($0 - largest) / width) }
        let total = exponentials.reduce(0, +)
        return (largest + width * Foundation.log(total), exponentials.map { $0 / total })
    }

    func valueAndGradient(_ w: [Double]) -> (value: Double, gradient: [Double]) {
        let failure = (Double.infinity, [Double](repeating: 0, count: w.count))
        let y = multipliers.multiplier(w)
        guard let (u, values, vt) = try? LAPACK.svd(weightedAdjoint(y)) else { return failure }
        let spectral = Self.smoothMaximum(values, width: spectralWidth)
        var value = -BLAS.dot(y, problem.observations)
        var valueGradient = problem.observations.map { -$0 }
        if budget > 0 {
            let entries = Self.smoothMaximum(y + y.map { -$0 }, width: entryWidth)
            value -= budget * entries.value
            for i in y.indices { valueGradient[i] -= budget * (entries.weights[i] - entries.weights[y.count + i]) }
        }
        guard value > 0, spectral.value > 0 else { return failure }
        let direction = BLAS.matmul(BLAS.matmul(u, Matrix.diagonal(spectral.weights)), vt)
        var gradient = problem.measurementOperator.apply(leftInverse.sandwiching(direction, right: rightInverse))
        for i in gradient.indices { gradient[i] = gradient[i] / spectral.value - valueGradient[i] / value }
        return (Foundation.log(spectral.value) - Foundation.log(value), multipliers.pullback(gradient))
    }

    func restriction(at point: [Double], value: Double, gradient: [Double], direction: [Double]) -> EvaluatingRestriction<Self> {
        EvaluatingRestriction(objective: self, point: point, direction: direction)
    }

    func preconditioned(_ vector: [Double], at point: [Double]) -> [Double] { vector }
}
