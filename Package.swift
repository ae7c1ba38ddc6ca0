// swift-tools-version: 6.2
// Host build of Pollen: the portable core, the host simulation, the host demo and
// benchmarks, and the host test suite. No package dependencies.
// Firmware images are cross-built by ./Board/build, not by this manifest.
import PackageDescription

// POLLEN_STRESS_ONLY=1 declares only the core, the host platforms and the threaded
// stress tests, so that `swift test --sanitize=thread` builds those alone: compiling
// PollenTests with -sanitize=thread crashes swiftc 6.3.1 ("Invalid bitcast", LLVM's
// module verifier), `swift test` builds every test target even with --filter, and
// `swift build --target PollenStressTests` builds the module but no test bundle to run.
// Board/test runs it as
//   POLLEN_STRESS_ONLY=1 swift test --sanitize=thread --scratch-path .build-tsan
// (its own scratch path, so the normal .build is not invalidated).
let stressOnly = Context.environment["POLLEN_STRESS_ONLY"] == "1"

let core: [Target] = [
    // The platform-free core; also compiled unchanged as Embedded Swift by ./Board/build.
    // Release builds export its generic code (-cross-module-optimization) so that a
    // client's task types are specialized into it, as in a firmware build; without it
    // a host hand-off through the library is ~14x slower (see BENCHMARKS.md).
    .target(name: "Pollen",
            swiftSettings: [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]),
    // Simulated interrupt controller, virtual clock and host platforms.
    .target(name: "PollenHost", dependencies: ["Pollen"]),
    // Threaded stress of the public API with real pthreads; the target that runs
    // under ThreadSanitizer (see POLLEN_STRESS_ONLY above). Also part of `swift test`.
    .testTarget(name: "PollenStressTests", dependencies: ["Pollen", "PollenHost"]),
]

let rest: [Target] = [
    // Interposes malloc & co. to count allocations per thread (tests, benchmarks).
    .target(name: "MallocCounter"),
    // `swift run PollenDemo`: a few tasks against simulated interrupts.
    .executableTarget(name: "PollenDemo", dependencies: ["Pollen", "PollenHost"]),
    // `swift run -c release PollenBench [--quick]`: host benchmark, Pollen beside Swift Concurrency.
    // Its CMalloc module map exposes glibc's <malloc.h> (mallinfo2), which Swift's Glibc module lacks.
    .executableTarget(
        name: "PollenBench",
        dependencies: ["Pollen", "PollenHost", "MallocCounter"],
        exclude: ["CMalloc"],
        swiftSettings: [.unsafeFlags([
            "-Xcc", "-fmodule-map-file=\(Context.packageDirectory)/Sources/PollenBench/CMalloc/module.modulemap",
        ])]),
    .testTarget(name: "PollenTests", dependencies: ["Pollen", "PollenHost", "MallocCounter"]),
]

let package = Package(
    name: "Pollen",
    products: [
        .library(name: "Pollen", targets: ["Pollen"]),
        .library(name: "PollenHost", targets: ["PollenHost"]),
    ],
    targets: stressOnly ? core : core + rest
)
