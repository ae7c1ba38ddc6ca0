#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads started with pthreads and joined together (Foundation-free): the host's
/// stand-ins for interrupt handlers and other cores in threaded tests.
///
/// ```swift
/// let producers = ThreadGroup()
/// for _ in 0..<3 { producers.start { for i in 0..<1_000 { _ = tx.trySend(i) } } }
/// producers.join()
/// ```
///
/// Start and join from one thread. Starting a thread allocates (the host only).
public final class ThreadGroup: @unchecked Sendable {
    private final class Start {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    private var handles: [pthread_t] = []

    /// An empty group.
    public init() {}

    /// Starts `body` on a new thread.
    public func start(_ body: @escaping () -> Void) {
        var handle = pthread_t()
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        let rc = pthread_create(&handle, nil, { raw in
            Unmanaged<Start>.fromOpaque(raw.unsafelyUnwrapped).takeRetainedValue().body()
            return nil
        }, start)
        precondition(rc == 0, "pthread_create failed")
        handles.append(handle)
    }

    /// Waits for every started thread.
    public func join() {
        for handle in handles { pthread_join(handle, nil) }
        handles.removeAll()
    }
}
