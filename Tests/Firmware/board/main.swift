// board — checks the board support layer itself, one line per check:
// clock, WFI idle, software interrupt, UART receive (fed by QEMU_INPUT),
// atomics (the __atomic_* helpers on ARMv6-M) and 64-bit arithmetic helpers.
// Any failed check prints FAIL and exits 1.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import Synchronization

@main
struct BoardTest {
    static func main() {
        // Before start(): QEMU may deliver the input as soon as the RX
        // interrupt is enabled, and the hook must see it.
        Board.setReceiveHook { receiveHookRuns &+= 1 }
        var platform = Board.start()

        // Clock: monotonic, advances in about real microseconds.
        let t0 = platform.now()
        var previous = t0
        var monotonic = true
        while previous.ticks < t0.ticks &+ 2_000 {
            let t = platform.now()
            if t < previous { monotonic = false }
            previous = t
        }
        check("clock is monotonic", monotonic)

        // Idle `.sleep` until a deadline 5 ms away: the one-shot alarm ends the
        // sleep at the deadline (tickless: no periodic interrupt), so waiting
        // takes one return, plus one per other interrupt meanwhile (QEMU_INPUT's
        // bytes may arrive now, each a UART receive interrupt), where a busy loop
        // would take thousands. (Tests/Firmware/tickless counts wake-ups exactly.)
        let deadline = platform.now() + .milliseconds(5)
        var wakes: UInt32 = 0
        while platform.now() < deadline {
            _ = platform.idle(until: deadline, strategy: .sleep, isStillIdle: { true })
            wakes &+= 1
        }
        check("idle sleeps until an interrupt", wakes >= 1 && wakes <= 20)

        // Idle when a task is ready: returns at once. 1000 such calls would
        // take a second if each slept until the next tick.
        let before = platform.now()
        for _ in 0..<1_000 {
            _ = platform.idle(until: nil, strategy: .sleep, isStillIdle: { false })
        }
        check("idle returns at once when not idle", platform.now() - before < .milliseconds(100))

        // Software interrupt: pending it runs the hook before pend returns.
        Board.setSoftwareInterruptHook { softwareInterrupts &+= 1 }
        Board.pendSoftwareInterrupt()
        Board.pendSoftwareInterrupt()
        check("software interrupt runs its hook", softwareInterrupts == 2)

        // UART receive: QEMU_INPUT (44 bytes) arrives through the RX interrupt.
        // Read nothing for 20 ms first: the 16-byte ring fills, the handler
        // pauses the UART, and reading resumes it; nothing may be lost.
        let readFrom = platform.now() + .milliseconds(20)
        while platform.now() < readFrom {}
        var received: UInt32 = 0
        var sum: UInt32 = 0
        let rxDeadline = platform.now() + .milliseconds(2_000)
        while received < 44 && platform.now() < rxDeadline {
            if let byte = Board.readByte() {
                received &+= 1
                sum &+= UInt32(byte)
            } else {
                _ = platform.idle(until: rxDeadline, strategy: .sleep,
                                  isStillIdle: { !Board.hasReceivedBytes })
            }
        }
        // sum("the quick brown fox jumps over the lazy dog\n") == 4099
        check("uart receive delivers every byte", received == 44 && sum == 4099
              && receiveHookRuns > 0 && Board.droppedReceiveBytes == 0)

        // User LED: each write reads back.
        Board.setLED(true)
        let lit = Board.isLEDOn
        Board.setLED(false)
        check("user LED switches on and off", lit && !Board.isLEDOn)

        // One clock: `Board.now()` (for measuring) is the executor's clock,
        // read later, so it is never below `platform.now()` read before it.
        var clocksAgree = true
        for _ in 0..<2_000 {
            let coarse = platform.now()
            if Board.now() < coarse { clocksAgree = false }
        }
        check("precise clock never below the executor's", clocksAgree)

        checkAtomics()
        checkArithmetic()

        Board.write("stack high water ")
        Board.writeDecimal(Board.stackHighWaterBytes)
        Board.writeLine(" bytes")
        Board.exit(0)
    }

    static func checkAtomics() {
        let word = Atomic<UInt32>(5)
        word.add(3, ordering: .relaxed)
        word.bitwiseOr(0x100, ordering: .sequentiallyConsistent)
        word.bitwiseAnd(0x10F, ordering: .acquiring)
        word.bitwiseXor(1, ordering: .releasing)
        word.subtract(1, ordering: .relaxed)
        let swapped = word.exchange(7, ordering: .acquiringAndReleasing)
        let (exchanged, original) = word.compareExchange(expected: 7, desired: 9, ordering: .sequentiallyConsistent)
        let (notExchanged, _) = word.compareExchange(expected: 7, desired: 11, ordering: .sequentiallyConsistent)
        check("atomic UInt32", swapped == 0x108 && exchanged && original == 7 && !notExchanged
              && word.load(ordering: .relaxed) == 9)

        let byte = Atomic<UInt8>(250)
        byte.wrappingAdd(10, ordering: .relaxed)
        let half = Atomic<UInt16>(0xFF00)
        half.bitwiseOr(0x00F0, ordering: .relaxed)
        let flag = Atomic<Bool>(false)
        flag.store(true, ordering: .releasing)
        check("atomic UInt8 UInt16 Bool", byte.load(ordering: .relaxed) == 4
              && half.load(ordering: .relaxed) == 0xFFF0 && flag.load(ordering: .acquiring))

        #if _hasAtomicBitWidth(_64)   // ARMv7-M: yes (board-supplied __atomic_*_8); ARMv6-M: no
        let wide = Atomic<UInt64>(0xFFFF_FFFF)
        wide.add(1, ordering: .relaxed)
        wide.bitwiseOr(0x10, ordering: .relaxed)
        check("atomic UInt64", wide.load(ordering: .relaxed) == 0x1_0000_0010)
        #else
        check("atomic UInt64", true)   // not offered by Synchronization on this CPU
        #endif
    }

    static func checkArithmetic() {
        let a: UInt64 = opaque(0x0123_4567_89AB_CDEF)
        let b: UInt64 = opaque(1_000_003)
        let s: UInt64 = opaque(37)
        let ok = a &* b == 0x7530_ECA8_640F_838D
            && a / b == 81_985_283_260
            && a % b == 637_115
            && a &<< s == 0x3579_BDE0_0000_0000
            && a &>> s == 0x9_1A2B
            && Int64(bitPattern: ~a) / opaque(-3) == 27_328_509_738_828_965
            && opaque(UInt32(1_000_000_007)) / opaque(UInt32(10)) == 100_000_000
            && opaque(Int32(-7)) % opaque(Int32(3)) == -1
        check("64-bit multiply, divide and shifts", ok)

        // Every board here has one core: its toolset declares POLLEN_SINGLE_CORE,
        // so the core's shared words take no `dmb` (README, "The platform seam").
        // The lost-wake and priority tests exercise that build.
        check("core built for one core (POLLEN_SINGLE_CORE)", SharedOrdering.singleCore)
    }
}

nonisolated(unsafe) var softwareInterrupts: UInt32 = 0
nonisolated(unsafe) var receiveHookRuns: UInt32 = 0

/// Hides `value` from the optimizer, so the arithmetic runs on the target.
@_optimize(none)
func opaque<T>(_ value: T) -> T { value }

