/// A point on the executor's monotonic clock, in microsecond ticks since the clock started.
///
/// The count is 64 bits wide, so it does not wrap in the lifetime of a device
/// (584,000 years). Hardware counters are narrower; ``TickExtender`` widens a
/// wrapping 32-bit counter into an `Instant`.
public struct Instant: Comparable, Hashable, Sendable {
    /// Microseconds since the clock started.
    public var ticks: UInt64

    /// Creates an instant `ticks` microseconds after the clock started.
    public init(ticks: UInt64) { self.ticks = ticks }

    /// The moment the clock started.
    public static let zero = Instant(ticks: 0)
    /// Later than every reachable instant; used for "never".
    public static let distantFuture = Instant(ticks: .max)

    public static func < (a: Instant, b: Instant) -> Bool { a.ticks < b.ticks }

    /// `self` moved forward by `d`, saturating at ``distantFuture`` instead of wrapping.
    public static func + (a: Instant, d: Duration) -> Instant {
        let (sum, overflow) = a.ticks.addingReportingOverflow(d.ticks)
        return overflow ? .distantFuture : Instant(ticks: sum)
    }

    /// The time from `b` to `a`; zero when `b` is later than `a` (time never runs backwards).
    public static func - (a: Instant, b: Instant) -> Duration {
        a.ticks >= b.ticks ? Duration(ticks: a.ticks &- b.ticks) : .zero
    }
}

/// A non-negative span of time, in microsecond ticks.
public struct Duration: Comparable, Hashable, Sendable {
    /// Length in microseconds.
    public var ticks: UInt64

    /// A span of `ticks` microseconds.
    public init(ticks: UInt64) { self.ticks = ticks }

    /// No time at all.
    public static let zero = Duration(ticks: 0)

    /// Longer than any clock reaches: a timer or timeout of this length never fires
    /// (its deadline saturates to ``Instant/distantFuture`` and registers nothing).
    ///
    /// ```swift
    /// var next = Timeout(rx.receive(), after: lineStarted ? .seconds(2) : .forever)
    /// ```
    public static var forever: Duration { Duration(ticks: .max) }

    /// `n` microseconds.
    public static func microseconds(_ n: UInt64) -> Duration { Duration(ticks: n) }
    /// `n` milliseconds (saturating).
    public static func milliseconds(_ n: UInt64) -> Duration {
        Duration(ticks: n.multipliedReportingOverflow(by: 1_000).overflow ? .max : n &* 1_000)
    }
    /// `n` seconds (saturating).
    public static func seconds(_ n: UInt64) -> Duration {
        Duration(ticks: n.multipliedReportingOverflow(by: 1_000_000).overflow ? .max : n &* 1_000_000)
    }

    public static func < (a: Duration, b: Duration) -> Bool { a.ticks < b.ticks }
    /// Sum, saturating instead of wrapping.
    public static func + (a: Duration, b: Duration) -> Duration {
        let (s, o) = a.ticks.addingReportingOverflow(b.ticks)
        return Duration(ticks: o ? .max : s)
    }
    /// `a` repeated `n` times, saturating.
    public static func * (a: Duration, n: UInt64) -> Duration {
        let (p, o) = a.ticks.multipliedReportingOverflow(by: n)
        return Duration(ticks: o ? .max : p)
    }
}

/// Widens a free-running 32-bit hardware counter that wraps into a 64-bit ``Instant``.
///
/// Contract: ``extend(_:)`` must be called at least once per half wrap period of
/// the hardware counter (2^31 counts), e.g. from the tick interrupt or from every
/// executor pass. Each call sees the raw counter; when it is smaller than the
/// previous reading the counter wrapped and the high word advances.
/// Not interrupt-safe on its own: call it from one context only.
public struct TickExtender: Sendable {
    /// The last raw counter value seen.
    public private(set) var lastRaw: UInt32
    /// How many times the raw counter has wrapped.
    public private(set) var wraps: UInt32

    /// Starts extending from the raw counter value `raw`, with `wraps` wraps already
    /// behind it (so the first result is `wraps << 32 | raw`).
    public init(startingAt raw: UInt32 = 0, wraps: UInt32 = 0) {
        lastRaw = raw
        self.wraps = wraps
    }

    /// Feeds a new raw reading and returns the widened count.
    public mutating func extend(_ raw: UInt32) -> UInt64 {
        if raw < lastRaw { wraps &+= 1 }
        lastRaw = raw
        return widen(wraps) &<< (32 as UInt64) | widen(raw)
    }
}

/// Zero-extends without the generic `BinaryInteger` conversion, which in unoptimized
/// Embedded Swift builds for 32-bit targets drags in array code (and fails
/// `-no-allocations`). `UInt32` always fits in `UInt`.
func widen(_ x: UInt32) -> UInt64 {
    UInt64(_truncatingBits: UInt(x))
}

/// An ``Instant`` stored bit-inverted, so that all-zero memory reads as
/// ``Instant/distantFuture``. Executor state whose resting value is "no deadline"
/// is then all zeros, and a global executor lives in zeroed memory (.bss) with no
/// initial image in flash.
struct InvertedInstant {
    var bits: UInt64 = 0

    /// The instant (``Instant/distantFuture`` for zeroed memory).
    var instant: Instant {
        get { Instant(ticks: ~bits) }
        set { bits = ~newValue.ticks }
    }
}

/// An ``Instant`` stored as two 32-bit words, so that it needs only 4-byte
/// alignment on 32-bit targets (a `UInt64` needs 8 there). The executor's core
/// holds its instants this way: with them the core is word-aligned and follows
/// the wake groups directly, without the 4 bytes of padding an 8-byte-aligned
/// core needs after a 52-byte head and group. On Cortex-M the pair is still
/// read and written with one `ldrd`/`strd` (word alignment suffices for them).
/// Zeroed memory reads as ``Instant/zero``.
struct WordInstant {
    var low: UInt32 = 0
    var high: UInt32 = 0

    /// The instant.
    var instant: Instant {
        @inline(__always) get { Instant(ticks: widen(high) &<< (32 as UInt64) | widen(low)) }
        @inline(__always) set {
            low = UInt32(truncatingIfNeeded: newValue.ticks)
            high = UInt32(truncatingIfNeeded: newValue.ticks &>> (32 as UInt64))
        }
    }
}
