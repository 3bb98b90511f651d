import Foundation

// Helpers for the statistical tests. Each test compares a statistic with its expectation in
// units of its standard error; a bound of 6 standard errors never fails by chance (p ≈ 2e-9)
// yet catches any real bias at the sample sizes used.

public let standardErrorBound = 6.0

public func mean(_ values: [Double]) -> Double {
    values.reduce(0, +) / Double(values.count)
}

/// The mean of `transform` over `values`: a sample moment.
public func mean(_ values: [Double], of transform: (Double) -> Double) -> Double {
    values.reduce(0) { $0 + transform($1) } / Double(values.count)
}

/// The Pearson correlation of two equally long samples.
public func correlation(_ x: [Double], _ y: [Double]) -> Double {
    let meanX = mean(x)
    let meanY = mean(y)
    var crossSum = 0.0
    var squaresX = 0.0
    var squaresY = 0.0
    for (a, b) in zip(x, y) {
        crossSum += (a - meanX) * (b - meanY)
        squaresX += (a - meanX) * (a - meanX)
        squaresY += (b - meanY) * (b - meanY)
    }
    return crossSum / (squaresX * squaresY).squareRoot()
}

/// Pearson's chi-square statistic of observed counts against equal expected counts.
public func chiSquareAgainstUniform(_ counts: [Int]) -> Double {
    let expected = Double(counts.reduce(0, +)) / Double(counts.count)
    return counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
}

/// The chi-square statistic as a standard normal score by Wilson and Hilferty's cube-root
/// transform, so that one bound in standard errors serves every number of degrees of
/// freedom (the chi-square's own tail is too heavy for a mean ± k·sd rule).
public func wilsonHilfertyScore(chiSquare: Double, degreesOfFreedom: Int) -> Double {
    let spread = 2 / (9 * Double(degreesOfFreedom))
    return (cbrt(chiSquare / Double(degreesOfFreedom)) - (1 - spread)) / spread.squareRoot()
}

/// The standard-error score of the chi-square test of `counts` against equal frequencies.
public func uniformityScore(_ counts: [Int]) -> Double {
    wilsonHilfertyScore(
        chiSquare: chiSquareAgainstUniform(counts), degreesOfFreedom: counts.count - 1)
}
