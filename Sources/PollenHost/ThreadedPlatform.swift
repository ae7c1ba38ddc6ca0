#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Pollen
import Synchronization

/// The host platform with real threads: other threads play interrupt handlers and
/// run concurrently with the executor, which sleeps on a condition variable.
///
/// This is the model of WFI on a real core: ``idle(until:strategy:isStillIdle:)``
/// takes the lock (≈ masking interrupts), re-checks `isStillIdle`, and only then
/// waits; an "interrupt" (``interrupt(_:)`` or a raise on ``interrupts``) runs its
/// body on its own thread, then takes the lock and signals. A wake that lands after
/// the check therefore cannot slip past the wait: the signal needs the lock, which
/// the executor only gives up inside the wait.
public final class ThreadedPlatform: Platform, @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let stopFlag = Atomic<Bool>(false)
    private let hook: UnsafeMutablePointer<PendHook>
    private let sleepCount = Atomic<Int>(0)
    /// The simulated interrupt controller (immediate mode: handlers run on the
    /// raising thread).
    public let interrupts: SimulatedInterruptController

    /// A platform with `lineCount` simulated interrupt lines.
    public init(lineCount: Int = 32) {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        interrupts = SimulatedInterruptController(lineCount: lineCount, mode: .immediate)
        hook = .allocate(capacity: 1)
        interrupts.onRaise = { [unowned self] in self.notify() }
        hook.initialize(to: PendHook(function: { context in
            // Safety: the context is this platform, which outlives every run that
            // installed the hook (the hook is freed in deinit).
            Unmanaged<ThreadedPlatform>.fromOpaque(context.unsafelyUnwrapped).takeUnretainedValue().notify()
        }, context: Unmanaged.passUnretained(self).toOpaque()))
    }

    /// The doorbell as the executor's pend hook: every wake and spawn (from any
    /// thread) rings it while `run(on:)` runs, so a wake never needs a separate
    /// ``notify()``.
    public var pendHook: UnsafePointer<PendHook>? { UnsafePointer(hook) }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
        hook.deallocate()
    }

    /// How many times the executor actually went to sleep.
    public var sleeps: Int { sleepCount.load(ordering: .relaxed) }

    /// Real monotonic time.
    public func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(ticks: UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1_000)
    }

    /// Runs `body` as an interrupt handler would (on the calling thread, at once),
    /// then rings the doorbell so a sleeping executor re-checks its ready mask.
    public func interrupt(_ body: () -> Void) {
        body()
        notify()
    }

    /// Wakes the executor if it sleeps (the doorbell every interrupt rings).
    public func notify() {
        pthread_mutex_lock(mutex)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Makes `run` return at its next idle step (or now, if it sleeps).
    public func requestStop() {
        stopFlag.store(true, ordering: .releasing)
        notify()
    }

    public func idle(until deadline: Instant?, strategy: IdleStrategy,
                     isStillIdle: () -> Bool) -> IdleOutcome {
        if stopFlag.load(ordering: .acquiring) { return .stop }
        if case .busyPoll = strategy { return .resumed }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard isStillIdle(), !stopFlag.load(ordering: .acquiring) else { return .resumed }
        sleepCount.add(1, ordering: .relaxed)
        if let deadline {
            var ts = timespec(tv_sec: Int(deadline.ticks / 1_000_000),
                              tv_nsec: Int(deadline.ticks % 1_000_000) * 1_000)
            pthread_cond_timedwait(condition, mutex, &ts)
        } else {
            pthread_cond_wait(condition, mutex)
        }
        return .resumed
    }
}
