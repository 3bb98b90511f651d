import LinearAlgebra

// How far a computed number is from its independent truth. Every tolerance in the suite is
// on one of these.

/// max |a_i − b_i|, and NaN if any difference is NaN (which `max()` would skip over).
public func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths differ")
    var largest = 0.0
    for (x, y) in zip(a, b) {
        let difference = abs(x - y)
        if difference.isNaN { return .nan }
        largest = max(largest, difference)
    }
    return largest
}

public func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "shapes differ")
    return maxAbsDifference(a.storage, b.storage)
}

/// max |a − b| / max |b|: the largest entrywise error in units of the reference's largest
/// entry, so one tolerance serves references of every scale. A zero reference is matched
/// only by zero (the ratio is then 0, and infinite otherwise).
public func relativeMaxDifference(_ a: [Double], _ b: [Double]) -> Double {
    let difference = maxAbsDifference(a, b)
    let scale = b.map(abs).max() ?? 0
    return difference == 0 ? 0 : difference / scale
}

public func relativeMaxDifference(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "shapes differ")
    return relativeMaxDifference(a.storage, b.storage)
}

/// ‖a − b‖_F / ‖b‖_F: the relative error of `a` against the reference `b`.
public func relativeError(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "shapes differ")
    return relativeError(a.storage, b.storage)
}

public func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths differ")
    let difference = euclideanNorm(zip(a, b).map { $0 - $1 })
    return difference == 0 ? 0 : difference / euclideanNorm(b)
}

/// |a − b| / |b|.
public func relativeError(_ a: Double, _ b: Double) -> Double {
    a == b ? 0 : abs(a - b) / abs(b)
}
