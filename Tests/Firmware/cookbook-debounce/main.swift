// cookbook-debounce — a button debouncer woken by an interrupt: one report per
// bouncy edge train, read 20 ms after the edge that started it.
//
// The "GPIO edge interrupt" is the board's software interrupt: its handler
// publishes the pin's level in an InterruptSignal (latest level wins, so the
// edges of a bounce coalesce). A test driver plays edge trains on a simulated
// pin (`buttonLow`), one character per millisecond: `L` pin low (pressed),
// `H` pin high, `.` no edge.
//
// The same task in embassy (Rust), for comparison:
//
// embassy:
//   #[embassy_executor::task]
//   async fn debounce(mut button: ExtiInput<'static>) {
//       let mut pressed = false;
//       loop {
//           button.wait_for_any_edge().await;
//           Timer::after_millis(20).await;
//           if button.is_low() != pressed {
//               pressed = !pressed;
//               info!("{}", if pressed { "button down" } else { "button up" });
//           }
//       }
//   }
// end embassy

import Pollen
import PollenBoard

// MARK: - Task

nonisolated(unsafe) var buttonEdges = InterruptSignal<Bool>()   // the level at the latest edge
nonisolated(unsafe) var buttonLow = InterruptCell(false)        // the pin (a GPIO input register)

/// Reports each settled change of the button's level.
struct Debouncer: ~Copyable, Future {
    var pressed = false
    var edge = Await<InterruptSignalWait<Bool>>()
    var settle = Await<Timer>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            if !settle.isRunning {                   // not settling yet: wait for an edge
                guard edge.poll(&context, buttonEdges.wait()) != nil else { return .pending }
            }
            guard settle.poll(&context, .after(.milliseconds(20))) != nil else { return .pending }
            guard buttonLow.load() != pressed else { continue }
            pressed.toggle()
            Board.writeLine(pressed ? "button down" : "button up")
        }
    }
}

// MARK: - Test driver

/// The edge trains, one character per millisecond, and what each is.
func train(_ number: Int) -> ByteBuffer<32> {
    var edges = ByteBuffer<32>()
    switch number {
    case 0: Board.writeLine("train: bouncy press");          edges.append("L.H.L..H.L")
    case 1: Board.writeLine("train: bouncy release");        edges.append("H.L.H...L.H")
    case 2: Board.writeLine("train: 3 ms glitch");           edges.append("L..H")
    case 3: Board.writeLine("train: clean press");           edges.append("L")
    case 4: Board.writeLine("train: release, late bounce");  edges.append("H..............LH")
    default: break
    }
    return edges
}

/// Plays each train, then waits 100 ms for the debouncer's report.
struct Driver: Future {
    var number = 0
    var edges = ByteBuffer<32>()
    var position = 0
    var tick = Await<Timer>()
    var pause = Await<Timer>()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            if position == edges.count {
                if number > 0 {
                    guard pause.poll(&context, .after(.milliseconds(100))) != nil else { return .pending }
                }
                edges = train(number)
                if edges.isEmpty { Board.writeLine("done"); Board.exit(0) }
                number += 1
                position = 0
            }
            if edges[position] != UInt8(ascii: ".") {
                buttonLow.store(edges[position] == UInt8(ascii: "L"))
                Board.pendSoftwareInterrupt()                // the "GPIO edge interrupt"
            }
            guard tick.poll(&context, .after(.milliseconds(1))) != nil else { return .pending }
            position += 1
        }
    }
}

public let pollenTaskSize_Debouncer = MemoryLayout<Debouncer>.size

// MARK: - Main

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var debouncers = TaskPool<Debouncer, 1>(name: "debounce")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")

@main
struct CookbookDebounce {
    static func main() {
        var platform = Board.start()
        Board.setSoftwareInterruptHook { buttonEdges.signal(buttonLow.load()) }
        do throws(CapacityError) {
            let debounce = try executor.attach(&debouncers)
            let driver = try executor.attach(&drivers)
            do throws(SpawnError) {
                try debounce.spawn(Debouncer())
                try driver.spawn(Driver())
            } catch { Board.fail(error) }
            executor.run(on: &platform, idle: .sleep, tasks: tasks(debounce, driver))
        } catch { Board.fail(error) }
    }
}
