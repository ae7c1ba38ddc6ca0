import Pollen
import PollenHost
import Testing

/// Globals for the loop tests (closures in `steps` lines may not capture on
/// firmware; the tests follow the same rule).
nonisolated(unsafe) var loopTicks: [UInt64] = []
nonisolated(unsafe) var repeatTicks: [UInt64] = []
nonisolated(unsafe) var loopRuns = 0
nonisolated(unsafe) var branchFlag = false
nonisolated(unsafe) var branchLog: [String] = []

@Suite("Control flow in steps: loop, repeating, when", .serialized)
struct LoopTests {
    @Test("loop: each iteration waits its timer; iterations follow each other, forever")
    func loopWithTimer() {
        loopTicks = []
        let rig = SimRig<Loop<SequencedPerform<Deferred<Timer>>>, 1>()
        let clock = rig.platform.clock              // not `rig.now`: run holds the platform
        rig.spawn(loop {
            Timer.after(.milliseconds(10))
            loopTicks.append(clock.now.ticks / 1_000)
        })
        rig.run(until: atMS(55))
        #expect(loopTicks == [10, 20, 30, 40, 50])
        #expect(rig.occupied == 1)                      // still running: a loop never ends
    }

    @Test("loop: an iteration that never waits yields; one iteration per pass, the executor stays fair")
    func loopWithoutWaitYields() {
        loopRuns = 0
        let rig = Rig<Loop<Perform>, 1>()
        rig.spawn(loop { loopRuns += 1 })
        #expect(rig.pass() == 1 && loopRuns == 1)
        #expect(rig.pass() == 1 && loopRuns == 2)
        #expect(rig.pass() == 1 && loopRuns == 3)
    }

    @Test("repeating(n) runs its steps n times, then completes; repeating(0) completes at once")
    func repeatingCounts() {
        repeatTicks = []
        let (outcome, rig) = runAlone(repeating(3) {
            Timer.after(.milliseconds(5))
            repeatTicks.append(1)
        })
        #expect(outcome.value != nil)
        #expect(outcome.at == atMS(15))
        #expect(repeatTicks.count == 3)
        #expect(rig.occupied == 0)
        let (zero, _) = runAlone(repeating(0) { Timer.after(.milliseconds(5)) })
        #expect(zero.at == .zero)
    }

    @Test("when: the condition is read when the branch is reached, not when the sequence is built")
    func whenIsLazy() {
        branchFlag = false
        branchLog = []
        let (outcome, _) = runAlone(steps {
            Timer.after(.milliseconds(5))
            branchFlag = true                         // set by an earlier step
            when(branchFlag) {
                branchLog.append("then")
                Timer.after(.milliseconds(1))
            } otherwise: {
                branchLog.append("otherwise")
            }
        })
        #expect(branchLog == ["then"])
        guard case .first = outcome.value else { Issue.record("expected the first branch"); return }
        #expect(outcome.at == atMS(6))
    }

    @Test("an empty otherwise block is a step that does nothing")
    func emptyOtherwise() {
        branchLog = []
        let (outcome, _) = runAlone(when(false) { branchLog.append("then") } otherwise: {})
        guard case .second = outcome.value else { Issue.record("expected the second branch"); return }
        #expect(branchLog.isEmpty)
    }

    @Test("sizes: a loop is its iteration plus a tag and one function value; a branch its larger arm plus a tag, or three function values before it is reached")
    func sizes() {
        let fn = MemoryLayout<() -> Void>.size
        typealias Body = Sequenced<Deferred<Timer>, Timer>
        #expect(MemoryLayout<Loop<Body>>.size <= MemoryLayout<Body?>.size + fn + 8)
        #expect(MemoryLayout<Repeat<Body>>.size <= MemoryLayout<Body?>.size + fn + MemoryLayout<Int>.size + 8)
        let branch = MemoryLayout<Branch<Body, Timer>>.size
        #expect(branch <= max(MemoryLayout<Body>.size, 3 * fn) + 8)
    }
}
