// CortexMClock.swift — the tickless clock and its one-shot alarm, for every Cortex-M board.
//
// # The clock
//
// Each board gives a free-running 32-bit counter of microseconds (its
// `TicklessTimerHardware`: the FPGA's prescaled COUNTER on the mps2-an386,
// TIMER0 at 1 MHz on the micro:bit). It wraps every 2^32 µs (71.6 minutes), so
// the clock widens it to 64 bits with a count of half-periods, `P`
// (`pollen_tickless.half_periods`, startup.c): the number of times the counter has
// crossed 2^31 or wrapped through 0. Up to date, P's lowest bit equals the
// counter's top bit. A reading is two loads, P first, then the counter C:
//
//     now = P · 2^31 + (C xor (P & 1) · 2^31)
//
// If P is one crossing behind (the crossing happened, no one has counted it
// yet), C's top bit differs from P's parity, and the `xor` adds exactly the
// missing half-period (embassy's nRF time driver uses the same trick on its
// RTC). So a reading needs no lock and no masking, and it is correct from
// any interrupt priority and any point of an update (there is one store, of
// one word), as long as P is never more than one crossing behind.
//
// Invariant "clock period": P is written only with interrupts masked, and only
// by `fixUpPeriod` (P += 1 when the counter's top bit differs from P's parity:
// idempotent) and the test-only preset. The alarm is always armed for at most
// the counter's next crossing (see `program`), and its handler fixes P up, so
// P is never more than one crossing behind. The 64-bit clock covers 2^63 µs.
//
// # The alarm
//
// One hardware one-shot (a countdown timer or a compare channel), armed by
// `TicklessAlarm.program` for the earliest of:
//   - every requester's deadline: the thread-mode executor's (stored by
//     `CortexMPlatform.idle`, masked already: `requestForThreadMode`) and
//     those of executors in interrupt handlers (a table scanned through a
//     function pointer that their first request stores, so an app without
//     them links no scan);
//   - the counter's next half-period crossing (clock maintenance, above);
//   - the hardware's longest span (`maximumAlarmSpan`): a later deadline is
//     reached in steps, one alarm interrupt per step.
// A deadline that has already passed, or passes while the alarm is being
// armed (a compare channel set to a count the counter has just passed would
// fire only a wrap later), pends the alarm interrupt at once instead.
//
// The alarm handler is the single place that decides who is due: it fixes up
// P, and for every requester whose deadline has passed, clears the request and
// pends that requester's interrupt line (none for the thread-mode executor:
// the alarm interrupt itself has ended its `wfi`). Then it arms the alarm again
// for what is left. Executors that run in interrupt handlers at their own
// priority (issue 13) take a requester index of their own (`AlarmRequester`)
// and their NVIC line: their timers then fire at their priority, folded into
// the same one alarm. The alarm interrupt should be at least as urgent as the
// most urgent such executor (it is at priority 0, the most urgent, by default).
//
// There is no periodic interrupt: SysTick is not started. An idle board wakes
// for its deadlines, for other interrupts, and for the clock's maintenance
// (once per half-period of the counter, or per `maximumAlarmSpan` when that is
// shorter: every 171.8 s on the mps2-an386, every 35.8 min on the micro:bit).

import Pollen
import PollenCortexMSupport

/// The timer hardware a board gives the tickless clock: a free-running 32-bit
/// counter of microseconds and one one-shot alarm interrupt.
///
/// Conform the board's `Board` type to it (Board/<board>/Clock.swift) and
/// define the alarm's vector there, calling ``TicklessAlarm/handleInterrupt(_:)``.
public protocol TicklessTimerHardware {
    /// The alarm's NVIC line (its vector is `IRQ<n>_Handler`).
    static var alarmIRQ: UInt32 { get }
    /// The longest span, in µs, ``armAlarm(target:span:)`` accepts (at most 2^31).
    static var maximumAlarmSpan: UInt32 { get }
    /// Starts the counter at 0, counting microseconds, and makes the alarm able
    /// to interrupt (at the peripheral; the NVIC line is enabled by the caller).
    /// Start-up only.
    static func startCounter()
    /// Moves the counter to `value` (test-only presets; interrupts masked).
    /// Returns `false`, changing nothing, when the hardware cannot (the nRF51
    /// TIMER has no writable counter).
    static func setCounter(_ value: UInt32) -> Bool
    /// The counter now (µs, wrapping at 2^32). Safe from any priority.
    static func readCounter() -> UInt32
    /// Arms the alarm to interrupt when the counter reaches `target`, which is
    /// `span` µs (1 ... ``maximumAlarmSpan``) after the counter's value read just
    /// before (a countdown uses `span`, a compare channel `target`). Replaces any
    /// armed alarm. Called with interrupts masked.
    static func armAlarm(target: UInt32, span: UInt32)
    /// Stops the alarm and clears its event, which lowers its interrupt line.
    static func acknowledgeAlarm()
    /// `TicklessAlarm.program(Self.self, servicing: servicing)`, never inlined:
    /// every caller of the alarm's scheduling, in any module, reaches this one
    /// copy in the board's module (a generic function is specialized in each
    /// module that calls it; without this, an app carried two copies of its
    /// ~210 bytes). Board/<board>/Clock.swift implements it as exactly that call.
    static func programAlarm(servicing: Bool)
}

// MARK: - The clock

/// Whether `startClock()` has run (thread mode, start-up). In
/// `pollen_tickless` (cortexm.h) with the clock's other words.
var clockStarted: Bool {
    @inline(__always) get { pollen_tickless_words().pointee.started != 0 }
    @inline(__always) set { pollen_tickless_words().pointee.started = newValue ? 1 : 0 }
}

/// The 64-bit microsecond clock over a board's counter (see the file comment).
public enum TicklessClock {
    /// Starts the clock once: the counter, then the alarm armed for the
    /// clock's maintenance, then its NVIC line enabled; a second call changes
    /// nothing. One critical section for the check and the start.
    static func start<Hardware: TicklessTimerHardware>(_: Hardware.Type) {
        // The critical section spelled out: as a closure it was a function of
        // its own (76 bytes on the mps2-an386), called once.
        let saved = pollen_critical_enter()
        if !clockStarted {
            clockStarted = true
            SysTick.stop()
            Hardware.startCounter()
            Hardware.programAlarm(servicing: false)
            NVIC.enable(Hardware.alarmIRQ)
        }
        pollen_critical_exit(saved)
    }

    /// Microseconds since the clock started: lock-free, safe from any
    /// interrupt priority, never torn (invariant "clock period").
    @inline(__always)
    public static func now<Hardware: TicklessTimerHardware>(_: Hardware.Type) -> UInt64 {
        let halfPeriods = pollen_clock_half_periods_read()   // P before C (asm barrier)
        return widen(halfPeriods, Hardware.readCounter())
    }

    /// P · 2^31 + (C xor (P & 1) · 2^31).
    @inline(__always)
    static func widen(_ halfPeriods: UInt32, _ counter: UInt32) -> UInt64 {
        let high = UInt64(_truncatingBits: UInt(halfPeriods)) &<< 31
        let low = counter ^ (halfPeriods &<< 31)
        return high &+ UInt64(_truncatingBits: UInt(low))
    }

    /// Counts a crossing the counter made since P was last brought up to date.
    /// Interrupts masked (invariant "clock period"). Returns the clock then and
    /// the counter it read.
    @inline(__always)
    static func fixUpPeriod<Hardware: TicklessTimerHardware>(_: Hardware.Type) -> (now: UInt64, counter: UInt32) {
        var halfPeriods = pollen_clock_half_periods_read()
        let counter = Hardware.readCounter()
        if (counter ^ (halfPeriods &<< 31)) & 0x8000_0000 != 0 {
            halfPeriods &+= 1
            pollen_clock_half_periods_write(halfPeriods)
        }
        return (widen(halfPeriods, counter), counter)
    }

    /// TEST ONLY: moves the clock to `microseconds` (counter and P), then arms
    /// the alarm again. Firmware tests start the clock just below a crossing of
    /// the counter with it, instead of waiting 35 or 71 minutes. Returns `false`,
    /// changing nothing, on a board whose counter cannot be written (the
    /// micro:bit's nRF51 TIMER): there, tests sleep to the crossing instead.
    /// Time must not go backwards under a running executor (its timers would
    /// fire late), so this stops with a message when `microseconds` is below the
    /// clock now.
    @discardableResult
    public static func presetForTesting<Hardware: TicklessTimerHardware>(_: Hardware.Type, _ microseconds: UInt64) -> Bool {
        precondition(microseconds >= now(Hardware.self),
                     "TicklessClock.presetForTesting: the clock never goes backwards")
        return withInterruptsMasked {
            guard Hardware.setCounter(UInt32(truncatingIfNeeded: microseconds)) else { return false }
            pollen_clock_half_periods_write(UInt32(truncatingIfNeeded: microseconds &>> 31))
            Hardware.programAlarm(servicing: false)
            return true
        }
    }
}

// MARK: - The alarm

/// Who asked for the alarm: an index into the alarm's request table and the
/// NVIC line to pend when its deadline passes.
///
/// ``threadMode`` (index 0, no line) is the executor run from `main`: the alarm
/// interrupt itself ends its `wfi`. An executor run in an interrupt handler
/// takes another index (1 ..< ``TicklessAlarm/requesters``) and its own line,
/// so that the alarm handler pends it when its deadline passes.
public struct AlarmRequester: Sendable {
    /// Index in the request table (0 ..< ``TicklessAlarm/requesters``).
    public let index: Int
    /// The NVIC line pended when the deadline passes, plus one (0: none).
    let linePlusOne: UInt32

    /// A requester at `index` that pends NVIC line `line` (if any) when due.
    public init(index: Int, pending line: UInt32?) {
        precondition(index >= 0 && index < TicklessAlarm.requesters,
                     "AlarmRequester: the index must be 0 ..< TicklessAlarm.requesters (4)")
        self.index = index
        linePlusOne = line.map { $0 &+ 1 } ?? 0
    }

    /// The thread-mode executor (index 0): its `wfi` ends with the alarm interrupt.
    public static var threadMode: AlarmRequester { AlarmRequester(index: 0, linePlusOne: 0) }

    init(index: Int, linePlusOne: UInt32) {
        self.index = index
        self.linePlusOne = linePlusOne
    }
}

/// The thread-mode executor's requested deadline (µs), stored bit-inverted so
/// that the reset value, 0, means "none" (as `UInt64.max`: never due).
/// Invariant "alarm table": read and written only with interrupts masked.
/// (This and the other single words of the clock and alarm live in one C
/// global, `pollen_tickless`, cortexm.h: a function using several of them
/// computes one address.)
var threadAlarmDeadlineInverted: UInt64 {
    @inline(__always) get { pollen_tickless_words().pointee.thread_deadline_inverted }
    @inline(__always) set { pollen_tickless_words().pointee.thread_deadline_inverted = newValue }
}
/// The other requesters' deadlines (µs; index 1 ..< 4, executors in interrupt
/// handlers), valid where `alarmRequested` has the requester's bit. Same invariant.
nonisolated(unsafe) var alarmDeadlines: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
/// One bit per other requester with a deadline in the table. Same invariant.
nonisolated(unsafe) var alarmRequested: UInt32 = 0
/// NVIC line to pend for each other requester, plus one (0: none). Same invariant.
nonisolated(unsafe) var alarmLines: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
/// The request table's deadlines as 4 words. Safety: the tuple of four
/// `UInt64` is laid out as four contiguous words; a global stays at one address.
var alarmDeadlineTable: UnsafeMutablePointer<UInt64> {
    withUnsafeMutablePointer(to: &alarmDeadlines) {
        UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt64.self)
    }
}
/// The request table's lines as 4 words (as ``alarmDeadlineTable``).
var alarmLineTable: UnsafeMutablePointer<UInt32> {
    withUnsafeMutablePointer(to: &alarmLines) {
        UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt32.self)
    }
}
/// The scan of the other requesters' table (``TicklessAlarm/scanOtherRequests``),
/// stored by their first request: `program` calls it when set. So an image
/// whose only requester is the thread-mode executor (blinky) links none of the
/// table's code. Same invariant.
var alarmOtherRequestsScan: (@convention(c) (UInt64, UInt32, Bool) -> UInt32)? {
    @inline(__always) get { pollen_tickless_words().pointee.other_requests_scan }
    @inline(__always) set { pollen_tickless_words().pointee.other_requests_scan = newValue }
}
/// Alarm interrupts taken since start-up (written by the handler only).
var alarmInterruptCount: UInt32 {
    @inline(__always) get { pollen_tickless_words().pointee.alarm_interrupts }
    @inline(__always) set { pollen_tickless_words().pointee.alarm_interrupts = newValue }
}
/// Times an idle step's `wfi` returned since start-up (written masked by `idle`).
var idleWakeupCount: UInt32 {
    @inline(__always) get { pollen_tickless_words().pointee.idle_wakeups }
    @inline(__always) set { pollen_tickless_words().pointee.idle_wakeups = newValue }
}

/// The board's one-shot alarm, shared by every requester (see the file comment).
public enum TicklessAlarm {
    /// Size of the request table: the thread-mode executor and up to three
    /// executors in interrupt handlers.
    public static var requesters: Int { 4 }

    /// Sets (or, with `nil`, clears) `requester`'s deadline, then arms the alarm
    /// for the earliest of all (``program(_:servicing:)``). Safe from any priority.
    @inline(never)
    public static func request<Hardware: TicklessTimerHardware>(
        _: Hardware.Type, _ deadline: Instant?, for requester: AlarmRequester
    ) {
        let index = requester.index
        let saved = pollen_critical_enter()   // alarm table: masked from here
        if index == 0 {
            threadAlarmDeadlineInverted = ~(deadline?.ticks ?? .max)
        } else {
            // Safety: `index` < 4, the tuples' element count (AlarmRequester.init).
            let bit: UInt32 = 1 &<< UInt32(truncatingIfNeeded: index)
            if let deadline {
                alarmDeadlineTable[index] = deadline.ticks
                alarmLineTable[index] = requester.linePlusOne
                alarmRequested |= bit
            } else {
                alarmRequested &= ~bit
            }
            alarmOtherRequestsScan = { now, span, servicing in
                TicklessAlarm.scanOtherRequests(now: now, span: span, servicing: servicing)
            }
        }
        Hardware.programAlarm(servicing: false)
        pollen_critical_exit(saved)
    }

    /// ``request(_:_:for:)`` for ``AlarmRequester/threadMode``, with interrupts
    /// already masked: sets (or, with `nil`, clears) the thread-mode executor's
    /// deadline and arms the alarm for the earliest of all. Inlined into
    /// `CortexMPlatform.idle`, which masks interrupts before it; so an app
    /// without interrupt executors links no other request code.
    @inline(__always)
    static func requestForThreadMode<Hardware: TicklessTimerHardware>(
        _: Hardware.Type, _ deadline: Instant?
    ) {
        threadAlarmDeadlineInverted = ~(deadline?.ticks ?? .max)   // alarm table: masked
        Hardware.programAlarm(servicing: false)
    }

    /// Arms the alarm for the earliest of every requested deadline, the
    /// counter's next crossing and the longest span; pends it at once when that
    /// moment has already passed. Interrupts masked. This is the "program the
    /// one-shot alarm for the earliest of these deadlines" of the design: every
    /// path that changes a deadline ends here.
    ///
    /// `servicing` (the alarm handler only): first acknowledge the hardware and
    /// count the interrupt, then take every request whose deadline has passed
    /// out of the table and pend its requester's line (the thread-mode
    /// executor has none: the alarm interrupt itself ended its `wfi`).
    /// (Reach it through ``TicklessTimerHardware/programAlarm(servicing:)``: one copy,
    /// inlined there.)
    @inline(__always)
    public static func program<Hardware: TicklessTimerHardware>(_: Hardware.Type, servicing: Bool) {
        if servicing {
            // The handler's first steps, here rather than in the vector: this
            // function has the alarm's registers and words at hand already.
            Hardware.acknowledgeAlarm()
            alarmInterruptCount &+= 1
        }
        let (now, counter) = TicklessClock.fixUpPeriod(Hardware.self)
        // Everything is measured as a span from `now`, in 32 bits: first to the
        // counter's next crossing of 2^31 or 2^32 (P must count it), 1 ... 2^31
        // µs away (`now` and the counter share their low 31 bits).
        var span = 0x8000_0000 &- (counter & 0x7FFF_FFFF)
        if span > Hardware.maximumAlarmSpan { span = Hardware.maximumAlarmSpan }
        let thread = ~threadAlarmDeadlineInverted   // alarm table: masked
        if thread <= now {
            // Due: the one place that decides it (its `wfi` ended with this
            // interrupt). Outside the handler: fire at once.
            guard servicing else { return NVIC.pend(Hardware.alarmIRQ) }
            threadAlarmDeadlineInverted = 0
        } else if thread &- now < UInt64(_truncatingBits: UInt(span)) {
            span = UInt32(truncatingIfNeeded: thread &- now)
        }
        if let scan = alarmOtherRequestsScan {
            span = scan(now, span, servicing)
            guard span != 0 else { return NVIC.pend(Hardware.alarmIRQ) }   // due: fire at once
        }
        Hardware.armAlarm(target: counter &+ span, span: span)
        // The set-alarm race: a compare channel set to a count the counter
        // reached meanwhile fires only after a wrap. Pend it now instead (a
        // countdown cannot miss, and this check costs it nothing but time).
        if Hardware.readCounter() &- counter >= span {
            NVIC.pend(Hardware.alarmIRQ)
        }
    }

    /// `program`'s part for the other requesters (index 1 ..< 4): `span`, or
    /// the span to the earliest of their deadlines when that is shorter; 0 when
    /// one has passed (outside the handler: the alarm fires at once). When
    /// `servicing`, first takes every passed deadline out of the table and
    /// pends its requester's line. Interrupts masked.
    static func scanOtherRequests(now: UInt64, span: UInt32, servicing: Bool) -> UInt32 {
        var span = span
        var pending = alarmRequested
        while pending != 0 {
            let index = pending.trailingZeroBitCount
            pending &= pending &- 1
            let deadline = alarmDeadlineTable[index]
            if deadline <= now {
                guard servicing else { return 0 }
                // Due: the one place that decides it.
                alarmRequested &= ~(1 &<< UInt32(truncatingIfNeeded: index))
                let line = alarmLineTable[index]
                if line != 0 { NVIC.pend(line &- 1) }
                continue
            }
            if deadline &- now < UInt64(_truncatingBits: UInt(span)) {
                span = UInt32(truncatingIfNeeded: deadline &- now)
            }
        }
        return span
    }

    /// The body of the board's alarm handler (`IRQ<alarmIRQ>_Handler`): the single
    /// place that decides who is due. Acknowledges the hardware, counts a
    /// counter crossing, pends every requester whose deadline has passed (and
    /// clears its request), then arms the alarm for what is left: all of it
    /// `programAlarm(servicing: true)`, masked. Inlined into the board's vector
    /// (`IRQ<alarmIRQ>_Handler`), its one caller.
    @inline(__always)
    public static func handleInterrupt<Hardware: TicklessTimerHardware>(_: Hardware.Type) {
        withInterruptsMasked {
            Hardware.programAlarm(servicing: true)   // acknowledges and counts first
        }
    }

    /// Alarm interrupts taken since start-up (deadlines, steps of long waits and
    /// the clock's maintenance).
    public static var interruptCount: UInt32 { withInterruptsMasked { alarmInterruptCount } }
}
