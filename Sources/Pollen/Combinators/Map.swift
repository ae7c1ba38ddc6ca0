/// A future whose output is its inner future's output passed through a function.
///
/// ```swift
/// var celsius = readSensor().map { raw in Int(raw) / 16 }
/// ```
///
/// `transform` runs once, in the poll in which the inner future completes.
///
/// Closures: the transform is stored in the future. On firmware it must not
/// capture anything (a capturing closure is a heap object, and
/// `-no-allocations` rejects it at compile time: "cannot use escaping closures
/// in -no-allocations mode"). Pass data through the inner future's output
/// instead, or write a small future type. Write a closure literal that names
/// its parameter, even a `Void` one (`{ _ in 2 }`, not `{ 2 }`), and not a
/// function reference (`.map(convert)`): both need a conversion thunk that
/// captures the function, which is rejected the same way.
///
/// Size: the inner future plus one function value (two words).
///
/// Cancel safety: that of the inner future. Dropping a pending `Map` drops the
/// inner future; the transform never runs.
public struct Map<Inner: Future & ~Copyable, Output>: ~Copyable, Future {
    var inner: Inner
    let transform: (Inner.Output) -> Output

    /// `inner`, with its output passed through `transform`. See ``Future/map(_:)``.
    @inline(__always)
    public init(_ inner: consuming Inner, _ transform: @escaping (Inner.Output) -> Output) {
        self.inner = inner
        self.transform = transform
    }

    /// Polls the inner future; on completion returns `transform(output)`.
    public mutating func poll(_ context: inout Context) -> Poll<Output> {
        switch inner.poll(&context) {
        case .ready(let value): return .ready(transform(value))
        case .pending: return .pending
        }
    }
}

extension Map: Copyable where Inner: Copyable {}

extension Future where Self: ~Copyable {
    /// This future with its output passed through `transform`.
    ///
    /// ```swift
    /// var seconds = Timer.after(.seconds(2)).map { _ in 2 }
    /// ```
    ///
    /// See ``Map``: the transform must not capture anything on firmware; cancel
    /// safety is that of `self`.
    @inline(__always)
    public consuming func map<T>(_ transform: @escaping (Output) -> T) -> Map<Self, T> {
        Map(self, transform)
    }
}
