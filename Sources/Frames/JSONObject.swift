/// A JSON object whose keys are told apart by their exact Unicode scalars.
///
/// Swift's `String` equality is canonical equivalence, so a `JSONObject` would merge
/// "é" written precomposed (U+00E9) with "é" written decomposed (U+0065 U+0301) and lose a
/// member. Here they are two keys, as they are to every other JSON reader, and each keeps the
/// scalars it was written with. Members are kept in the order writers emit them: by the UTF-8
/// bytes of their keys, which is also Unicode code point order.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    private var memberKeys: [String] = []
    private var memberValues: [JSONValue] = []

    public init() {}

    /// Later pairs replace earlier ones with the same key.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    /// Later pairs replace earlier ones with the same key.
    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        for (key, value) in pairs { self[key] = value }
    }

    /// Pairs whose keys are known to differ, already in code point order.
    init(sortedUniqueKeys pairs: [(String, JSONValue)]) {
        memberKeys = pairs.map(\.0)
        memberValues = pairs.map(\.1)
    }

    public subscript(key: String) -> JSONValue? {
        get {
            let (index, found) = position(of: key)
            return found ? memberValues[index] : nil
        }
        set {
            let (index, found) = position(of: key)
            switch (found, newValue) {
            case (true, let value?): memberValues[index] = value
            case (true, nil):
                memberKeys.remove(at: index)
                memberValues.remove(at: index)
            case (false, let value?):
                memberKeys.insert(key, at: index)
                memberValues.insert(value, at: index)
            case (false, nil): break
            }
        }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        let old = self[key]
        self[key] = nil
        return old
    }

    /// Keys in code point order.
    public var keys: [String] { memberKeys }
    public var values: [JSONValue] { memberValues }
    public var count: Int { memberKeys.count }
    public var isEmpty: Bool { memberKeys.isEmpty }

    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        var result = self
        result.memberValues = try memberValues.map(transform)
        return result
    }

    public func makeIterator() -> some IteratorProtocol<Element> {
        zip(memberKeys, memberValues).lazy.map { (key: $0, value: $1) }.makeIterator()
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.memberKeys.count == b.memberKeys.count
            && zip(a.memberKeys, b.memberKeys).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
            && a.memberValues == b.memberValues
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(memberKeys.count)
        for key in memberKeys {
            hasher.combine(key.utf8.count)
            for byte in key.utf8 { hasher.combine(byte) }
        }
        hasher.combine(memberValues)
    }

    /// Where `key` is or would go, by binary search on UTF-8 bytes.
    private func position(of key: String) -> (index: Int, found: Bool) {
        var low = 0
        var high = memberKeys.count
        while low < high {
            let middle = (low + high) / 2
            if memberKeys[middle].utf8.lexicographicallyPrecedes(key.utf8) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return (low, low < memberKeys.count && memberKeys[low].utf8.elementsEqual(key.utf8))
    }
}
