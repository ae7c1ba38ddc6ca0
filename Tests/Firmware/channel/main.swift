// channel — a `Channel<UInt8, 8>` fed from an interrupt handler and drained by
// a task, inside `Executor.run` with `.sleep` idle. One line per check
// (`name... OK`); any failure prints `FAIL` and exits 1.
//
// The producer is the software interrupt's handler: each run sends a burst of
// 1...16 messages (pseudo-random) with `ChannelSender.trySend`, stopping at the
// first "full"; the message it could not send is sent by a later run (that is
// the back-pressure: nothing is dropped, nothing is sent twice). The consumer
// task receives with `receive()`, checks that message `n` is `n` (mod 256), and
// raises the interrupt (a) whenever the channel is empty, before it sleeps:
// the handler's send then wakes it through the channel; and (b) after every
// seventh message, so bursts land on a part-full channel and hit "full"
// (about 1100 times in a run, against about 400 sleeps on an empty channel).

/// Messages the handler sends in all.
import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

let total: UInt32 = 10_000

nonisolated(unsafe) var channel = Channel<UInt8, 8>()
/// The handler's handle on `channel`; set before the interrupt is first raised.
nonisolated(unsafe) var tx: ChannelSender<UInt8, 8>? = nil

// Producer state: written only by the handler (and read by the task only
// between raises, after the handler has returned).
nonisolated(unsafe) var sent: UInt32 = 0
nonisolated(unsafe) var fullRejections: UInt32 = 0
nonisolated(unsafe) var handlerRuns: UInt32 = 0
nonisolated(unsafe) var seed: UInt32 = 12_345

/// The software interrupt's hook: one burst of sends.
func onSoftwareInterrupt() {
    handlerRuns &+= 1
    seed = seed &* 1_103_515_245 &+ 12_345
    var burst = 1 &+ (seed &>> 16) & 15
    while burst > 0 && sent < total {
        guard tx!.trySend(UInt8(truncatingIfNeeded: sent)) else {
            fullRejections &+= 1   // full: this message goes in a later run
            return
        }
        sent &+= 1
        burst &-= 1
    }
}

/// Receives every message and checks it.
struct Consumer: ~Copyable, Future {
    var next: ChannelReceive<UInt8, 8>? = nil
    var received: UInt32 = 0
    var sleeps: UInt32 = 0

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            if next == nil { next = channel.receive() }
            switch next!.poll(&context) {
            case .ready(let message):
                next = nil
                if message != UInt8(truncatingIfNeeded: received) {
                    Board.write("message ")
                    Board.writeDecimal(received)
                    Board.write(" is ")
                    Board.writeDecimal(UInt32(message))
                    Board.writeLine("... FAIL")
                    Board.exit(1)
                }
                received &+= 1
                if received == total {
                    finish()
                    return .ready(())
                }
                if received % 7 == 0 && sent < total { Board.pendSoftwareInterrupt() }
            case .pending:
                // Empty, and armed: the handler's next send wakes us.
                sleeps &+= 1
                if sent < total { Board.pendSoftwareInterrupt() }
                return .pending
            }
        }
    }

    func finish() {
        check("10000 messages from the handler, each once, in order",
              received == total && sent == total && channel.count == 0 && channel.tryReceive() == nil)
        check("the handler met a full channel and retried later", fullRejections > 0)
        check("the consumer slept on an empty channel and was woken by the handler", sleeps > 0)
        Board.write("  ")
        Board.writeDecimal(handlerRuns)
        Board.write(" handler runs, ")
        Board.writeDecimal(fullRejections)
        Board.write(" full rejections, ")
        Board.writeDecimal(sleeps)
        Board.writeLine(" consumer sleeps")
        Board.exit(0)
    }
}

public let pollenTaskSize_Consumer = MemoryLayout<Consumer>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var consumers = TaskPool<Consumer, 1>(name: "consumer")
/// For the task-context check, before the run.
nonisolated(unsafe) var spare = Channel<UInt8, 8>()

@main
struct ChannelTest {
    static func main() {
        var platform = Board.start()

        // trySend from task context: eight fit, the ninth is refused and not
        // kept; the eight come out in order.
        var accepted = 0
        for value: UInt8 in 0..<8 where spare.trySend(value) { accepted += 1 }
        let ninth = spare.trySend(8)
        check("trySend reports full", accepted == 8 && !ninth && spare.count == 8)
        var inOrder = true
        for value: UInt8 in 0..<8 where spare.tryReceive() != value { inOrder = false }
        check("a refused element is not kept", inOrder && spare.tryReceive() == nil && spare.trySend(9))

        tx = channel.sender()
        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        let consumer: PoolRef<Consumer, 1>
        do throws(CapacityError) {
            consumer = try executor.attach(&consumers)
        } catch {
            Board.fail(error)
        }
        _ = try? consumer.spawn(Consumer())
        executor.run(on: &platform, idle: .sleep, tasks: consumer)
        Board.writeLine("run returned... FAIL")
        Board.exit(1)
    }
}

