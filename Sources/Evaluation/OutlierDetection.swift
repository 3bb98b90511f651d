/// How well an estimate locates injected outliers: the entries it does not fit are the ones
/// it has declared corrupt. For robust PCA an estimate that recovers M♮ leaves a residual
/// A(X̂) − b equal to −S♮, so its support is the outliers' support exactly.
public struct OutlierDetection: Equatable, Sendable {
    /// |detected ∩ true| / |detected|; 1 when nothing is detected (no false alarm was raised).
    public let precision: Double
    /// |detected ∩ true| / |true|; 1 when no outlier was injected.
    public let recall: Double
    public let detectedCount: Int

    /// The default `relativeThreshold`: well above a solver's residual at its tolerance
    /// (1e-10 relative), well below any outlier worth the name.
    public static let defaultRelativeThreshold = 1e-6

    /// Detected support = {i : |b_i − A(X̂)_i| > threshold · max_j |b_j|}; `residual` is
    /// A(X̂) − b and `support` the injected positions (indices into b).
    public init(residual: [Double], observations: [Double], support: [Int],
                relativeThreshold: Double = OutlierDetection.defaultRelativeThreshold) {
        let scale = observations.reduce(0) { max($0, abs($1)) }
        let threshold = relativeThreshold * scale
        let detected = Set(residual.indices.filter { abs(residual[$0]) > threshold })
        let injected = Set(support)
        let hits = detected.intersection(injected).count
        precision = detected.isEmpty ? 1 : Double(hits) / Double(detected.count)
        recall = injected.isEmpty ? 1 : Double(hits) / Double(injected.count)
        detectedCount = detected.count
    }
}
