// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top: C shims → Frames → LinearAlgebra → Models → Solvers → executables.
let package = Package(
    name: "flatmin",
    products: [
        .executable(name: "frames", targets: ["frames"]),
        .library(name: "Frames", targets: ["Frames"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(name: "Frames", dependencies: ["CZstd"], exclude: ["FORMAT.md"]),
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS"]),
        .target(
            name: "ToolSupport",
            dependencies: ["Frames", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "frames",
            dependencies: ["Frames", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "FramesTests", dependencies: ["Frames"]),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
    ]
)
