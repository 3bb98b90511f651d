import Foundation
import Frames
import Models
import TestSupport
import Testing

/// Streams the fuzz targets found (Fuzz/Regressions/measurements), replayed through the
/// same reading path `solve-flat` and `evaluate` take. Each must end in a one-line error.
@Suite("fuzz regressions: measurement sets")
struct FuzzRegressionTests {
    /// Observations whose d1·d2 overflows Int: the Gaussian operator sized its sensing matrix
    /// by d1·d2, and the identity its measurement count, and both trapped on the product.
    @Test(arguments: [
        ("gaussian-shape-overflow", "XCpNGNkAAAB7ImF0dHJpYnV0ZXMiOnsiZDEiOjQyOTQ5NjcyOTYsImQyIjo0Mjk0OTY3Mjk2LCJvcGVyYXRvciI6ImdhdXNzaWFuIiwib3BlcmF0b3JfZnJhbWVzIjpbInNlbnNpbmciXX0sImR0eXBlIjoiZmxvYXQ2NCIsImZvcm1hdCI6ImZsYXRtaW4tZnJhbWUiLCJuYW1lIjoib2JzZXJ2YXRpb25zIiwibnB5X2J5dGVzIjoxNDQsIm9yZGVyIjoiRiIsInNoYXBlIjpbMl0sInZlcnNpb24iOjF9KLUv/SSQdQIAJASTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlRmFsc2UsICdzaGFwZSc6ICgyLCksIH0gCgADAKDDACcDa0091sA7hVwqTRiDAAAAeyJhdHRyaWJ1dGVzIjp7fSwiZHR5cGUiOiJmbG9hdDY0IiwiZm9ybWF0IjoiZmxhdG1pbi1mcmFtZSIsIm5hbWUiOiJzZW5zaW5nIiwibnB5X2J5dGVzIjoxOTIsIm9yZGVyIjoiRiIsInNoYXBlIjpbMiw0XSwidmVyc2lvbiI6MX0otS/9JMCFAgA0BJNOVU1QWQEAdgB7J2Rlc2NyJzogJzxmOCcsICdmb3J0cmFuX29yZGVUcnVlLCAnc2hhcGUnOiAoMiwgNCksIH0gCgADAAQS7rgb2HXqAU45z/0="),
        ("identity-shape-overflow", "XCpNGNAAAAB7ImF0dHJpYnV0ZXMiOnsiZDEiOjQyOTQ5NjcyOTYsImQyIjo0Mjk0OTY3Mjk2LCJvcGVyYXRvciI6ImlkZW50aXR5Iiwib3BlcmF0b3JfZnJhbWVzIjpbXX0sImR0eXBlIjoiZmxvYXQ2NCIsImZvcm1hdCI6ImZsYXRtaW4tZnJhbWUiLCJuYW1lIjoib2JzZXJ2YXRpb25zIiwibnB5X2J5dGVzIjoxNjAsIm9yZGVyIjoiRiIsInNoYXBlIjpbNF0sInZlcnNpb24iOjF9KLUv/SSgdQIAJASTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlRmFsc2UsICdzaGFwZSc6ICg0LCksIH0gCgADAKDBACcDa009hkhB4w=="),
    ])
    func shapesWhoseProductOverflowsAreRefused(name: String, base64: String) throws {
        let bytes = [UInt8](try #require(Data(base64Encoded: base64)))
        let frames = Dictionary(try decodeFrames(bytes).map { ($0.header.name, $0.columnMajor()) }) { _, last in last }
        #expect(frames[FrameName.observations]?.header.attributes[AttributeKey.rows] == .integer(1 << 32))
        let error = #expect(throws: ModelError.self) { try MeasurementSet(frames: frames) }
        #expect(error?.description.contains("beyond the largest extent a frame can have") == true, "\(name)")
    }
}
