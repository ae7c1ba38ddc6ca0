import Pollen
import PollenHost
import Testing

/// Counts how many step expressions have been evaluated (to prove laziness).
final class Made: @unchecked Sendable {
    var count = 0
    func timer(_ ms: UInt64, _ trace: Trace) -> Timer {
        count += 1
        trace.log("make timer \(ms)")
        return Timer.after(.milliseconds(ms))
    }
}

@Suite("steps { }: sequential result builder")
struct StepsTests {
    @Test("steps run in order; each timer starts when its step is reached (virtual time checked at every step)")
    func orderAndTime() {
        let trace = Trace()
        let task = steps {
            Stamp("start", trace)
            Timer.after(.milliseconds(10))
            Stamp("after 10", trace)
            Timer.after(.milliseconds(20))
            Stamp("after 20 more", trace)
            Timer.after(.milliseconds(5)).map { "last" }
        }
        let (outcome, rig) = runAlone(task)
        #expect(trace.entries == ["start@0", "after 10@10", "after 20 more@30"])
        #expect(outcome.value == "last")          // the output of the whole is the last step's
        #expect(outcome.at == atMS(35))
        #expect(rig.platform.sleeps == 3)
        #expect(rig.armedTimers == 0)
    }

    @Test("steps are built lazily: each expression is evaluated only when its step is reached")
    func laziness() {
        let trace = Trace()
        let made = Made()
        let task = steps {
            made.timer(10, trace)
            Stamp("a", trace)
            made.timer(20, trace)
            Stamp("b", trace)
        }
        #expect(made.count == 0)                  // building the sequence evaluated nothing
        #expect(trace.entries.isEmpty)
        let (outcome, _) = runAlone(task)
        #expect(outcome.value == 30)
        #expect(made.count == 2)
        #expect(trace.entries == ["make timer 10", "a@10", "make timer 20", "b@30"])
    }

    @Test("Void statements run when reached, between the awaited steps")
    func voidStatements() {
        let trace = Trace()
        let task = steps {
            trace.log("first statement")
            Timer.after(.milliseconds(3))
            trace.log("after the timer")
            trace.log("right after")
            Timer.after(.milliseconds(4))
            trace.log("last statement")
        }
        #expect(trace.entries.isEmpty)
        let (outcome, _) = runAlone(task)
        #expect(outcome.at == atMS(7))
        #expect(trace.entries == ["first statement", "after the timer", "right after", "last statement"])
    }

    @Test("a finished step is dropped before the next step is built")
    func stepDroppedBeforeNext() {
        let trace = Trace()
        let task = steps {
            Tracked("one", trace, readyAt: 2)
            Tracked("two", trace, readyAt: 1)
            trace.log("done")
        }
        _ = runAlone(task)
        #expect(trace.entries == ["poll one", "poll one", "drop one", "poll two", "drop two", "done"])
    }

    @Test("a single step and a step sequence inside join compose")
    func composition() {
        let trace = Trace()
        let (outcome, _) = runAlone(join(
            steps { Timer.after(.milliseconds(10)); Stamp("left", trace) },
            steps { Timer.after(.milliseconds(4)); Stamp("right", trace); Timer.after(.milliseconds(4)); Stamp("right again", trace) }))
        #expect(outcome.value! == (10, 8))
        #expect(trace.entries == ["right@4", "right again@8", "left@10"])
        let (single, _) = runAlone(steps { Timer.after(.milliseconds(2)).map { 9 } })
        #expect(single.value == 9)
        #expect(single.at == atMS(2))
    }

    @Test("dropping a sequence drops its live step; later steps are never built")
    func cancelDropsLiveStep() {
        let trace = Trace()
        let made = Made()
        let rig = SimRig<Captured<Sequenced<Deferred<Tracked>, Timer>>, 1>()
        var handle = rig.spawnJoinable(Captured(steps {
            Tracked("live", trace, readyAt: nil)
            made.timer(1, trace)
        }, Outcome<Void>()))
        rig.runReady()
        #expect(trace.entries == ["poll live"])
        let cancelled = handle.cancel()
        #expect(cancelled)
        #expect(trace.entries == ["poll live", "drop live"])
        #expect(made.count == 0)
    }
}
