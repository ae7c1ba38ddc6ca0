// Timing, statistics, heap accounting and number formatting for the benchmark.
// No Foundation: the binary stays small and its start-up quiet under callgrind.
#if canImport(Glibc)
import Glibc
#endif
import BenchMalloc

/// Monotonic time in nanoseconds.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Median of a non-empty list (mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of nothing")
    let s = values.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/// Bytes the heap has handed out and not taken back, over all glibc arenas
/// (glibc's `mallinfo2` walks every arena: worker threads' arenas included).
/// Chunks parked in a thread's tcache count as in use; over thousands of tasks
/// that is noise.
func heapBytesInUse() -> Int {
    let info = mallinfo2()
    return Int(info.uordblks) + Int(info.hblkhd)
}

/// `x` with `decimals` digits after the point (no Foundation, no locale).
func format(_ x: Double, decimals: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf") }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let negative = x < 0
    let scaled = (abs(x) * scale).rounded()
    guard scaled < 9.0e18 else { return String(x) }
    let n = UInt64(scaled)
    let whole = n / UInt64(scale)
    var text = (negative && n != 0 ? "-" : "") + String(whole)
    if decimals > 0 {
        var frac = String(n % UInt64(scale))
        while frac.count < decimals { frac = "0" + frac }
        text += "." + frac
    }
    return text
}

/// Right-aligns `s` in `width` columns.
func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

/// Left-aligns `s` in `width` columns.
func padRight(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

/// Wraps a non-Sendable value (a raw pointer into storage the benchmark owns)
/// to hand it to tasks. The benchmark guarantees the accesses do not race.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
