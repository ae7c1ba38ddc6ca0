/// Which of two futures finished first, with its output: the output of ``Select2``.
///
/// ```swift
/// switch output {
/// case .first(let byte): handle(byte)
/// case .second: timedOut()
/// }
/// ```
public enum Either2<A, B> {
    /// The first future won.
    case first(A)
    /// The second future won.
    case second(B)
}

extension Either2: Equatable where A: Equatable, B: Equatable {}
extension Either2: Sendable where A: Sendable, B: Sendable {}

/// Which of three futures finished first, with its output: the output of ``Select3``.
///
/// ```swift
/// if case .third = output { cancelled() }
/// ```
public enum Either3<A, B, C> {
    /// The first future won.
    case first(A)
    /// The second future won.
    case second(B)
    /// The third future won.
    case third(C)
}

extension Either3: Equatable where A: Equatable, B: Equatable, C: Equatable {}
extension Either3: Sendable where A: Sendable, B: Sendable, C: Sendable {}
