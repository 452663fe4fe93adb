// swift-tools-version: 6.0
import PackageDescription

#if os(macOS)
let blasSettings: [LinkerSetting] = [.linkedFramework("Accelerate")]
#else
let blasSettings: [LinkerSetting] = []
#endif

let package = Package(
    name: "Feint",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Feint", targets: ["Feint"]),
        .library(name: "FeintCore", targets: ["FeintCore"]),
        .library(name: "FeintModels", targets: ["FeintModels"]),
        .library(name: "FeintAttacks", targets: ["FeintAttacks"]),
        .library(name: "FeintEval", targets: ["FeintEval"]),
        .executable(name: "feint", targets: ["feint"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CImageCodecs",
            providers: [.apt(["libpng-dev", "libjpeg-dev", "zlib1g-dev"])]
        ),
        .target(
            name: "FeintCore",
            dependencies: ["CBLAS"],
            linkerSettings: blasSettings
        ),
        .target(name: "FeintModels", dependencies: ["FeintCore", "CImageCodecs"]),
        .target(name: "FeintAttacks", dependencies: ["FeintCore", "FeintModels"]),
        .target(name: "FeintEval", dependencies: ["FeintCore", "FeintModels", "FeintAttacks"]),
        .target(name: "Feint", dependencies: ["FeintCore", "FeintModels", "FeintAttacks", "FeintEval"]),
        .executableTarget(name: "feint", dependencies: ["FeintCore", "FeintModels", "FeintAttacks", "FeintEval"]),
        .executableTarget(name: "feint-fuzz", dependencies: ["FeintModels"]),
        .testTarget(name: "FeintCoreTests", dependencies: ["FeintCore"]),
        .testTarget(name: "FeintModelsTests", dependencies: ["FeintModels"], exclude: ["Fixtures"]),
        .testTarget(name: "FeintAttacksTests", dependencies: ["FeintAttacks", "FeintModels", "Feint"]),
        .testTarget(name: "FeintEvalTests", dependencies: ["FeintEval", "FeintAttacks"]),
        .testTarget(name: "FeintCLITests", dependencies: ["feint", "FeintModels"]),
    ],
    swiftLanguageModes: [.v6]
)
