/// A zero-size field that makes the `deinit` of the type holding it run on
/// every build. Put one in every `~Copyable` type of yours that has a `deinit`
/// (user futures that must remove a registration when dropped):
///
/// ```swift
/// struct ButtonWait: ~Copyable, Future {
///     var listed: Waker?
///     let anchor = DropAnchor()      // the deinit below runs on the host too
///     deinit { if let listed { buttons.remove(listed) } }
///     …
/// }
/// ```
///
/// Why: Swift 6.3's runtime skips the `deinit` of a `~Copyable` type with generic
/// arguments whose stored fields are all plain data, when the value is destroyed
/// through unspecialized generic code (swiftlang/swift#89686, fixed in a later
/// runtime). On the host that happens in debug builds whenever another module
/// drops the value. A field with a `deinit` of its own is not plain data, so the
/// runtime builds a real destroy for the enclosing type. Embedded Swift
/// specializes everything and is not affected; the field adds no bytes and no
/// code there. Remove this device once the toolchain carries the fix.
public struct DropAnchor: ~Copyable {
    /// An anchor (no state).
    @inline(__always)
    public init() {}
    @inline(__always)
    deinit {}
}
