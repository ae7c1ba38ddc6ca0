// A module of the user's that holds Pollen primitives as stored properties,
// public and internal, including one that is reassigned (its old value destroyed).
// Built by Board/check-cross-module as Embedded Swift in debug (-Onone) and
// release (-Osize), against Pollen compiled as a separate module, for both Arm
// instruction sets. It guards against a compiler crash that Pollen used to
// trigger ("Assertion failed: (hasValidSignatureForEmbedded(f)), function
// addLazyFunction at GenDecl.cpp:1529" while emitting a property's setter): an
// `InlineArray` of `Atomic`s inside a generic type. Pollen keeps such words as
// plain storage and accesses them atomically through pointers instead.
import Pollen

struct Idle: Future {
    mutating func poll(_ context: inout Context) -> Poll<UInt8> { .pending }
}

public struct Shared: ~Copyable {
    public var bytes = Channel<UInt8, 4>()
    public var samples = Channel<UInt64, 8>()
    public var latest = Signal<Int32>()
    public var ready = Notify<2>()
    public var executor = Executor<2>()
    public var cell = AtomicWaker()
    public var fromInterrupt = InterruptSignal<UInt32>()
    var internalBytes = Channel<UInt16, 2>()
    var internalSignal = Signal<UInt8>()
    var worker: JoinHandle<Idle, 2>? = nil
    var workers = TaskPool<Idle, 2>(name: "idle")
    public var nextTick = Await<Timer>()
    public var nextByte = Await<ChannelReceive<UInt8, 4>>()
    var nextEvent = Await<NotifyWait<2>>()
    public var counter = TaskCell<UInt32>(0)
    public var flag = InterruptCell(false)
    public var line = LineBuffer<32>()
    public var text = FixedString<16>()
    var scratch = ByteBuffer<8>()

    public init() {}

    /// Reassigns the channel: the old value is destroyed here.
    public mutating func reset() {
        bytes = Channel<UInt8, 4>()
        latest = Signal<Int32>()
        worker = nil
        nextTick = Await<Timer>()
        text = FixedString<16>()
    }
}

/// The widening helpers in user code (`Int64(x)` from `Int32` fails to build here).
public func widenings(_ a: Int32, _ b: UInt32, _ c: UInt64, _ d: Int64) -> (Int64, UInt64, Int?, Int32?, UInt32?) {
    (Int64(widening: a), UInt64(widening: b), Int(narrowing: c), Int32(narrowing: d), UInt32(narrowing: c))
}

/// Number formatting in user code, 64-bit values included (on 32-bit targets the
/// obvious shifts and comparisons of 64-bit values hit the allocation trap).
public func format(_ out: inout FixedString<32>, _ big: UInt64, _ small: Int16) {
    out.write(decimal: big)
    out.write(" ")
    out.write(hex: small, digits: 4)
}

nonisolated(unsafe) var sharedBlinks: UInt32 = 0
nonisolated(unsafe) var sharedLevel = InterruptCell(false)

/// Control flow in steps, in user code on firmware (closures capture nothing).
public func blinkForever() -> some Future<Never> & ~Copyable {
    loop {
        Timer.after(.milliseconds(500))
        sharedBlinks &+= 1
        when(sharedLevel.load()) {
            Timer.after(.milliseconds(20))
        } otherwise: {
            repeating(2) { Timer.after(.milliseconds(5)) }
        }
    }
}

/// An interpolated FixedString in user code (no String, no allocation).
public func status(_ id: UInt16, _ attempt: Int, _ big: UInt64, _ ok: Bool) -> FixedString<64> {
    let name: FixedString<8> = "radio"
    return "\(name) request \(id): attempt \(attempt, width: 2) of 3, \(hex: big, digits: 4), \(ok, "ok", "failed")"
}
