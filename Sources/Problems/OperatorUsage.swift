import Foundation
import LinearAlgebra
import Models

/// Passes over the operator and the time they took: the cost model of docs/mathematics.md §12, reported with
/// every solve so that methods are compared by work and not only by wall time.
public final class OperatorUsage: @unchecked Sendable {
    public private(set) var passes = 0
    public private(set) var seconds = 0.0
    /// Σ over the passes of the factor columns each carried (per entry, for completion: the
    /// numbers of a factor row read and combined), which a pass over a structured operator
    /// costs in proportion to; dense products of X carry none.
    public private(set) var columns = 0

    public init() {}

    func measure<Result>(passes count: Int = 1, columns width: Int = 0, _ body: () -> Result) -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        passes += count
        columns += count * width
        return result
    }
}

/// An operator whose every apply and adjoint counts as one pass.
public struct CountedOperator: Sendable {
    public let base: any MeasurementOperator
    public let usage: OperatorUsage

    public init(_ base: any MeasurementOperator, usage: OperatorUsage = OperatorUsage()) {
        self.base = base
        self.usage = usage
    }

    public func apply(_ x: Matrix) -> [Double] { usage.measure { base.apply(x) } }
    public func adjoint(_ y: [Double]) -> Matrix { usage.measure { base.adjoint(y) } }
    public func applyFactored(left: Matrix, right: Matrix) -> [Double] {
        usage.measure(columns: left.columns) { base.applyFactored(left: left, right: right) }
    }
    /// One pass carrying every pair's columns.
    public func applyFactored(_ pairs: [(left: Matrix, right: Matrix)]) -> [[Double]] {
        usage.measure(columns: pairs.reduce(0) { $0 + $1.left.columns }) { base.applyFactored(pairs) }
    }
    /// Two passes: one forward, one adjoint.
    public func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        usage.measure(passes: 2, columns: (left.columns + right.columns) / 2) { base.sandwichedSquaredNorm(left: left, right: right) }
    }
    /// Two passes: A_iᵀU and A_iV for every i.
    public func tangentJacobian(left: Matrix, right: Matrix) -> Matrix {
        usage.measure(passes: 2, columns: (left.columns + right.columns) / 2) { base.tangentJacobian(left: left, right: right) }
    }
    /// A*(y)'s products, each counted as the family says it costs.
    public func adjointProductMaps(_ y: [Double]) -> AdjointProductMaps {
        let maps = usage.measure(passes: 0) { base.adjointProductMaps(y) }
        let usage = self.usage
        usage.measure(passes: maps.setupPasses) {}
        return AdjointProductMaps(setupPasses: maps.setupPasses, passesPerProduct: maps.passesPerProduct,
                                  timesRight: { v in usage.measure(passes: maps.passesPerProduct, columns: v.columns) { maps.timesRight(v) } },
                                  transposeTimesLeft: { u in
                                      usage.measure(passes: maps.passesPerProduct, columns: u.columns) { maps.transposeTimesLeft(u) }
                                  })
    }
    /// The family's passes for both: one for a dense A*(y), two walks for a structured one.
    public func adjointProducts(_ y: [Double], left: Matrix, right: Matrix) -> (timesRight: Matrix, transposeTimesLeft: Matrix) {
        let maps = adjointProductMaps(y)
        return (maps.timesRight(right), maps.transposeTimesLeft(left))
    }
    /// Two passes, one for each side's blocks, when the family has them; a block of width a
    /// takes a² numbers per entry.
    public func tangentGramBlocks(left: Matrix, right: Matrix) -> TangentGramBlocks? {
        let blocks = usage.measure(passes: 0) { base.tangentGramBlocks(left: left, right: right) }
        if blocks != nil {
            usage.measure(passes: 1, columns: left.columns * left.columns) {}
            usage.measure(passes: 1, columns: right.columns * right.columns) {}
        }
        return blocks
    }
}
