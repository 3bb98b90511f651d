/// Sizes as people read them: `512 B`, `3.4 KiB`, `1.20 GiB`.
public func formatBytes(_ count: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(count) B" }
    let rounded = value >= 100 ? formatFixed(value, digits: 0) : value >= 10 ? formatFixed(value, digits: 1) : formatFixed(value, digits: 2)
    return "\(rounded) \(units[unit])"
}

private func formatFixed(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (value * scale).rounded()
    let integerPart = Int64(scaled / scale)
    guard digits > 0 else { return String(integerPart) }
    let fraction = Int64(abs(scaled) - abs(Double(integerPart)) * scale)
    let fractionText = String(fraction)
    return "\(integerPart)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
}
