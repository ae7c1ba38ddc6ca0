import Pollen

/// Storage allocated once at a fixed address, for the host: executors, pools and
/// timer queues must not move once attached (invariant PINNED), which a local
/// variable cannot promise. Allocation happens in `init` (set-up), never after.
///
/// ```swift
/// let executor = Pinned(Executor<1>())
/// let pool = Pinned(TaskPool<Blink, 4>(name: "blink"))
/// try executor.pointee.attach(&pool.pointee)
/// ```
///
/// Free it with ``release()`` once nothing uses it any more (tests may simply leak).
public struct Pinned<Value: ~Copyable>: @unchecked Sendable {
    /// The fixed address of the value.
    public let address: UnsafeMutablePointer<Value>

    /// Moves `value` to newly allocated storage.
    public init(_ value: consuming Value) {
        address = .allocate(capacity: 1)
        address.initialize(to: value)
    }

    /// The value, in place.
    public var pointee: Value {
        unsafeAddress { UnsafePointer(address) }
        nonmutating unsafeMutableAddress { address }
    }

    /// Destroys the value and frees the storage.
    public func release() {
        address.deinitialize(count: 1)
        address.deallocate()
    }
}
