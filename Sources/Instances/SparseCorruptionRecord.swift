import Frames
import Models

/// Which outliers a target carries: `y_final − y_clean` on its support. In a stream it is
/// the pair of frames `outliers_support` (int64 linear indices, column-major for a matrix)
/// and `outliers_values` (float64), whose `target` attribute names the frame they describe.
public struct OutlierRecord: Sendable, Equatable {
    /// Increasing, distinct linear indices.
    public private(set) var support: [Int]
    /// The value added at each support position.
    public private(set) var values: [Double]

    public init(support: [Int], values: [Double]) {
        precondition(support.count == values.count, "an outlier record needs one value per position")
        precondition(zip(support, support.dropFirst()).allSatisfy { $0 < $1 }, "outlier support must be increasing")
        self.support = support
        self.values = values
    }

    /// Reads a record from its two frames and checks that it fits a target of `entries`
    /// entries. Positions may come in any order (another language's stage may not sort
    /// them); they are sorted here, and a repeated position is an error.
    public init(supportFrame: Frame, valuesFrame: Frame, entries: Int) throws {
        let supportName = "'\(supportFrame.header.name)'"
        let valuesName = "'\(valuesFrame.header.name)'"
        guard supportFrame.header.shape.count == 1, let positions = supportFrame.data.integers else {
            throw InstanceError("\(supportName) must be a vector of integers, not \(supportFrame.header.dtype.rawValue) \(supportFrame.header.shapeDescription)")
        }
        guard valuesFrame.header.shape.count == 1, [.float64, .float32].contains(valuesFrame.header.dtype) else {
            throw InstanceError("\(valuesName) must be a vector of floats, not \(valuesFrame.header.dtype.rawValue) \(valuesFrame.header.shapeDescription)")
        }
        guard positions.count == valuesFrame.data.count else {
            throw InstanceError("\(supportName) has \(positions.count) positions but \(valuesName) has \(valuesFrame.data.count) values")
        }
        if let outside = positions.first(where: { !(0 ..< entries).contains($0) }) {
            throw InstanceError("\(supportName) holds position \(outside), outside the target's \(entries) entries")
        }
        let pairs = zip(positions, valuesFrame.data.doubles).sorted { $0.0 < $1.0 }
        if let repeated = zip(pairs, pairs.dropFirst()).first(where: { $0.0.0 == $0.1.0 }) {
            throw InstanceError("\(supportName) lists position \(repeated.0.0) twice")
        }
        self.init(support: pairs.map(\.0), values: pairs.map(\.1))
    }

    public var count: Int { support.count }

    /// The record of this corruption followed by `later`: the union of the supports, with
    /// values summed where both corrupted the same entry. There the sum can differ from
    /// `y_final − y_clean` by rounding (a few units in the last place); elsewhere it is exact.
    public func merged(with later: OutlierRecord) -> OutlierRecord {
        var support: [Int] = []
        var values: [Double] = []
        support.reserveCapacity(count + later.count)
        values.reserveCapacity(count + later.count)
        var earlierIndex = 0
        var laterIndex = 0
        while earlierIndex < count || laterIndex < later.count {
            let earlierPosition = earlierIndex < count ? self.support[earlierIndex] : Int.max
            let laterPosition = laterIndex < later.count ? later.support[laterIndex] : Int.max
            if earlierPosition < laterPosition {
                support.append(earlierPosition)
                values.append(self.values[earlierIndex])
                earlierIndex += 1
            } else if laterPosition < earlierPosition {
                support.append(laterPosition)
                values.append(later.values[laterIndex])
                laterIndex += 1
            } else {
                support.append(earlierPosition)
                values.append(self.values[earlierIndex] + later.values[laterIndex])
                earlierIndex += 1
                laterIndex += 1
            }
        }
        return OutlierRecord(support: support, values: values)
    }

    /// The largest number of support positions in one row or one column of a column-major
    /// `rows × columns` matrix: the `l` of the robust-PCA theorem that this record realizes.
    public func maximumPerLine(rows: Int, columns: Int) -> Int {
        var rowCounts = [Int](repeating: 0, count: rows)
        var columnCounts = [Int](repeating: 0, count: columns)
        for position in support {
            let (column, row) = position.quotientAndRemainder(dividingBy: rows)
            rowCounts[row] += 1
            columnCounts[column] += 1
        }
        return max(rowCounts.max() ?? 0, columnCounts.max() ?? 0)
    }

    /// The two frames that carry the record, both with `attributes`.
    public func frames(attributes: JSONObject) -> [Frame] {
        [Frame(name: FrameName.outlierSupport, integers: support, shape: [count], attributes: attributes),
         Frame(name: FrameName.outlierValues, vector: values, attributes: attributes)]
    }
}
