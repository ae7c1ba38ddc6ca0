import Pollen
import PollenHost
import Testing

// Await: the one-line await slot (Sources/Pollen/Await.swift).

/// Registers a deadline and completes in the same poll (to check that a
/// finished await leaves nothing armed).
struct ArmsThenCompletes: Future {
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        context.wake(at: atMS(7))
        return .ready(7)
    }
}

/// Receives bytes with an `Await` slot and logs them, forever.
struct SlotReceiver: ~Copyable, Future {
    let channel: Pinned<Channel<UInt8, 4>>
    let trace: Trace
    var next = Await<ChannelReceive<UInt8, 4>>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            guard let byte = next.poll(&context, channel.pointee.receive()) else { return .pending }
            trace.log("got \(byte)")
        }
    }
}

/// The same task written without `Await`: the optional juggling the slot
/// replaces. Kept as the hand-written twin of the layout test.
struct HandWrittenReceiver: ~Copyable, Future {
    let channel: Pinned<Channel<UInt8, 4>>
    let trace: Trace
    var next: ChannelReceive<UInt8, 4>? = nil

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            if next == nil { next = channel.pointee.receive() }
            guard case .ready(let byte) = next!.poll(&context) else { return .pending }
            next = nil
            trace.log("got \(byte)")
        }
    }
}

/// `Await<F>` is exactly `F?`, and at most one byte larger than `F`.
func expectSlotLayout<F: Future & ~Copyable>(_: F.Type, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(MemoryLayout<Await<F>>.size == MemoryLayout<F?>.size, sourceLocation: sourceLocation)
    #expect(MemoryLayout<Await<F>>.alignment == MemoryLayout<F>.alignment, sourceLocation: sourceLocation)
    #expect(MemoryLayout<Await<F>>.size <= MemoryLayout<F>.size + 1, sourceLocation: sourceLocation)
}

@Suite("Await: one line per await in a hand-written poll")
struct AwaitTests {
    @Test("starts on first use, polls in place, returns the output and resets; the next use starts anew")
    func startPollReset() {
        let trace = Trace()
        var context = Context(waker: handWaker(), now: .zero)
        var slot = Await<Tracked>()
        var starts = 0
        #expect(that { !slot.isRunning })
        // Tracked completes at its third poll, with its poll count: 3 proves that
        // the same future was polled three times, in place, not rebuilt.
        for _ in 1...2 {
            let output = slot.poll(&context, start: { starts += 1; return Tracked("a", trace, readyAt: 3) })
            #expect(output == nil)
            #expect(that { slot.isRunning })
        }
        let output = slot.poll(&context, start: { starts += 1; return Tracked("a", trace, readyAt: 3) })
        #expect(output == 3)
        #expect(that { !slot.isRunning })
        #expect(starts == 1)
        // The finished future was dropped in the call that returned its output.
        #expect(trace.entries == ["poll a", "poll a", "poll a", "drop a"])
        // Used again (a loop's next turn): a new future starts.
        let again = slot.poll(&context, start: { starts += 1; return Tracked("b", trace, readyAt: 1) })
        #expect(again == 1)
        #expect(starts == 2)
        #expect(trace.entries.suffix(2) == ["poll b", "drop b"])
    }

    @Test("the @autoclosure form evaluates its expression only when the slot is empty")
    func autoclosureIsLazy() {
        var context = Context(waker: handWaker(), now: .zero)
        var slot = Await<Timer>()
        var built = 0
        let make = { () -> Timer in built += 1; return .after(.milliseconds(5)) }
        #expect(slot.poll(&context, make()) == nil)
        #expect(slot.poll(&context, make()) == nil)
        #expect(built == 1)
        // The timer counts from its first poll (at 0): due at 5 ms.
        #expect(context.deadline == atMS(5))
        context = Context(waker: context.waker, now: atMS(5))
        #expect(slot.poll(&context, make()) != nil)
        #expect(built == 1)
        #expect(!slot.isRunning)
    }

    @Test("a finished await leaves no deadline armed; a pending one keeps its own")
    func deadlinesOfFinishedAwaitsAreDiscarded() {
        var context = Context(waker: handWaker(), now: .zero)
        var finished = Await<ArmsThenCompletes>()
        #expect(finished.poll(&context, ArmsThenCompletes()) == 7)
        #expect(context.deadline == .distantFuture)
        var pending = Await<Timer>()
        #expect(pending.poll(&context, .after(.milliseconds(3))) == nil)
        #expect(context.deadline == atMS(3))
    }

    @Test("cancel drops the running future at once (its deinit runs); a cancelled NotifyWait passes nothing on and leaves the list")
    func cancelDropsTheFuture() {
        let trace = Trace()
        var context = Context(waker: handWaker(), now: .zero)
        var slot = Await<Tracked>()
        #expect(that { !slot.cancel() })                         // nothing running
        #expect(slot.poll(&context, Tracked("c", trace, readyAt: nil)) == nil)
        #expect(that { slot.cancel() })
        #expect(trace.entries == ["poll c", "drop c"])
        #expect(that { !slot.isRunning })

        let notify = Pinned(Notify<2>())
        var wait = Await<NotifyWait<2>>()
        let first: Void? = wait.poll(&context, notify.pointee.wait())
        #expect(first == nil)
        #expect(notify.pointee.waiterCount == 1)
        let cancelled = wait.cancel()
        #expect(cancelled)
        #expect(notify.pointee.waiterCount == 0)                // the dropped wait left the list
        notify.pointee.notifyOne()
        #expect(that { notify.pointee.hasPermit })               // nobody took the notification
        let next: Void? = wait.poll(&context, notify.pointee.wait())   // a new wait takes the permit
        #expect(next != nil)
    }

    @Test("a task awaits a ~Copyable ChannelReceive in a loop: every byte once, in order")
    func receiveLoop() {
        let trace = Trace()
        let channel = Pinned(Channel<UInt8, 4>())
        let rig = Rig<SlotReceiver, 1>()
        rig.spawn(SlotReceiver(channel: channel, trace: trace))
        rig.runUntilQuiet()
        #expect(trace.entries.isEmpty)
        #expect(that { channel.pointee.trySend(1) })
        #expect(that { channel.pointee.trySend(2) })
        rig.runUntilQuiet()
        #expect(that { channel.pointee.trySend(3) })
        rig.runUntilQuiet()
        #expect(trace.entries == ["got 1", "got 2", "got 3"])
        #expect(!rig.ready)                                      // asleep again, waiting
    }

    @Test("layout: Await<F> is F? (F plus at most a tag byte), and the task equals its hand-written twin")
    func layout() {
        expectSlotLayout(Timer.self)
        expectSlotLayout(Tracked.self)
        expectSlotLayout(NotifyWait<2>.self)
        expectSlotLayout(ChannelReceive<UInt8, 16>.self)
        expectSlotLayout(ChannelSend<UInt32, 4>.self)
        expectSlotLayout(InterruptSignalWait<Bool>.self)
        expectSlotLayout(JoinHandle<Forever, 1>.self)
        expectSlotLayout(Padded<13>.self)
        #if arch(x86_64) || arch(arm64)
        #expect(MemoryLayout<Await<Timer>>.size == 9)             // as Timer itself: the tag has spare values
        #expect(MemoryLayout<Await<Padded<13>>>.size == 14)       // no spare bits: one tag byte
        #endif
        #expect(MemoryLayout<SlotReceiver>.size == MemoryLayout<HandWrittenReceiver>.size)
    }

    @Test("the hand-written twin behaves the same")
    func twinBehavesTheSame() {
        let trace = Trace()
        let channel = Pinned(Channel<UInt8, 4>())
        let rig = Rig<HandWrittenReceiver, 1>()
        rig.spawn(HandWrittenReceiver(channel: channel, trace: trace))
        rig.runUntilQuiet()
        #expect(that { channel.pointee.trySend(9) })
        rig.runUntilQuiet()
        #expect(trace.entries == ["got 9"])
    }
}

// MARK: - The debouncer of Await's documentation, run against a bouncy button

// The one declaration form for shared globals (see TaskCell.swift). Used by the
// debouncer test only (tests run in parallel).
nonisolated(unsafe) var buttonEdges = InterruptSignal<Bool>()   // true: pressed (pin low)
nonisolated(unsafe) var presses = Channel<Void, 4>()
nonisolated(unsafe) var buttonPinLow = InterruptCell(false)     // the simulated pin

/// Await's documentation example, verbatim but for the pin read.
struct Debouncer: ~Copyable, Future {
    enum Phase { case waitPress, settle, report, waitRelease }
    var phase = Phase.waitPress
    var edge = Await<InterruptSignalWait<Bool>>()
    var settle = Await<Timer>()
    var send = Await<ChannelSend<Void, 4>>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            switch phase {
            case .waitPress:
                guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
                if low { phase = .settle }
            case .settle:
                guard settle.poll(&context, .after(.milliseconds(20))) != nil else { return .pending }
                phase = buttonPinLow.load() ? .report : .waitRelease
            case .report:
                guard send.poll(&context, presses.send(())) != nil else { return .pending }
                phase = .waitRelease
            case .waitRelease:
                guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
                if !low { phase = .waitPress }
            }
        }
    }
}

@Suite("The debouncer example (20 ms settle, edges from an interrupt)")
struct DebouncerTests {
    /// Presses reported so far (drained from the channel).
    func drain() -> Int {
        var count = 0
        while presses.tryReceive() != nil { count += 1 }
        return count
    }

    @Test("one press per bouncy edge train; glitches shorter than 20 ms and release bounces report nothing")
    func bouncyButton() {
        let rig = SimRig<Debouncer, 1>()
        // (ms, pin low?) — one interrupt line per edge, raised by the virtual clock.
        let edges: [(UInt64, Bool)] = [
            (10, true), (11, false), (12, true), (13, false), (14, true),   // bouncy press
            (100, false), (101, true), (102, false),                        // bouncy release
            (200, true), (203, false),                                      // a 3 ms glitch
            (300, true),                                                    // a clean press
        ]
        for (line, (ms, low)) in edges.enumerated() {
            rig.platform.interrupts.setHandler(line: line) {
                buttonPinLow.store(low)
                buttonEdges.signal(low)
            }
            rig.platform.clock.setAlarm(at: atMS(ms), line: line, on: rig.platform.interrupts)
        }
        rig.spawn(Debouncer())
        rig.run(until: atMS(29))
        #expect(drain() == 0)                 // still settling (first edge at 10 ms)
        rig.run(until: atMS(31))
        #expect(drain() == 1)                 // reported at 30 ms
        rig.run(until: atMS(299))
        #expect(drain() == 0)                 // release bounce and glitch: nothing
        rig.run(until: atMS(400))
        #expect(drain() == 1)                 // the clean press, at 320 ms
        #expect(rig.occupied == 1)            // the task runs on
    }
}
