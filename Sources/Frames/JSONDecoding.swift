/// Why a JSON text was refused (FORMAT.md §1, "Reading JSON"). Syntax is checked first: a
/// text that is not JSON is `invalid` wherever the fault is; only a text that is JSON can be
/// refused for what it says, and then for the first such problem in the order the parser
/// finishes values (a number when it ends, an object's keys when the object closes).
public struct JSONDecodingError: Error, Equatable, Sendable {
    public enum Problem: Equatable, Sendable {
        /// Not JSON: bad syntax, invalid UTF-8 (a byte-order mark included), an escaped lone
        /// surrogate, or nesting deeper than `JSONValue.maximumNesting`.
        case invalid
        /// An integer (a number without fraction or exponent) outside the signed 64-bit range.
        case integerOutOfRange
        /// A number with a fraction or exponent whose magnitude rounds to infinity as a double.
        case doubleOutOfRange
        /// The same key, scalar for scalar, twice in one object.
        case duplicateKey(String)
    }

    public var problem: Problem
}

extension JSONValue {
    /// Arrays and objects nested deeper than this are refused, so a hostile text cannot
    /// exhaust a recursive reader's stack.
    public static let maximumNesting = 64

    public static func decode(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(bytes))
        return try parser.document()
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var position = 0
    var depth = 0
    var firstProblem: JSONDecodingError?

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws -> JSONValue {
        skipWhitespace()
        let result = try value()
        skipWhitespace()
        guard position == bytes.count else { throw invalid }
        if let firstProblem { throw firstProblem }
        return result
    }

    private var invalid: JSONDecodingError { JSONDecodingError(problem: .invalid) }

    private mutating func note(_ problem: JSONDecodingError.Problem) {
        if firstProblem == nil { firstProblem = JSONDecodingError(problem: problem) }
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func value() throws -> JSONValue {
        guard position < bytes.count else { throw invalid }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw invalid
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard bytes.count - position >= expected.count,
              bytes[position..<position + expected.count].elementsEqual(expected) else { throw invalid }
        position += expected.count
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= JSONValue.maximumNesting else { throw invalid }
        position += 1
        skipWhitespace()
    }

    private mutating func consume(_ byte: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: byte) else { return false }
        position += 1
        return true
    }

    private mutating func array() throws -> JSONValue {
        try enter()
        var items: [JSONValue] = []
        if !consume("]") {
            repeat {
                skipWhitespace()
                items.append(try value())
                skipWhitespace()
            } while consume(",")
            guard consume("]") else { throw invalid }
        }
        depth -= 1
        return .array(items)
    }

    private mutating func object() throws -> JSONValue {
        try enter()
        var pairs: [(String, JSONValue)] = []
        if !consume("}") {
            repeat {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw invalid }
                let key = try string()
                skipWhitespace()
                guard consume(":") else { throw invalid }
                skipWhitespace()
                pairs.append((key, try value()))
                skipWhitespace()
            } while consume(",")
            guard consume("}") else { throw invalid }
        }
        depth -= 1
        // Keys are compared as UTF-8 bytes, that is scalar by scalar, never by canonical
        // equivalence as Swift's String equality would. Sorting brings equal keys together;
        // the duplicate reported is the one whose second occurrence comes first in the text.
        let order = pairs.indices.sorted {
            let (a, b) = (pairs[$0].0.utf8, pairs[$1].0.utf8)
            return a.lexicographicallyPrecedes(b) || (a.elementsEqual(b) && $0 < $1)
        }
        var firstRepeat: Int?
        for (earlier, later) in zip(order, order.dropFirst())
        where pairs[earlier].0.utf8.elementsEqual(pairs[later].0.utf8) {
            firstRepeat = min(firstRepeat ?? later, later)
        }
        guard let firstRepeat else { return .object(JSONObject(sortedUniqueKeys: order.map { pairs[$0] })) }
        note(.duplicateKey(pairs[firstRepeat].0))
        return .object(JSONObject(pairs))
    }

    private mutating func number() throws -> JSONValue {
        let start = position
        _ = consume("-")
        let integerStart = position
        guard position < bytes.count, isDigit(bytes[position]) else { throw invalid }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        let integerDigits = position - integerStart
        var isInteger = true
        if consume(".") {
            isInteger = false
            try digits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if !consume("+") { _ = consume("-") }
            try digits()
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if isInteger {
            // More than 19 digits never fits, and is not worth converting.
            if integerDigits <= 19, let integer = Int64(text) { return .integer(integer) }
            note(.integerOutOfRange)
            return .integer(0)
        }
        guard let double = Double(text), double.isFinite else {
            note(.doubleOutOfRange)
            return .double(0)
        }
        return .double(double)
    }

    private mutating func digits() throws {
        let start = position
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        guard position > start else { throw invalid }
    }

    private func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// A string from its opening quote; its bytes must be UTF-8, and escapes must not leave a
    /// surrogate unpaired.
    private mutating func string() throws -> String {
        position += 1
        // Most keys and values carry no escape: they are taken as one slice.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            guard let result = String(validating: bytes[position..<end], as: UTF8.self) else { throw invalid }
            position = end + 1
            return result
        }
        var text = Array(bytes[position..<end])
        position = end
        while true {
            guard position < bytes.count else { throw invalid }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let result = String(validating: text, as: UTF8.self) else { throw invalid }
                return result
            case ..<0x20: throw invalid
            case UInt8(ascii: "\\"): try escape(into: &text)
            default: text.append(byte)
            }
        }
    }

    private mutating func escape(into text: inout [UInt8]) throws {
        guard position < bytes.count else { throw invalid }
        let byte = bytes[position]
        position += 1
        let replacement: UInt8? = switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
        if let replacement {
            text.append(replacement)
            return
        }
        guard byte == UInt8(ascii: "u") else { throw invalid }
        var code = try hexQuad()
        if (0xD800...0xDBFF).contains(code) {
            guard consume("\\"), consume("u") else { throw invalid }
            let low = try hexQuad()
            guard (0xDC00...0xDFFF).contains(low) else { throw invalid }
            code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
            throw invalid
        }
        text += Array(String(Character(Unicode.Scalar(code)!)).utf8)
    }

    private mutating func hexQuad() throws -> UInt32 {
        guard bytes.count - position >= 4,
              let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
              bytes[position..<position + 4].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
        else { throw invalid }
        position += 4
        return code
    }
}
