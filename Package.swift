// swift-tools-version:6.0
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

// Layers, bottom to top: C shims → Frames → LinearAlgebra, RandomNumbers → Models → Instances,
// Problems → Solvers, Evaluation → executables. Frames owns the stream schema (frame and
// attribute names); Problems owns what a solver is asked, which Evaluation reads too. Each
// executable is a thin argument parser over a library that tests can reach.
let package = Package(
    name: "flatmin",
    products: [
        .executable(name: "frames", targets: ["frames"]),
        .executable(name: "generate-ground-truth", targets: ["generate-ground-truth"]),
        .executable(name: "sample-measurements", targets: ["sample-measurements"]),
        .executable(name: "corrupt-sparse", targets: ["corrupt-sparse"]),
        .executable(name: "solve-flat", targets: ["solve-flat"]),
        .executable(name: "evaluate", targets: ["evaluate"]),
        .library(name: "Frames", targets: ["Frames"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMalloc"),
        // Deflate for .npz (zip) archives
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Temporary output files removed from a signal handler
        .target(name: "CTemporaryFiles"),
        // Streaming products with a large matrix, prefetched, and completion's walks over its
        // observed entries: the same bits on every x86 level
        .target(name: "CStreamKernels", linkerSettings: [.linkedLibrary("m")]),

        // The stream format, and the operations of the `frames` tool on it, including the file
        // formats it converts to and from (.npy, .npz, MatrixMarket, CSV)
        .target(name: "Frames", dependencies: ["CZstd", "CTemporaryFiles"], exclude: ["FORMAT.md"]),
        .target(name: "FrameTools", dependencies: ["Frames", "CZlib"]),

        // Numerics
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "CStreamKernels"]),
        .target(name: "RandomNumbers"),

        // Measurement operators of every family, and the instances built from them
        .target(name: "Models", dependencies: ["LinearAlgebra", "Frames", "CStreamKernels"]),
        .target(name: "Instances", dependencies: ["Models", "LinearAlgebra", "RandomNumbers", "Frames"]),

        // What a solver is asked: the fit, the factorization and the counted operator of a model
        .target(name: "Problems", dependencies: ["Models", "LinearAlgebra"]),

        // Methods that find flat solutions of any model
        .target(name: "Solvers", dependencies: ["Problems", "Models", "LinearAlgebra", "RandomNumbers", "Frames"]),

        // The metrics `evaluate` reports on a solved stream
        .target(name: "Evaluation", dependencies: ["Problems", "Models", "LinearAlgebra", "RandomNumbers", "Frames"]),

        // Command-line plumbing shared by every tool, and the tools
        .target(name: "ToolSupport", dependencies: ["Frames", "CMalloc", argumentParser]),
        .executableTarget(name: "frames", dependencies: ["Frames", "FrameTools", "ToolSupport", argumentParser]),
        .executableTarget(name: "generate-ground-truth", dependencies: ["Instances", "Models", "LinearAlgebra", "Frames", "ToolSupport", argumentParser]),
        .executableTarget(name: "sample-measurements", dependencies: ["Instances", "Models", "LinearAlgebra", "Frames", "ToolSupport", argumentParser]),
        .executableTarget(name: "solve-flat", dependencies: ["Solvers", "Models", "LinearAlgebra", "Frames", "ToolSupport", argumentParser]),
        .executableTarget(name: "corrupt-sparse", dependencies: ["Instances", "Models", "Frames", "ToolSupport", argumentParser]),
        .executableTarget(name: "evaluate", dependencies: ["Evaluation", "LinearAlgebra", "Frames", "ToolSupport", argumentParser]),

        // Fixtures, reference arithmetic and conformance checks shared by every test target
        .target(name: "TestSupport", dependencies: ["Problems", "Models", "LinearAlgebra", "RandomNumbers", "Frames"],
                path: "Tests/TestSupport"),
        .testTarget(name: "FramesTests", dependencies: ["TestSupport", "Frames"]),
        .testTarget(name: "FrameToolsTests", dependencies: ["TestSupport", "FrameTools", "Frames"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["TestSupport", "LinearAlgebra"]),
        .testTarget(name: "CStreamKernelsTests", dependencies: ["CStreamKernels"]),
        .testTarget(name: "RandomNumbersTests", dependencies: ["TestSupport", "RandomNumbers"]),
        .testTarget(name: "ToolSupportTests", dependencies: ["ToolSupport", "Frames"]),
        .testTarget(name: "ModelsTests", dependencies: ["TestSupport", "Models", "LinearAlgebra", "RandomNumbers", "Frames"]),
        .testTarget(name: "ProblemsTests", dependencies: ["TestSupport", "Problems"]),
        .testTarget(name: "SolversTests", dependencies: ["TestSupport", "Solvers", "Problems", "Instances", "Models", "LinearAlgebra", "RandomNumbers", "Frames"]),
        .testTarget(name: "InstancesTests", dependencies: ["TestSupport", "Instances", "Models", "LinearAlgebra", "RandomNumbers", "Frames"]),
        .testTarget(name: "EvaluationTests", dependencies: ["TestSupport", "Evaluation", "Instances", "Problems", "Models", "LinearAlgebra", "RandomNumbers", "Frames"]),
    ]
)
