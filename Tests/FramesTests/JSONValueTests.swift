import Testing
@testable import Frames

/// The JSON rules of FORMAT.md §1. Expected texts are what Python's `json.dumps` writes for the
/// same values (its `repr` of floats), the other writer the format has.
@Suite struct JSONValueTests {
    @Test(arguments: [
        (0.1, "0.1"), (1e-05, "1e-05"), (0.0001, "0.0001"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (123456789012345678.0, "1.2345678901234568e+17"), (1234567890123456.5, "1234567890123456.5"),
        (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (-2.5e-05, "-2.5e-05"),
        (100.0, "100.0"), (2.2250738585072014e-308, "2.2250738585072014e-308"), (1e22, "1e+22"),
        (9007199254740992.0, "9007199254740992.0"), (0.30000000000000004, "0.30000000000000004"),
        (-1.5, "-1.5"), (1e-310, "1e-310"), (123.456, "123.456"), (9.223372036854776e+18, "9.223372036854776e+18"),
        (0.0, "0.0"), (-0.0, "-0.0"), (3.0, "3.0"),
    ])
    func doublesAreWrittenAsPythonReprWritesThem(value: Double, text: String) throws {
        #expect(JSONValue.double(value).encodedString() == text)
        #expect(try JSONValue.decode(Array(text.utf8)) == .double(value))
    }

    @Test func integersAndDoublesStayApartAndKeepEveryBit() throws {
        let text = #"{"a":-9223372036854775808,"b":9223372036854775807,"c":9007199254740993,"d":-0.0,"e":1e-310,"f":0.0,"g":0,"h":1.0}"#
        let value = try JSONValue.decode(Array(text.utf8))
        #expect(value["a"] == .integer(.min) && value["b"] == .integer(.max) && value["c"] == .integer(9_007_199_254_740_993))
        #expect(value["d"]?.doubleValue?.sign == .minus && value["e"] == .double(1e-310))
        #expect(value["f"] == .double(0) && value["g"] == .integer(0) && value["h"] == .double(1))
        #expect(value["d"] != .double(0) && value["g"] != .double(0))
        #expect(value.encodedString() == text)
    }

    @Test func keysDifferingOnlyInUnicodeNormalizationAreTwoKeys() throws {
        let composed = "\u{E9}t\u{E9}"  // "été", precomposed
        let decomposed = "e\u{301}te\u{301}"  // "été", decomposed
        #expect(composed == decomposed)  // what Swift's String equality says
        let text = "{\"\(decomposed)\":2,\"\(composed)\":1}"
        let value = try JSONValue.decode(Array(text.utf8))
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.count == 2)
        #expect(members[composed] == .integer(1) && members[decomposed] == .integer(2))
        #expect(members.keys.map { Array($0.unicodeScalars) } == [Array(decomposed.unicodeScalars), Array(composed.unicodeScalars)])
        #expect(value.encodedString() == text)  // "e" (0x65) sorts before "é" (0xC3 0xA9)
        #expect(JSONValue.string(composed) != JSONValue.string(decomposed))
    }

    @Test func objectsKeepKeysInCodePointOrder() {
        let value: JSONValue = ["b": 1, "a": 2, "Z": 3, "é": 4, "😀": 5, "\u{FFFF}": 6]
        #expect(value.encodedString() == "{\"Z\":3,\"a\":2,\"b\":1,\"é\":4,\"\u{FFFF}\":6,\"😀\":5}")
    }

    @Test func stringsEscapeOnlyWhatJSONRequires() throws {
        let text = "q\"b\\s/\u{8}\u{C}\n\r\t\u{1}\u{1F}\u{7F}\u{2028}σ😀"
        let encoded = JSONValue.string(text).encodedString()
        #expect(encoded == "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\u{7F}\u{2028}σ😀\"")
        #expect(try JSONValue.decode(Array(encoded.utf8)) == .string(text))
        #expect(try JSONValue.decode(Array(#""\ud83d\ude00\u00e9\/""#.utf8)) == .string("😀é/"))
    }

    @Test(arguments: [
        "", " ", "\u{FEFF}{}", "{\"a\":1,}", "[1,]", "01", "1.", ".5", "-", "+1", "1e", "0x10", "NaN", "Infinity",
        "-Infinity", "{'a':1}", "{\"a\" 1}", "[1 2]", "tru", "nul", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"a\tb\"", "\"\\u12G4\"", "{\"a\":1}x", "{} {}", "\"\\u+123\"",
    ])
    func nonJSONIsInvalid(text: String) {
        #expect(throws: JSONDecodingError(problem: .invalid)) { try JSONValue.decode(Array(text.utf8)) }
    }

    @Test func invalidUTF8AndTooDeepNestingAreInvalid() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0xEF, 0xBB, 0xBF, 0x7B, 0x7D]] {
            #expect(throws: JSONDecodingError(problem: .invalid)) { try JSONValue.decode(bytes) }
        }
        let limit = JSONValue.maximumNesting
        #expect(throws: Never.self) { try JSONValue.decode(Array((String(repeating: "[", count: limit) + String(repeating: "]", count: limit)).utf8)) }
        #expect(throws: JSONDecodingError(problem: .invalid)) {
            try JSONValue.decode(Array((String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)).utf8))
        }
        // Deep enough to overflow a recursive parser's stack if it had no limit.
        #expect(throws: JSONDecodingError(problem: .invalid)) { try JSONValue.decode(Array(repeating: UInt8(ascii: "["), count: 1_000_000)) }
    }

    @Test func numbersOutOfRangeAreRefused() throws {
        for text in ["9223372036854775808", "-9223372036854775809", "123456789012345678901234567890", "[1,{\"a\":18446744073709551616}]"] {
            #expect(throws: JSONDecodingError(problem: .integerOutOfRange)) { try JSONValue.decode(Array(text.utf8)) }
        }
        for text in ["1e400", "-1e400", "1.8e308", "[0.5,2e308]"] {
            #expect(throws: JSONDecodingError(problem: .doubleOutOfRange)) { try JSONValue.decode(Array(text.utf8)) }
        }
        #expect(try JSONValue.decode(Array("1e-400".utf8)) == .double(0))  // rounds to zero: in range
    }

    @Test func duplicateKeysAreRefusedAndTheFirstFinishedOneIsNamed() {
        #expect(throws: JSONDecodingError(problem: .duplicateKey("a"))) { try JSONValue.decode(Array(#"{"a":1,"b":2,"a":3}"#.utf8)) }
        // Of several repeated keys, the one repeated earliest in the text.
        #expect(throws: JSONDecodingError(problem: .duplicateKey("b"))) {
            try JSONValue.decode(Array(#"{"c":0,"a":1,"b":2,"b":3,"a":4,"c":5}"#.utf8))
        }
        // The inner object closes first.
        #expect(throws: JSONDecodingError(problem: .duplicateKey("y"))) {
            try JSONValue.decode(Array(#"{"x":1,"x":{"y":1,"y":2}}"#.utf8))
        }
        // A number problem met before the object closes comes first; a syntax error beats both.
        #expect(throws: JSONDecodingError(problem: .integerOutOfRange)) {
            try JSONValue.decode(Array(#"{"x":1,"x":99999999999999999999}"#.utf8))
        }
        #expect(throws: JSONDecodingError(problem: .invalid)) { try JSONValue.decode(Array(#"{"x":1,"x":2} ,"#.utf8)) }
    }
}
