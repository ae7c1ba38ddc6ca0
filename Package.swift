// swift-tools-version: 6.2
// Pollen: the portable core, the host simulation and tests, and, for one board at a
// time, the firmware board layer. No package dependencies.
//
// Host (no environment variables): Pollen, PollenHost, MallocCounter, the host demo and
// benchmarks, the host test suite. `swift build`, `swift test`.
//
// Firmware: POLLEN_BOARD=<board> (a folder of Board/: mps2-an386, microbit, hifive1) adds
// the board layer, built with that board's toolset:
//   POLLEN_BOARD=mps2-an386 swift build -c release --triple armv7em-none-none-eabi \
//       --toolset Board/mps2-an386/toolset.json --product <app>
// Its products (an app's Package.swift names them):
//   PollenBoard          the board: `Board` (console, LED, clock), its architecture's
//                        platform and interrupt controller, startup code, UART receive
//                        and software interrupts
//   PollenBoardMinimal   the same without the device interrupts (UART receive, software
//                        interrupt): for apps that need only the clock, like blinky
// Only the board named by POLLEN_BOARD is declared, so every board's module has the same
// name and an app's `import PollenBoard` builds for any board. Without POLLEN_BOARD the
// board layer is not declared at all: it is Cortex-M or RISC-V code (inline assembly),
// which a host `swift build` (every target) could not compile.
//
// Board/build also sets POLLEN_FIRMWARE_APPS: the repository's own firmware apps
// (Sources/Firmware/*) and firmware tests (Tests/Firmware/*) become executable products,
// and the host-only targets are left out, so one `swift build` without --product builds
// them all (Board/qemu-test --all does). See Board/build for the format.
import Foundation   // the board.env of the board named by POLLEN_BOARD (its ARCH= line)
import PackageDescription

let environment = Context.environment

// POLLEN_STRESS_ONLY=1 declares only the core, the host platforms and the threaded
// stress tests, so that `swift test --sanitize=thread` builds those alone: compiling
// PollenTests with -sanitize=thread crashes swiftc 6.3.1 ("Invalid bitcast", LLVM's
// module verifier), `swift test` builds every test target even with --filter, and
// `swift build --target PollenStressTests` builds the module but no test bundle to run.
// Board/test runs it as
//   POLLEN_STRESS_ONLY=1 swift test --sanitize=thread --scratch-path .build-tsan
// (its own scratch path, so the normal .build is not invalidated).
let stressOnly = environment["POLLEN_STRESS_ONLY"] == "1"

// The board whose layer is declared (firmware builds only); see the top of the file.
let board = environment["POLLEN_BOARD"].flatMap { $0.isEmpty ? nil : $0 }

// The repository's firmware apps and tests, one per line, written by Board/build:
//   <product> TAB <sources folder> TAB <dependencies> TAB <swiftc flags> TAB <linker flags> TAB <excluded files>
// (each list space-separated). An app depends on PollenBoard, or on PollenBoardMinimal
// when its firmware.env says DEVICE_INTERRUPTS=none; a firmware test also on
// PollenFirmwareTestSupport (Tests/Firmware/Support).
let firmwareApps: [[String]] = (environment["POLLEN_FIRMWARE_APPS"] ?? "")
    .split(separator: "\n")
    .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    .filter { $0.count == 6 }
let firmwareOnly = board != nil && !firmwareApps.isEmpty

// Release builds export the core's generic code (-cross-module-optimization) so that a
// client's task types are specialized into it, as in a firmware build; without it a
// host hand-off through the library is ~14x slower (see BENCHMARKS.md). The board layer
// uses it too: its register accessors must inline into the app's interrupt paths.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let core: [Target] = [
    // The platform-free core; compiled unchanged for the host and as Embedded Swift.
    // POLLEN_CORE_DIR (a folder inside the package) builds a copy of it instead
    // (Board/bench-notes.md: measuring a variant of the core).
    // The Builtin module gives the core one thing the standard library does not: a
    // compiler-only fence, which only a board that declares one core uses
    // (POLLEN_SINGLE_CORE, Support/SharedOrdering.swift); other builds ignore it.
    .target(name: "Pollen", path: environment["POLLEN_CORE_DIR"] ?? "Sources/Pollen",
            swiftSettings: crossModule + [.enableExperimentalFeature("BuiltinModule")]),
]

let host: [Target] = [
    // Simulated interrupt controller, virtual clock and host platforms.
    .target(name: "PollenHost", dependencies: ["Pollen"]),
    // Threaded stress of the public API with real pthreads; the target that runs
    // under ThreadSanitizer (see POLLEN_STRESS_ONLY above). Also part of `swift test`.
    .testTarget(name: "PollenStressTests", dependencies: ["Pollen", "PollenHost"]),
]

let hostRest: [Target] = [
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

// The board layer (firmware only), three folders of Board/ (README, "Adding a board"):
//   Board/common     what every board shares: BoardSupport, the device-interrupt
//                    plumbing (Swift, PollenBoardCommon), memcpy & co. and the stack
//                    and .text sizes from the linker script (C, PollenLibC);
//   Board/<arch>     the architecture layer the board's board.env names
//                    (ARCH=cortex-m or ARCH=riscv): startup, traps, faults, exit,
//                    interrupt controller, clock and idle (the core's Platform);
//   Board/<board>    the board: its `Board` type and its interrupt handlers.
// Each target names its files, and excludes the folder's other files.
let commonSwift = ["BoardSupport.swift", "DeviceInterrupts.swift"]
let boardFiles = ["Board.swift", "InterruptHandlers.swift", "board.env", "toolset.json", "Clock.swift"]

/// The board module's sources: Board.swift, and Clock.swift where the board has
/// one (the Cortex-M boards' timer hardware under the tickless clock).
func boardModuleSources(_ board: String) -> [String] {
    let clock = "\(Context.packageDirectory)/Board/\(board)/Clock.swift"
    return ["Board.swift"] + ((try? String(contentsOfFile: clock, encoding: .utf8)) != nil ? ["Clock.swift"] : [])
}

/// One architecture layer: a C target (its module map exposes one header to
/// Swift) and a Swift target, in Board/<folder>.
struct ArchitectureLayer {
    let folder: String
    let cModule: String
    let swiftModule: String
    let cFiles: [String]
    let headers: [String]
    let swiftFiles: [String]
}

let architectures: [String: ArchitectureLayer] = [
    // Every Cortex-M board (ARMv6-M, ARMv7-M): reset, vector table, fault
    // reports, semihosting exit, the __aeabi_*, __sync_* and __atomic_*_8 helpers (C,
    // cortexm.h as PollenCortexMSupport); CortexMBoard, the tickless clock and
    // its alarm (CortexMClock, TicklessPlatform), NVIC, SysTick, SCB (Swift,
    // PollenCortexM).
    "cortex-m": ArchitectureLayer(
        folder: "Board/cortex-m", cModule: "PollenCortexMSupport", swiftModule: "PollenCortexM",
        cFiles: ["startup.c", "semihosting.c", "aeabi.c", "atomics_64.c", "atomics_armv6m.c"],
        headers: ["cortexm.h", "module.modulemap"],
        swiftFiles: ["CortexMBoard.swift", "CortexM.swift", "CortexMPlatform.swift", "CortexMClock.swift",
                     "InterruptExecutor.swift"]),
    // Every RV32 board with the machine-mode CLINT and PLIC (SiFive layout):
    // reset, trap vector, fault reports, semihosting exit, 64-bit division
    // (C and assembly, riscv.h as PollenRISCVSupport); RISCVBoard,
    // RISCVPlatform, CLINT, PLIC, CSRs (Swift, PollenRISCV).
    "riscv": ArchitectureLayer(
        folder: "Board/riscv", cModule: "PollenRISCVSupport", swiftModule: "PollenRISCV",
        cFiles: ["startup.S", "traps.c", "semihosting.c", "libgcc.c", "atomics_64.c"],
        headers: ["riscv.h", "module.modulemap"],
        swiftFiles: ["RISCVBoard.swift", "RISCV.swift", "RISCVPlatform.swift"]),
]

/// The ARCH= line of Board/<board>/board.env: which architecture layer the board uses.
func architecture(ofBoard board: String) -> ArchitectureLayer {
    let path = "\(Context.packageDirectory)/Board/\(board)/board.env"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        fatalError("POLLEN_BOARD=\(board): no \(path) (a board is a folder of Board/ with a board.env)")
    }
    for line in text.split(separator: "\n") where line.hasPrefix("ARCH=") {
        let name = String(line.dropFirst(5).prefix { $0 != " " && $0 != "#" })
        guard let layer = architectures[name] else {
            fatalError("\(path): ARCH=\(name) is not an architecture layer (have: \(architectures.keys.sorted().joined(separator: ", ")))")
        }
        return layer
    }
    fatalError("\(path) has no ARCH= line (ARCH=cortex-m or ARCH=riscv)")
}

func boardLayer(_ board: String) -> [Target] {
    let arch = architecture(ofBoard: board)
    return [
        // memcpy, memset & co. for every board (LLVM lowers copies to them), and
        // image.c: the stack's high-water mark and size and .text's size (image.h,
        // which each architecture's header includes, declares them to Swift), and
        // fault_text.c: putchar and the fault reports' text (fault_text.h, likewise).
        .target(
            name: "PollenLibC",
            path: "Board/common",
            exclude: commonSwift + ["atomics_rmw.h", "image.h", "fault_text.h"],
            sources: ["libc.c", "image.c", "fault_text.c"],
            publicHeadersPath: ".",   // no headers of its own: image.h comes through the architecture's
            cSettings: [.unsafeFlags([
                "-Oz", "-g0", "-std=c11", "-ffreestanding", "-fno-builtin",
                "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror",
            ])]),
        // BoardSupport and the device-interrupt plumbing: Swift only, no registers.
        .target(
            name: "PollenBoardCommon",
            dependencies: ["Pollen"],
            path: "Board/common",
            exclude: ["libc.c", "image.c", "fault_text.c", "atomics_rmw.h", "image.h", "fault_text.h"],
            sources: commonSwift,
            swiftSettings: crossModule),
        // The architecture layer's C: Swift sees its header through the folder's
        // module.modulemap.
        .target(
            name: arch.cModule,
            dependencies: ["PollenLibC"],
            path: arch.folder,
            exclude: arch.swiftFiles,
            sources: arch.cFiles,
            publicHeadersPath: ".",
            cSettings: [.unsafeFlags([
                "-Oz", "-g0", "-std=c11", "-ffreestanding", "-fno-builtin",
                "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra", "-Werror",
            ])]),
        // The architecture layer's Swift: its protocol refining BoardSupport, its
        // Platform, its interrupt controller. Re-exports PollenBoardCommon.
        .target(
            name: arch.swiftModule,
            dependencies: ["Pollen", "PollenBoardCommon", .target(name: arch.cModule)],
            path: arch.folder,
            exclude: arch.cFiles + arch.headers,
            sources: arch.swiftFiles,
            swiftSettings: crossModule),
        // The board: its `Board` type (UART, LED, clock, IRQ numbers). Re-exports
        // the architecture layer.
        .target(
            name: "PollenBoardMinimal",
            dependencies: [.target(name: arch.swiftModule)],
            path: "Board/\(board)",
            exclude: boardFiles.filter { !boardModuleSources(board).contains($0) && $0 != "Clock.swift" },
            sources: boardModuleSources(board),
            swiftSettings: crossModule),
        // The board's device-interrupt handlers (UART receive, software interrupt),
        // which make `Board.start()` available. Re-exports PollenBoardMinimal.
        .target(
            name: "PollenBoard",
            dependencies: ["PollenBoardMinimal"],
            path: "Board/\(board)",
            exclude: boardFiles.filter {
                $0 != "InterruptHandlers.swift" && ($0 != "Clock.swift" || boardModuleSources(board).contains($0))
            },
            sources: ["InterruptHandlers.swift"],
            swiftSettings: crossModule),
    ]
}

// The repository's firmware apps and tests (POLLEN_FIRMWARE_APPS, from Board/build).
// Their main.swift uses `@main`, hence -parse-as-library.
func words(_ field: String) -> [String] { field.split(separator: " ").map(String.init) }
let firmwareTargets: [Target] = [
    // check(...) and spawn(...), shared by every firmware test.
    .target(name: "PollenFirmwareTestSupport", dependencies: ["Pollen", "PollenBoardMinimal"],
            path: "Tests/Firmware/Support", swiftSettings: crossModule),
] + firmwareApps.map { fields in
    .executableTarget(
        name: fields[0],
        dependencies: ["Pollen"] + words(fields[2]).map { .target(name: $0) },
        path: fields[1],
        exclude: words(fields[5]),
        swiftSettings: [.unsafeFlags(["-parse-as-library"] + words(fields[3]))],
        linkerSettings: [.unsafeFlags(words(fields[4]))])
}

var targets = core
var products: [Product] = [.library(name: "Pollen", targets: ["Pollen"])]
if !firmwareOnly {
    targets += host + (stressOnly ? [] : hostRest)
    products.append(.library(name: "PollenHost", targets: ["PollenHost"]))
}
if let board {
    // The core may use the board's architecture C module: a board whose toolset
    // declares POLLEN_MASKED_RMW (one core, no exclusive access: ARMv6-M) has the
    // core run its shared read-modify-writes inside that layer's inline critical
    // section (Support/SharedOrdering.swift, the only file that imports it, and only
    // under that flag).
    let arch = architecture(ofBoard: board)
    targets = targets.map { target in
        guard target.name == "Pollen" else { return target }
        target.dependencies.append(.target(name: arch.cModule))
        return target
    }
    targets += boardLayer(board)
    products += [
        .library(name: "PollenBoard", targets: ["PollenBoard"]),
        .library(name: "PollenBoardMinimal", targets: ["PollenBoardMinimal"]),
    ]
}
if firmwareOnly {
    targets += firmwareTargets
    products += firmwareApps.map { .executable(name: $0[0], targets: [$0[0]]) }
}

let package = Package(
    name: "Pollen",
    products: products,
    targets: targets
)
