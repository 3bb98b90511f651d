import LinearAlgebra
import Models

/// One instance of "find the flattest factorization that fits": the measurements, the fit
/// they demand, the weights that define flatness, and how the factors make X. Every method
/// works on this and nothing model-specific, so a new model is a new operator or fit.
public struct RecoveryProblem: Sendable {
    public let measurementOperator: CountedOperator
    public let observations: [Double]
    public let dataFit: DataFit
    /// D1², D2² of the flatness being minimized: the operator's own for `flat`, multiples of
    /// the identity for `min-norm`.
    public let rescaling: Rescaling
    public private(set) var factorization: any Factorization

    public init(measurements: MeasurementSet, dataFit: DataFit, rescaling: Rescaling,
                factorization: any Factorization, usage: OperatorUsage = OperatorUsage()) {
        self.measurementOperator = CountedOperator(measurements.measurementOperator, usage: usage)
        self.observations = measurements.observations
        self.dataFit = dataFit
        self.rescaling = rescaling
        self.factorization = factorization
    }

    /// The same problem over another factorization (a wider one, say).
    public func with(factorization: any Factorization) -> RecoveryProblem {
        var copy = self
        copy.factorization = factorization
        return copy
    }

    public var measurementCount: Int { observations.count }
    public var observationNorm: Double { BLAS.nrm2(observations) }

    /// Whether θ holds the data fit to a relative `tolerance` (of ‖b‖): one pass.
    public func holdsFit(_ parameters: [Double], tolerance: Double) -> Bool {
        dataFit.violation(residual(parameters)) <= tolerance * max(observationNorm, .leastNormalMagnitude)
    }

    /// A(X(θ)) − b: one pass.
    public func residual(_ parameters: [Double]) -> [Double] {
        let (left, right) = factorization.factors(parameters)
        var values = measurementOperator.applyFactored(left: left, right: right)
        BLAS.axpy(-1, observations, &values)
        return values
    }

    /// ∇θ ⟨z, A(X(θ))⟩: one pass.
    public func pullback(_ parameters: [Double], _ z: [Double]) -> [Double] {
        let probes = factorization.probes(parameters)
        let products = measurementOperator.adjointProducts(z, left: probes.left, right: probes.right)
        return factorization.pullback(parameters, products: products)
    }

    /// f(θ) = (1/2m)‖A(X(θ)) − b‖² and its gradient: the loss of docs/mathematics.md §1 that the implicit
    /// methods descend. Two passes.
    public func loss(_ parameters: [Double]) -> (value: Double, gradient: [Double], residual: [Double]) {
        let r = residual(parameters)
        let m = Double(measurementCount)
        let gradient = pullback(parameters, r.map { $0 / m })
        return (BLAS.dot(r, r) / (2 * m), gradient, r)
    }

    /// What `flat` and `min-norm` minimize: the problem's flatness plus the fit's penalty.
    public func objective(_ parameters: [Double]) -> Double {
        flatness(parameters).value + dataFit.penalty(residual(parameters))
    }

    /// The flatness the problem minimizes, and its gradient.
    public func flatness(_ parameters: [Double]) -> (value: Double, gradient: [Double]) {
        flatness(parameters, rescaling: rescaling)
    }

    /// The flatness under other weights: the operator's own, to report str whatever the method
    /// minimized.
    public func flatness(_ parameters: [Double], rescaling other: Rescaling) -> (value: Double, gradient: [Double]) {
        factorization.flatness(parameters, rescaling: other, measurementOperator: measurementOperator)
    }
}
