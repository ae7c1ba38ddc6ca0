// Stage: the storage of a future that goes through stages one at a time (`Then`,
// `Sequenced`, `Deferred`, `Branch`, a join's child), with the live stage polled,
// dropped and replaced in place.
//
// Swift has no in-place access to an enum's payload: `switch consume stage`
// moves the whole stage onto the stack and back at every poll, and at every
// nesting level, so a task nested eight levels deep needed several copies of
// itself on the stack (issue 17). `Stage2` keeps the enum (its size is the
// largest stage plus one tag byte, never the sum) and reaches the payload
// through a pointer instead.
//
// Invariant GENERIC-ENUM-LAYOUT. An enum that is generic over its payload
// types is laid out the way the Swift runtime lays out such an enum, in
// specialised code too (Embedded included), so that every piece of code agrees
// on it: every payload starts at offset 0, and the case is a tag byte right
// after the largest payload, holding the payload case's index in declaration
// order. The payloads' spare bits are never used (a non-generic enum would use
// them). So:
// - a payload can be mutated in place through a pointer to the enum, and the
//   case stays what it was;
// - the case can be read, and changed after the new payload has been written,
//   through that tag byte.
// `StageLayoutTests` checks this layout on the host; the nesting firmware test
// (Tests/Firmware/stack-nesting) runs it on both Cortex-M boards.

/// Two stages of a future, one live at a time, sharing their bytes: size
/// `max(size(A), size(B)) + 1`. Reach it through a pointer (see the extension
/// on `UnsafeMutablePointer`) to poll a stage where it lies and to move from
/// the first stage to the second in place.
enum Stage2<A: ~Copyable, B: ~Copyable>: ~Copyable {
    case first(A)
    case second(B)
    /// No stage yet: what ``vacantStage()`` builds, for ``init(first:)`` to
    /// fill. Never polled, never dropped while vacant.
    case vacant

    /// A stage whose first stage is `value`: how every combinator builds its
    /// stage (`stage = Stage2(first: …)`).
    ///
    /// Why not `stage = .first(value)`: assigning a case of this enum (any
    /// case, `.vacant` too) builds the whole enum, the size of its largest
    /// stage, in a temporary and stores the case through an outlined,
    /// never-inlined helper that takes the temporary's address; the optimiser
    /// can then neither build it where it goes nor drop the temporary. Here a
    /// `.vacant` value is written byte by byte, the first stage is written
    /// through a pointer and the result is moved out: inlined into a
    /// combinator's `init`, the stage is written straight into the value being
    /// built. (The stage combinators are also `~Copyable`: while they were
    /// copyable, a `steps` block passed a copy of each link to the next and
    /// kept the original. README, "Decisions worth knowing", Stack.)
    ///
    /// The nesting test (Tests/Firmware/stack-nesting, mps2-an386, depth 8,
    /// 244-byte task), stack after the spawn: 1,568 B with `.first`, 1,232 B
    /// with `.vacant` assigned and filled through a pointer, 552 B with this,
    /// `~Copyable` combinators and `spawn { … }`.
    @inline(__always)
    init(first value: consuming A) {
        var scratch = Self.vacantStage()
        Self.initializeFirst(&scratch, value)
        self = consume scratch
    }

    /// The `.vacant` stage, written byte by byte: a payload of zero bytes and,
    /// in the tag byte, the number of payload cases, 2 (GENERIC-ENUM-LAYOUT's
    /// encoding of an empty case), so that no outlined tag store is involved
    /// (see ``init(first:)``). `StageLayoutTests` checks that it reads as
    /// `.vacant` and has `.vacant`'s bytes.
    @inline(__always)
    static func vacantStage() -> Self {
        withUnsafeTemporaryAllocation(of: Self.self, capacity: 1) { buffer in
            // Safety: the allocation holds one `Self`, and every one of its
            // bytes is written before it is moved out as a value.
            let raw = UnsafeMutableRawPointer(buffer.baseAddress.unsafelyUnwrapped)
            let tagOffset = MemoryLayout<Self>.size &- 1
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: tagOffset)
            raw.storeBytes(of: 2, toByteOffset: tagOffset, as: UInt8.self)
            return raw.assumingMemoryBound(to: Self.self).move()
        }
    }

    /// Writes `value` as the first stage into the `.vacant` stage at `stage`.
    @inline(__always)
    static func initializeFirst(_ stage: UnsafeMutablePointer<Self>, _ value: consuming A) {
        stage.firstStage().initialize(to: value)
        stage.stageTag().pointee = 0
    }
}

extension Stage2: Copyable where A: Copyable, B: Copyable {}

extension UnsafeMutablePointer where Pointee: ~Copyable {
    /// The tag byte of the `Stage2` here (GENERIC-ENUM-LAYOUT).
    @inline(__always)
    func stageTag<A: ~Copyable, B: ~Copyable>() -> UnsafeMutablePointer<UInt8> where Pointee == Stage2<A, B> {
        (UnsafeMutableRawPointer(self) + (MemoryLayout<Stage2<A, B>>.size &- 1)).assumingMemoryBound(to: UInt8.self)
    }

    /// Whether the first stage is the live one.
    @inline(__always)
    func isFirstStage<A: ~Copyable, B: ~Copyable>() -> Bool where Pointee == Stage2<A, B> {
        stageTag().pointee == 0
    }

    /// The first stage, in place. Only while it is the live one.
    @inline(__always)
    func firstStage<A: ~Copyable, B: ~Copyable>() -> UnsafeMutablePointer<A> where Pointee == Stage2<A, B> {
        // Safety: GENERIC-ENUM-LAYOUT (payloads at offset 0).
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: A.self)
    }

    /// The second stage, in place. Only while it is the live one.
    @inline(__always)
    func secondStage<A: ~Copyable, B: ~Copyable>() -> UnsafeMutablePointer<B> where Pointee == Stage2<A, B> {
        // Safety: GENERIC-ENUM-LAYOUT (payloads at offset 0).
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: B.self)
    }

    /// Drops the first stage (its deinit runs where it lies) and builds the
    /// second in the same bytes, from `make`. Only while the first is live.
    ///
    /// `make` is called after the first stage is gone, with nothing of it left
    /// to read: take what it needs first. Its result is written straight into
    /// the stage's bytes where the optimiser can (a call that returns a large
    /// value writes it through the address it is given); at worst one
    /// temporary of `B`'s size lives in this call's frame.
    @inline(__always)
    func replaceFirstStage<A: ~Copyable, B: ~Copyable>(_ make: () -> B) where Pointee == Stage2<A, B> {
        firstStage().deinitialize(count: 1)
        secondStage().initialize(to: make())
        stageTag().pointee = 1   // GENERIC-ENUM-LAYOUT: the index of `second`
    }
}

// Invariant OPTIONAL-LAYOUT: an `Optional<T>` keeps `T` at offset 0. When `T`
// has spare bit patterns (extra inhabitants), `nil` is one of them and every
// valid `T` reads as `.some`; otherwise a tag byte follows `T`, 0 for `.some`
// and 1 for `nil` (Swift's single-payload enum layout). `StageLayoutTests`
// checks both cases.

extension UnsafeMutablePointer where Pointee: ~Copyable {
    /// Turns the `nil` here into `.some(value)` by moving `value` straight into
    /// the optional's payload, without building the optional in a temporary.
    /// The optional must be `nil` (there is nothing to drop).
    @inline(__always)
    func initializeSome<T: ~Copyable>(_ value: consuming T) where Pointee == T? {
        // Safety: OPTIONAL-LAYOUT.
        let raw = UnsafeMutableRawPointer(self)
        raw.assumingMemoryBound(to: T.self).initialize(to: value)
        if MemoryLayout<T?>.size > MemoryLayout<T>.size {
            raw.storeBytes(of: 0, toByteOffset: MemoryLayout<T>.size, as: UInt8.self)
        }
    }
}
