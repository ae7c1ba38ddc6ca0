import Synchronization

// Channel: a bounded multi-producer, single-consumer queue.
//
// # The ring (lock-free, after Dmitry Vyukov's bounded MPMC queue)
//
// `capacity` cells, each with an element slot and a sequence number. Positions
// `tail` (next to claim, shared by producers) and `head` (next to read, the
// consumer's own) count up forever (wrapping); cell `p % capacity` serves
// position `p`. A cell's sequence says whose turn it is:
//   sequence == p       free for the producer of position p;
//   sequence == p + 1   holds the element of position p, for the consumer;
//   sequence == p + capacity   freed by the consumer for position p + capacity.
// A producer claims position p with a compare-exchange of `tail` (p → p + 1),
// writes the element, then publishes it by storing p + 1 into the sequence.
// The consumer reads cell `head`: if its sequence is head + 1 the element is
// there; it moves it out and stores head + capacity. A full ring is seen by a
// producer as a sequence behind its position: `trySend` fails, nothing blocks.
// Each position is claimed by exactly one producer and read once by the
// consumer: elements are never lost or duplicated, and the elements of one
// producer are received in the order it sent them.
//
// # Waking the consumer (the Dekker handshake)
//
// The consumer's waker is kept in `consumerWaker`, written only by the consumer,
// and rewritten only when the receiving task changes. `wakeState` bit 0 (ARMED)
// says "the consumer is waiting and the waker is valid"; the bits above count
// producers currently reading the waker (in steps of 2).
//   consumer, going to sleep:  ARMED := 1 (seq_cst RMW); re-check the ring (seq_cst load)
//   producer, after a push:    publish (seq_cst store); load wakeState (seq_cst)
// With all four sequentially consistent, at least one side sees the other: either
// the consumer's re-check finds the element, or the producer sees ARMED and
// wakes it. A wake cannot be lost in between.
// A producer that sees ARMED becomes a reader (fetch-add 2), reads the waker only
// if ARMED is still set in the value its add returned, wakes, and leaves
// (fetch-sub 2). The consumer rewrites the waker only after a compare-exchange
// from "no readers" to 0 (disarmed): no producer can be reading it then, and
// none will start before ARMED is set again. If readers are active (only
// possible with producers on other cores/threads; an interrupt handler always
// finishes before the task resumes) the consumer wakes itself and retries on
// the next pass instead of spinning.

/// A bounded queue from any number of producers (tasks, interrupt handlers,
/// other threads) to one consumer task.
///
/// ```swift
/// var rx = Channel<UInt8, 16>()               // a global on firmware (PINNED)
/// let uartSender = rx.sender()                // for the UART interrupt handler
/// // UART RX interrupt:  if !uartSender.trySend(byte) { overruns += 1 }
/// // consumer task:      var next = rx.receive()   … .ready(byte)
/// // producer task:      var put = rx.send(0x42)   … .ready(()) once there is room
/// ```
///
/// - Capacity: `capacity` elements, a power of two (checked at creation).
///   Storage is inline: `capacity` × (element slot + one word).
/// - Full: ``ChannelSender/trySend(_:)`` returns `false` and keeps nothing (the
///   caller still has its value); ``send(_:)`` waits for room instead.
/// - Empty: ``tryReceive()`` returns `nil`; ``receive()`` waits for an element.
/// - Ordering: FIFO per producer; between producers, in the order their sends
///   claimed a position. Every element sent is received exactly once (never lost,
///   never duplicated), whatever the interleaving of producers.
/// - Interrupt and thread safety: `trySend` (on a ``ChannelSender``, or on the
///   channel itself in task context) is lock-free and safe from interrupt
///   handlers and other threads. Receiving (`receive`, `tryReceive`) is for one
///   consumer task at a time; `send` futures (which wait for room) are for tasks
///   of the consumer's executor. On Cortex-M0 the atomics are `__atomic_*_4`
///   calls the board supplies.
/// - Waiting senders: up to 4 tasks sleep while the channel is full, and are
///   woken oldest first as the consumer makes room; more wake themselves and
///   retry on every executor pass.
///
/// Invariant PINNED: once ``sender()``, ``send(_:)`` or ``receive()`` has been
/// called, the channel must stay at one address while any sender, future or
/// handle exists.
public struct Channel<Element, let capacity: Int>: ~Copyable {
    // Invariant CELLS-SECOND: `head` (the consumer's own) is the first stored
    // property, `slots` the second and `sequences` the third, so cell `i`'s element
    // and sequence are reached from the channel's address by pointer arithmetic
    // (``cellsOffset``, ``sequencesOffset``), without an access to the whole
    // channel, which producers in other contexts use meanwhile.
    // ChannelTests checks the offset.
    /// Next position the consumer will read (the consumer's alone).
    var head: UInt = 0
    /// Per cell: the element, between its publication and its receipt.
    var slots: InlineArray<capacity, Element?>
    /// Per cell: whose turn it is (see the ring description in `Channel.swift`).
    /// Plain words in storage, atomics in use (``sequence(_:_:)``): an `InlineArray`
    /// of `Atomic`s in a generic type crashes this compiler in Embedded Swift when
    /// another module reassigns a struct holding the channel ("hasValidSignature-
    /// ForEmbedded", GenDecl.cpp). The third stored property (CELLS-SECOND).
    var sequences: InlineArray<capacity, UInt>
    /// Next position a producer will claim.
    let tail: Atomic<UInt>
    /// Bit 0: ARMED; bits 1…: number of producers reading `consumerWaker`, × 2.
    let wakeState: Atomic<UInt>
    /// The consumer task's waker; written by the consumer only (see above).
    var consumerWaker: Waker? = nil
    /// Tasks whose `send` found the channel full.
    var senders = WaiterList<4>()

    static var armed: UInt { 1 }
    static var reader: UInt { 2 }
    static var mask: UInt { UInt(bitPattern: capacity &- 1) }

    /// An empty channel. `capacity` must be a power of two.
    public init() {
        precondition(capacity > 0 && capacity & (capacity &- 1) == 0,
                     "Channel: capacity must be a power of two")
        sequences = InlineArray { UInt(bitPattern: $0) }
        slots = InlineArray(repeating: nil)
        tail = Atomic(0)
        wakeState = Atomic(0)
    }

    /// A handle through which interrupt handlers and other threads send
    /// (one pointer; copy it freely). Invariant PINNED: see the type's documentation.
    public func sender() -> ChannelSender<Element, capacity> {
        // Safety: the channel's atomics make it address-only, so a borrow of it is
        // the channel in place (PINNED keeps the address). Nothing is written in
        // this borrow's scope; the sender writes later, through the ring's protocol.
        ChannelSender(channel: withUnsafePointer(to: self) { UnsafeMutablePointer(mutating: $0) })
    }

    /// The channel's address (invariant PINNED).
    var address: UnsafeMutablePointer<Channel> {
        mutating get { withUnsafeMutablePointer(to: &self) { $0 } }
    }

    /// Offset of cell 0's element from the channel's address: right after `head`,
    /// aligned for the element (Swift lays out stored properties in order, each at
    /// the next offset its alignment allows).
    static var cellsOffset: Int {
        alignedUp(MemoryLayout<UInt>.stride, to: MemoryLayout<Element?>.alignment)
    }

    /// Sends `element` if there is room; `false` (nothing sent) when full. From
    /// task context; interrupt handlers and threads use a ``sender()``.
    public mutating func trySend(_ element: Element) -> Bool {
        Channel.enqueue(address, element)
    }

    /// A future that sends `element`, waiting for room while the channel is full.
    /// For tasks of the consumer's executor.
    ///
    /// Cancel safety: dropping a pending send drops `element` unsent (it was
    /// never in the channel). A waiting sender that was woken for room but is
    /// dropped passes the wake to the next waiting sender.
    public mutating func send(_ element: Element) -> ChannelSend<Element, capacity> {
        ChannelSend(channel: address, element: element)
    }

    /// A future that completes with the next element. For the one consumer task.
    ///
    /// Cancel safety: strict. An element is moved out of the channel only in the
    /// poll that returns it, so dropping a pending receive loses nothing.
    public mutating func receive() -> ChannelReceive<Element, capacity> {
        ChannelReceive(channel: address)
    }

    /// The next element, or `nil` when the channel is empty. Consumer only.
    public mutating func tryReceive() -> Element? {
        Channel.dequeue(address)
    }

    /// Tasks sleeping in ``send(_:)`` until the channel has room (those beyond
    /// the list's capacity of 4 poll instead and are not counted).
    public var waitingSenderCount: Int { senders.count }

    /// Elements in the channel. Exact for the consumer when no producer is
    /// sending; otherwise a snapshot that may already be stale.
    public var count: Int {
        Int(bitPattern: tail.load(ordering: .acquiring) &- head)
    }

    // MARK: - The ring (see the comment at the top of this file)

    /// Offset of cell 0's sequence word: right after the cells, aligned for a word.
    static var sequencesOffset: Int {
        alignedUp(cellsOffset &+ capacity &* MemoryLayout<Element?>.stride, to: MemoryLayout<UInt>.alignment)
    }

    /// Cell `index`'s sequence word, as an atomic.
    @inline(__always)
    static func sequence(_ channel: UnsafeMutablePointer<Channel>, _ index: Int) -> UnsafePointer<Atomic<UInt>> {
        // Safety: PINNED; the offset of the sequence words (layout test); an
        // Atomic<UInt> has the layout of a UInt, and after initialisation the
        // words are only accessed this way.
        UnsafePointer((UnsafeMutableRawPointer(channel) + sequencesOffset).assumingMemoryBound(to: Atomic<UInt>.self) + index)
    }

    /// Address of the element slot of cell `index`.
    static func slot(_ channel: UnsafeMutablePointer<Channel>, _ index: Int) -> UnsafeMutablePointer<Element?> {
        // Safety: PINNED and CELLS-SECOND; InlineArray elements are contiguous.
        // Producers write distinct cells, each owned by one side at a time (its
        // sequence says which).
        element(index, of: Element?.self, in: UnsafeMutableRawPointer(channel), at: cellsOffset)
    }

    /// Producer side: claims a position, stores the element, publishes it, and
    /// wakes the consumer if it waits. Lock-free; any context.
    static func enqueue(_ channel: UnsafeMutablePointer<Channel>, _ element: Element) -> Bool {
        var position = channel.pointee.tail.load(ordering: .relaxed)
        var index: Int
        while true {
            index = Int(bitPattern: position & mask)
            let turn = sequence(channel, index).pointee.load(ordering: .acquiring)
            let lag = Int(bitPattern: turn &- position)
            if lag == 0 {
                let (claimed, current) = channel.pointee.tail.weakCompareExchange(
                    expected: position, desired: position &+ 1, ordering: .relaxed)
                if claimed { break }
                position = current
            } else if lag < 0 {
                return false   // the cell still holds the element of the previous lap: full
            } else {
                position = channel.pointee.tail.load(ordering: .relaxed)
            }
        }
        slot(channel, index).pointee = element
        // Publish (seq_cst: the store side of the handshake), then look for a sleeper.
        sequence(channel, index).pointee.store(position &+ 1, ordering: .sequentiallyConsistent)
        wakeConsumer(channel)
        return true
    }

    /// Producer side of the handshake: wake the consumer if it is ARMED.
    static func wakeConsumer(_ channel: UnsafeMutablePointer<Channel>) {
        guard channel.pointee.wakeState.load(ordering: .sequentiallyConsistent) & armed != 0 else { return }
        let before = channel.pointee.wakeState.wrappingAdd(reader, ordering: .sequentiallyConsistent).oldValue
        if before & armed != 0, let waker = channel.pointee.consumerWaker {
            waker.wake()
        }
        channel.pointee.wakeState.wrappingSubtract(reader, ordering: .sequentiallyConsistent)
    }

    /// Consumer side: moves out the element at `head`, if it has been published,
    /// frees its cell and wakes one task waiting for room.
    static func dequeue(_ channel: UnsafeMutablePointer<Channel>) -> Element? {
        let position = channel.pointee.head
        let index = Int(bitPattern: position & mask)
        let turn = sequence(channel, index).pointee.load(ordering: .sequentiallyConsistent)
        guard turn == position &+ 1 else { return nil }
        let element = slot(channel, index).pointee.take()
        sequence(channel, index).pointee.store(position &+ UInt(bitPattern: capacity), ordering: .releasing)
        channel.pointee.head = position &+ 1
        if !channel.pointee.senders.isEmpty { channel.pointee.senders.wakeOne() }
        return element
    }

    /// Consumer side of the handshake: make `waker` the consumer's waker and set
    /// ARMED. Returns `false` if producers are reading the old waker right now
    /// (the caller then retries on its next poll).
    static func arm(_ channel: UnsafeMutablePointer<Channel>, _ waker: Waker) -> Bool {
        let state = channel.pointee.wakeState.load(ordering: .sequentiallyConsistent)
        if let current = channel.pointee.consumerWaker, current.schedulesSameTask(as: waker) {
            if state & armed == 0 {
                channel.pointee.wakeState.bitwiseOr(armed, ordering: .sequentiallyConsistent)
            }
            return true
        }
        // Rewrite: only with no reader, after disarming.
        guard state & ~armed == 0,
              channel.pointee.wakeState.compareExchange(
                  expected: state, desired: 0, ordering: .sequentiallyConsistent).exchanged
        else { return false }
        channel.pointee.consumerWaker = waker
        channel.pointee.wakeState.bitwiseOr(armed, ordering: .sequentiallyConsistent)
        return true
    }

    /// Clears ARMED (the consumer is no longer waiting).
    static func disarm(_ channel: UnsafeMutablePointer<Channel>) {
        if channel.pointee.wakeState.load(ordering: .relaxed) & armed != 0 {
            channel.pointee.wakeState.bitwiseAnd(~armed, ordering: .sequentiallyConsistent)
        }
    }
}

/// Sends into a ``Channel`` from anywhere: interrupt handlers, other threads,
/// tasks. One pointer; copy it freely.
///
/// ```swift
/// let tx = channel.sender()
/// // interrupt handler:
/// if !tx.trySend(byte) { overruns &+= 1 }
/// ```
///
/// Invariant PINNED: points at the channel.
public struct ChannelSender<Element, let capacity: Int>: @unchecked Sendable {
    let channel: UnsafeMutablePointer<Channel<Element, capacity>>

    /// Sends `element` if there is room and returns `true`; returns `false`, and
    /// sends nothing, when the channel is full. Lock-free, never blocks, never
    /// allocates; safe from interrupt handlers and other threads. Wakes the
    /// consumer if it waits.
    public func trySend(_ element: Element) -> Bool {
        Channel.enqueue(channel, element)
    }
}

/// Sends one element into a ``Channel``, waiting for room. Made by
/// ``Channel/send(_:)``.
///
/// ```swift
/// var put = channel.send(reading)
/// if case .ready = put.poll(&context) { … }
/// ```
///
/// Cancel safety: dropping it while pending drops the element unsent.
public struct ChannelSend<Element, let capacity: Int>: ~Copyable, Future {
    let channel: UnsafeMutablePointer<Channel<Element, capacity>>
    var element: Element?
    var state = WaitRegistration.initial
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(channel: UnsafeMutablePointer<Channel<Element, capacity>>, element: Element) {
        self.channel = channel
        self.element = element
    }

    /// Sends if there is room; otherwise waits until the consumer makes some.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        // Safety: PINNED, the channel outlives this future.
        if case .done = state { preconditionFailure("ChannelSend polled after it completed") }
        if Channel.enqueue(channel, element!) {
            if case .listed(let waker) = state { channel.pointee.senders.remove(waker) }
            element = nil
            state = .done
            return .ready(())
        }
        state = channel.pointee.senders.enlist(context.waker)
        return .pending
    }

    deinit {
        guard case .listed(let waker) = state else { return }
        if channel.pointee.senders.contains(waker) {
            channel.pointee.senders.remove(waker)
        } else {
            // Woken for room it will not use: let the next waiting sender try.
            channel.pointee.senders.wakeOne()
        }
    }
}

/// Receives the next element of a ``Channel``. Made by ``Channel/receive()``;
/// for the channel's one consumer task.
///
/// ```swift
/// var next = channel.receive()
/// if case .ready(let byte) = next.poll(&context) { handle(byte) }
/// ```
///
/// Cancel safety: strict; an element leaves the channel only in the poll that
/// returns it.
public struct ChannelReceive<Element, let capacity: Int>: ~Copyable, Future {
    let channel: UnsafeMutablePointer<Channel<Element, capacity>>
    var armed = false
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(channel: UnsafeMutablePointer<Channel<Element, capacity>>) {
        self.channel = channel
    }

    /// Takes the next element, or arms the consumer's waker and re-checks.
    public mutating func poll(_ context: inout Context) -> Poll<Element> {
        // Safety: PINNED, the channel outlives this future.
        if let element = Channel.dequeue(channel) { return finish(element) }
        guard Channel.arm(channel, context.waker) else {
            context.waker.wake()   // producers are reading the old waker: retry next pass
            return .pending
        }
        armed = true
        // The re-check of the handshake: a push that missed ARMED is seen here.
        if let element = Channel.dequeue(channel) { return finish(element) }
        return .pending
    }

    mutating func finish(_ element: Element) -> Poll<Element> {
        if armed {
            Channel.disarm(channel)
            armed = false
        }
        return .ready(element)
    }

    deinit {
        if armed { Channel.disarm(channel) }
    }
}
