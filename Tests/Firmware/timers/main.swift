// timers — Timer, Ticker, Timeout and select on the real executor and the
// board's clock (SysTick on Cortex-M, mtime on RISC-V), one line per check
// (`name... OK`); any failure prints `FAIL` and exits 1.
//
// `main` drives the executor itself (`drive(until:)`: read the clock, fire
// timers, run a pass, or sleep with `.sleep` idle — the same steps as
// `Executor.run`), so that between passes it can look at the executor's timer
// bookkeeping (`armedTimers`, `nextDeadline`), which a task cannot do while
// `run` holds the executor.
//
// "Never early" is checked against both clocks at fire time: the executor's
// (`context.now`) and a fresh `Board.now()`. No `-icount`: under QEMU's
// instruction counting, SysTick's counter reloads before its pending bit is
// set, so `Board.now()` reads up to 1 ms low right after each millisecond
// wrap (CortexMPlatform.now() clamps this away; the raw Board.now() does not).

/// Fire order of the timer probes, one hex digit (the probe's id) each.
import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

nonisolated(unsafe) var fired: UInt32 = 0
nonisolated(unsafe) var firedCount = 0
/// Set when a timer fired before its deadline (by `context.now` or `Board.now()`).
nonisolated(unsafe) var early = false
/// Worst lateness seen by a timer (Board.now() − deadline at fire time).
nonisolated(unsafe) var worstLateness = Duration.zero

/// Records a timer that fired: order, and never early.
func recordFire(_ id: Int, deadline: Instant, now: Instant) {
    fired = fired &<< 4 | UInt32(truncatingIfNeeded: id)
    firedCount += 1
    let real = Board.now()
    if now < deadline || real < deadline { early = true }
    let late = real - deadline
    if late > worstLateness { worstLateness = late }
}

/// Waits `delay` from its first poll, then records itself.
struct TimerProbe: Future {
    let id: Int
    let delay: Duration
    var timer: Timer
    var deadline: Instant? = nil

    init(id: Int, milliseconds: UInt64) {
        self.id = id
        delay = .milliseconds(milliseconds)
        timer = .after(delay)
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if deadline == nil { deadline = context.now + delay }   // what Timer.after computes
        guard case .ready = timer.poll(&context) else { return .pending }
        recordFire(id, deadline: deadline!, now: context.now)
        return .ready(())
    }
}

/// Result of the ticker task.
nonisolated(unsafe) var tickerDone = false
nonisolated(unsafe) var tickerPeriods: UInt64 = 0
nonisolated(unsafe) var tickerReadies = 0
nonisolated(unsafe) var tickerElapsed = Duration.zero
nonisolated(unsafe) var tickerEarly = false

/// 20 ticks of 10 ms, drift-free.
struct TickerTask: Future {
    var ticker = Ticker(period: .milliseconds(10))
    var start: Instant? = nil

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if start == nil { start = context.now }
        let start = self.start!
        while case .ready(let periods) = ticker.poll(&context) {
            tickerReadies += 1
            tickerPeriods &+= periods
            // Tick n is due at start + n × 10 ms: never before.
            if Board.now() < start + .milliseconds(10) * tickerPeriods { tickerEarly = true }
            if tickerPeriods >= 20 {
                tickerElapsed = Board.now() - start
                tickerDone = true
                return .ready(())
            }
        }
        return .pending
    }
}

/// Never finishes (and never arranges a wake: only a deadline around it does).
struct Forever: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> { .pending }
}

enum TimeoutOutcome { case none, timedOut, completed }
nonisolated(unsafe) var slowOutcome = TimeoutOutcome.none
nonisolated(unsafe) var slowAfter = Duration.zero
nonisolated(unsafe) var fastOutcome = TimeoutOutcome.none
nonisolated(unsafe) var fastAfter = Duration.zero
nonisolated(unsafe) var timeoutPolls = 0

/// A 5 ms timeout around a future that never finishes, then a 50 ms timeout
/// around a 2 ms timer; then parks without any deadline.
struct TimeoutTask: Future {
    var slow: Timeout<Forever>? = Timeout(Forever(), after: .milliseconds(5))
    var fast: Timeout<Timer>? = nil
    var start: Instant? = nil

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        timeoutPolls += 1
        if start == nil { start = context.now }
        if slow != nil {
            guard case .ready(let result) = slow!.poll(&context) else { return .pending }
            slow = nil
            slowOutcome = result.isTimedOut ? .timedOut : .completed
            slowAfter = Board.now() - start!
            start = context.now
            fast = Timeout(Timer.after(.milliseconds(2)), after: .milliseconds(50))
        }
        if fast != nil {
            guard case .ready(let result) = fast!.poll(&context) else { return .pending }
            fast = nil
            fastOutcome = result.isTimedOut ? .timedOut : .completed
            fastAfter = Board.now() - start!
        }
        return .pending   // parked for good: no waker kept, no deadline
    }
}

extension TimeoutResult {
    var isTimedOut: Bool {
        if case .timedOut = self { return true }
        return false
    }
}

nonisolated(unsafe) var selectWinner = 0
nonisolated(unsafe) var selectAfter = Duration.zero
nonisolated(unsafe) var selectPolls = 0

/// Races a 2 ms timer against a 100 ms one; then parks without any deadline.
struct SelectTask: Future {
    var race: Select2<Timer, Timer>? = select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(100)))
    var start: Instant? = nil

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        selectPolls += 1
        if start == nil { start = context.now }
        if race != nil {
            guard case .ready(let winner) = race!.poll(&context) else { return .pending }
            race = nil
            switch winner {
            case .first: selectWinner = 1
            case .second: selectWinner = 2
            }
            selectAfter = Board.now() - start!
        }
        return .pending
    }
}

public let pollenTaskSize_TimerProbe = MemoryLayout<TimerProbe>.size
public let pollenTaskSize_TickerTask = MemoryLayout<TickerTask>.size
public let pollenTaskSize_TimeoutTask = MemoryLayout<TimeoutTask>.size
public let pollenTaskSize_SelectTask = MemoryLayout<SelectTask>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var probes = TaskPool<TimerProbe, 5>(name: "probes")
nonisolated(unsafe) var tickers = TaskPool<TickerTask, 1>(name: "ticker")
nonisolated(unsafe) var timeouts = TaskPool<TimeoutTask, 1>(name: "timeout")
nonisolated(unsafe) var selects = TaskPool<SelectTask, 1>(name: "select")
/// Four entries for five probes: one deadline overflows (see TimerQueue).
nonisolated(unsafe) var timerQueue = TimerQueue<4>()

@main
struct Timers {
    static func main() {
        var platform = Board.start()
        let probe: PoolRef<TimerProbe, 5>
        let ticker: PoolRef<TickerTask, 1>
        let timeout: PoolRef<TimeoutTask, 1>
        let selector: PoolRef<SelectTask, 1>
        do throws(CapacityError) {
            probe = try executor.attach(&probes)
            ticker = try executor.attach(&tickers)
            timeout = try executor.attach(&timeouts)
            selector = try executor.attach(&selects)
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timerQueue)
        let all = tasks(probe, ticker, timeout, selector)

        // Five timers started in the same pass, 10 ms apart in deadline, in
        // shuffled slot order; the queue holds four deadlines.
        spawn(probe, TimerProbe(id: 1, milliseconds: 40))
        spawn(probe, TimerProbe(id: 2, milliseconds: 10))
        spawn(probe, TimerProbe(id: 3, milliseconds: 50))
        spawn(probe, TimerProbe(id: 4, milliseconds: 20))
        spawn(probe, TimerProbe(id: 5, milliseconds: 30))
        drive(all, on: &platform, for: .milliseconds(500)) { firedCount == 5 }
        check("timers fire in deadline order", fired == 0x24513, fired)
        check("timers never fire early", !early)
        check("a deadline beyond the timer queue still fires", executor.timerOverflows >= 1,
              UInt32(truncatingIfNeeded: executor.timerOverflows))
        check("nothing armed once every timer fired", executor.armedTimers == 0 && executor.nextDeadline == nil)
        var console = BoardConsole()
        executor.describeTimerQueue(to: &console)
        Board.write("  worst lateness ")
        Board.writeDecimal(UInt32(truncatingIfNeeded: worstLateness.ticks))
        Board.writeLine(" us")

        // Ticker: 20 ticks of 10 ms; drift-free, so the 20th is due 200 ms
        // after the first poll, whatever the latency of the others.
        spawn(ticker, TickerTask())
        drive(all, on: &platform, for: .milliseconds(1_000)) { tickerDone }
        check("ticker: 20 periods, none early", tickerPeriods == 20 && !tickerEarly && tickerReadies <= 20)
        // The tolerance is for the last tick's lateness alone (about a tick,
        // plus host hiccups: QEMU's clock is the host's). A ticker that
        // re-armed from each late tick would drift by ~0.5 ms per tick.
        check("ticker: 20 x 10 ms take 200 ms (+ at most 5 ms)",
              tickerElapsed >= .milliseconds(200) && tickerElapsed < .milliseconds(205),
              UInt32(truncatingIfNeeded: tickerElapsed.ticks))
        Board.write("  elapsed ")
        Board.writeDecimal(UInt32(truncatingIfNeeded: tickerElapsed.ticks))
        Board.writeLine(" us")

        // Timeout, both ways.
        spawn(timeout, TimeoutTask())
        drive(all, on: &platform, for: .milliseconds(500)) { fastOutcome != .none }
        check("timeout: a future that never finishes times out, not early",
              slowOutcome == .timedOut && slowAfter >= .milliseconds(5) && slowAfter < .milliseconds(10),
              UInt32(truncatingIfNeeded: slowAfter.ticks))
        check("timeout: a future that finishes first completes",
              fastOutcome == .completed && fastAfter >= .milliseconds(2) && fastAfter < .milliseconds(50),
              UInt32(truncatingIfNeeded: fastAfter.ticks))
        check("timeout: nothing stays armed", executor.armedTimers == 0 && executor.nextDeadline == nil)

        // select: the 2 ms timer wins; the 100 ms loser is dropped with it,
        // so nothing stays armed and nothing polls the task at 100 ms.
        spawn(selector, SelectTask())
        drive(all, on: &platform, for: .milliseconds(500)) { selectWinner != 0 }
        check("select: the first timer wins", selectWinner == 1 && selectAfter >= .milliseconds(2)
              && selectAfter < .milliseconds(100), UInt32(truncatingIfNeeded: selectAfter.ticks))
        check("select: the losing timer is released",
              executor.armedTimers == 0 && executor.nextDeadline == nil)
        let pollsAfterWin = selectPolls
        let timeoutPollsBefore = timeoutPolls
        let until = Board.now() + .milliseconds(120)
        drive(all, on: &platform, for: .milliseconds(500)) { Board.now() >= until }
        check("select: the loser's deadline polls nothing",
              selectPolls == pollsAfterWin && timeoutPolls == timeoutPollsBefore,
              UInt32(truncatingIfNeeded: selectPolls - pollsAfterWin))
        Board.exit(0)
    }
}

// MARK: - Helpers

/// Runs the executor as `Executor.run` would until `done()` holds; fails after
/// `limit`. Idle sleeps until the executor's next deadline, or the give-up time
/// when it has none: a tickless board (hifive1) has no periodic interrupt to
/// end a sleep that no deadline bounds.
func drive<Tasks: TaskSet>(_ set: Tasks, on platform: inout Board.BoardPlatform, for limit: Duration,
                            until done: () -> Bool) {
    let giveUp = platform.now() + limit
    while !done() {
        let now = platform.now()
        if now >= giveUp {
            Board.writeLine("drive: stalled... FAIL")
            Board.exit(1)
        }
        executor.fireTimers(now: now)
        if executor.hasReadyTasks {
            executor.runReady(set, now: now)
            continue
        }
        let wake = min(executor.nextDeadline ?? giveUp, giveUp)
        _ = platform.idle(until: wake, strategy: .sleep,
                          isStillIdle: { !executor.hasReadyTasks })
    }
}


