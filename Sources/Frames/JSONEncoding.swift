/// Canonical JSON (FORMAT.md §1, "Writing JSON"): no whitespace, object keys in code point
/// order, strings escaped only where JSON requires it, integers in plain decimal, and doubles in
/// the shortest form that reads back to the same bits, spelled the way Python's `repr` spells
/// them, with a `.` or an exponent so that a double never reads back as an integer. Equal values
/// give equal bytes in every writer of the format.
extension JSONValue {
    public func encodedBytes() -> [UInt8] {
        var output: [UInt8] = []
        encode(into: &output)
        return output
    }

    public func encodedString() -> String {
        String(decoding: encodedBytes(), as: UTF8.self)
    }

    private func encode(into output: inout [UInt8]) {
        switch self {
        case .null: output += Array("null".utf8)
        case .bool(let b): output += Array((b ? "true" : "false").utf8)
        case .integer(let i): output += Array(String(i).utf8)
        case .double(let d):
            // JSON has no NaN or infinity; they are written as the strings NumPy's `repr` uses.
            if d.isNaN {
                Self.encode(string: "nan", into: &output)
            } else if d.isInfinite {
                Self.encode(string: d > 0 ? "inf" : "-inf", into: &output)
            } else {
                output += Array(Self.canonicalText(d).utf8)
            }
        case .string(let s): Self.encode(string: s, into: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.encode(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.encode(string: member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.encode(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`, everything
    /// else (including non-ASCII) as its UTF-8 bytes.
    private static func encode(string: String, into output: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: output += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: output += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case ..<0x20:
                output += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// A finite double as Python's `repr` writes it: the shortest digits that round-trip, in
    /// positional notation when the decimal exponent is from -4 to 15 (`0.0001`, `100.0`,
    /// `1234567890123456.5`) and in scientific notation otherwise (`1e-05`, `1e+16`, `5e-324`).
    static func canonicalText(_ value: Double) -> String {
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also gives the shortest round-tripping digits; only its notation
        // differs, so take the digits and the exponent from it.
        let text = abs(value).description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1])! : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var digits = Array(mantissa[0].utf8) + (mantissa.count == 2 ? Array(mantissa[1].utf8) : [])
        // The decimal point sits after `point` digits: value = 0.d₁d₂… × 10^point.
        var point = mantissa[0].utf8.count + exponent
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let sign = value.sign == .minus ? "-" : ""
        let digitText = String(decoding: digits, as: UTF8.self)
        if point <= -4 || point > 16 {
            let fraction = digits.count > 1 ? "." + digitText.dropFirst() : ""
            let power = point - 1
            let powerDigits = String(abs(power))
            return sign + digitText.prefix(1) + fraction + "e" + (power < 0 ? "-" : "+")
                + (powerDigits.count < 2 ? "0" : "") + powerDigits
        }
        if point <= 0 {
            return sign + "0." + String(repeating: "0", count: -point) + digitText
        }
        if point >= digits.count {
            return sign + digitText + String(repeating: "0", count: point - digits.count) + ".0"
        }
        return sign + digitText.prefix(point) + "." + digitText.dropFirst(point)
    }
}
