// PollenDemo: Pollen on the host, against simulated interrupts and a virtual clock.
//
//   swift run -c release PollenDemo        (or ./Board/run --sim)
//
// The same shape as the firmware `demo` app:
//   - a ticker task prints `tick N` every 500 ms, on a drift-free grid;
//   - a simulated UART receives scripted bytes; its RX interrupt handler pushes
//     each byte into a Channel (non-blocking, interrupt-safe `trySend`);
//   - an echo task receives bytes from the channel and prints `echo: <line>` for
//     each line (ended by \r or \n); if a started line gets no new byte for 2 s it
//     prints what it has, marked as timed out.
// Five seconds of virtual time run in a few milliseconds, identically every time.
import Pollen
import PollenHost
#if canImport(Glibc)
import Glibc
#endif

/// Prints a tick every `period`.
struct TickerTask: Future {
    var ticker = Ticker(period: .milliseconds(500))
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while case .ready = ticker.poll(&context) {
            print("[\(stamp(context.now))] tick \(ticker.count)")
        }
        return .pending
    }
}

/// Echoes lines received through the UART channel.
struct EchoTask: ~Copyable, Future {
    let channel: UnsafeMutablePointer<Channel<UInt8, 16>>
    var line = InlineArray<64, UInt8>(repeating: 0)
    var length = 0
    /// Bytes of the current line past `line`'s capacity: counted, not kept.
    var dropped = 0
    var next: Timeout<ChannelReceive<UInt8, 16>>?

    init(channel: UnsafeMutablePointer<Channel<UInt8, 16>>) { self.channel = channel }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            if next == nil {
                // Wait for a byte; once a line has started, for at most 2 s.
                let limit: Duration = length == 0 ? .seconds(3600) : .seconds(2)
                next = Timeout(channel.pointee.receive(), after: limit)
            }
            switch next!.poll(&context) {
            case .pending:
                return .pending
            case .ready(.timedOut):
                next = nil
                if length > 0 { emit(context.now, timedOut: true) }
            case .ready(.completed(let byte)):
                next = nil
                if byte == 13 || byte == 10 {
                    if length > 0 { emit(context.now, timedOut: false) }
                } else if length < line.count {
                    line[length] = byte
                    length += 1
                } else {
                    dropped += 1
                }
            }
        }
    }

    mutating func emit(_ now: Instant, timedOut: Bool) {
        // Printable ASCII as it is, a backslash as `\\`, any other byte as `\xhh`
        // (as the firmware demo does: control bytes are shown, not sent).
        var text = ""
        for i in 0..<length {
            let byte = line[i]
            if byte == 0x5C {
                text += "\\\\"
            } else if byte >= 0x20 && byte < 0x7F {
                text.append(Character(Unicode.Scalar(byte)))
            } else {
                text += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            }
        }
        if dropped > 0 { text += " (truncated: \(dropped) bytes dropped)" }
        print("[\(stamp(now))] echo: \(text)" + (timedOut ? "  (no end of line for 2 s)" : ""))
        length = 0
        dropped = 0
    }
}

func stamp(_ t: Instant) -> String {
    let ms = t.ticks / 1_000
    let frac = String(ms % 1_000)
    return "t=\(ms / 1_000).\(String(repeating: "0", count: 3 - frac.count))\(frac)s"
}

// Static storage (invariant PINNED), allocated once.
let executor = Pinned(Executor<1>())
let tickers = Pinned(TaskPool<TickerTask, 1>(name: "ticker"))
let echoes = Pinned(TaskPool<EchoTask, 1>(name: "echo"))
let timers = Pinned(TimerQueue<4>())
let uart = Pinned(Channel<UInt8, 16>())

var platform = SimulatedPlatform()
let uartLine = 0
let sender = uart.pointee.sender()
// The simulated UART: bytes arrive at scripted times; each raises the RX line.
let script: [(ms: UInt64, text: String)] = [(1_200, "hello\r"), (2_100, "pollen\n"), (3_000, "half a line")]
var incoming: [UInt8] = []
for (ms, text) in script {
    for (i, byte) in text.utf8.enumerated() {
        incoming.append(byte)
        platform.clock.setAlarm(at: Instant(ticks: (ms + UInt64(i)) * 1_000), line: uartLine, on: platform.interrupts)
    }
}
var received = 0
platform.interrupts.setHandler(line: uartLine, priority: 1) {
    // RX interrupt handler: take the byte from the "data register", queue it.
    let byte = incoming[received]
    received += 1
    if !sender.trySend(byte) { print("uart: overrun, byte dropped") }
}

do {
    let ticker = try executor.pointee.attach(&tickers.pointee)
    let echo = try executor.pointee.attach(&echoes.pointee)
    executor.pointee.attach(timers: &timers.pointee)
    var report = StringOutput()
    executor.pointee.describeCapacity(to: &report)
    print("Pollen host demo: capacity check passed\n" + report.text, terminator: "")
    try ticker.spawn(TickerTask())
    try echo.spawn(EchoTask(channel: uart.address))
    platform.stopTime = Instant(ticks: 5_600_000)
    executor.pointee.run(on: &platform, idle: .sleep, tasks: tasks(ticker, echo))
} catch let error as CapacityError {
    print("Pollen: \(error)")
    exit(1)
} catch let error as SpawnError {
    print("Pollen: \(error)")
    exit(1)
} catch {
    fatalError("unreachable: attach and spawn throw only CapacityError and SpawnError")
}

print("[\(stamp(platform.clock.now))] done: \(platform.sleeps) sleeps, \(platform.interrupts.servicedCount(uartLine)) UART interrupts")
