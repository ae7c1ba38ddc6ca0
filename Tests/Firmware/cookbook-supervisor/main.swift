// cookbook-supervisor — a supervisor that starts a joinable worker and waits
// for whichever comes first: the worker's end, a command, or the end of its
// 450 ms time budget. A command or the budget cancels the worker (its handle
// is set to cancel when dropped, and the select drops the losers), and the
// supervisor starts the next run. Three runs: the 1st worker finishes (3 steps
// of 100 ms); the 2nd (10 steps) runs over its budget; the 3rd is stopped by a
// `stop` command that a test driver sends 1 s after the start.
//
// The same task in embassy (Rust), for comparison. Embassy tasks are not
// joinable; the idiom is to run the worker as a future inside the select,
// where dropping it cancels it:
//
// embassy:
//   enum Command { Stop }
//   static COMMANDS: Channel<CriticalSectionRawMutex, Command, 2> = Channel::new();
//
//   async fn worker(run: u32, steps: u32) -> u32 {
//       let mut ticker = Ticker::every(Duration::from_millis(100));
//       for step in 1..=steps {
//           ticker.next().await;
//           info!("worker {}: step {}", run, step);
//       }
//       steps
//   }
//
//   #[embassy_executor::task]
//   async fn supervisor() {
//       for run in 1..=3 {
//           let steps = if run == 1 { 3 } else { 10 };
//           match select3(worker(run, steps), COMMANDS.receive(), Timer::after_millis(450)).await {
//               Either3::First(steps) => info!("worker {}: finished after {} steps", run, steps),
//               Either3::Second(Command::Stop) => info!("worker {}: stopped by command, cancelled", run),
//               Either3::Third(_) => info!("worker {}: over its time budget, cancelled", run),
//           }
//       }
//   }
// end embassy

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)

// MARK: - Task

enum Command { case stop }
nonisolated(unsafe) var commands = Channel<Command, 2>()

/// Takes `steps` steps of 100 ms; its output is the number of steps taken.
struct Worker: Future {
    let run: UInt32, steps: UInt64
    var ticker = Ticker(period: .milliseconds(100))

    mutating func poll(_ context: inout Context) -> Poll<UInt64> {
        while ticker.count < steps, ticker.poll(&context).isReady {
            Board.log("worker \(run): step \(ticker.count)")
        }
        return ticker.count >= steps ? .ready(ticker.count) : .pending
    }
}

/// Runs the worker three times, each until it ends, a command comes, or its
/// 450 ms budget is spent. The worker's handle cancels it when dropped, and
/// `select` drops the losers.
struct Supervisor: ~Copyable, Future {
    let workers: PoolRef<Worker, 1>
    var run: UInt32 = 1
    var watch = Await<Select3<JoinHandle<Worker, 1>, ChannelReceive<Command, 2>, Timer>>()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while run <= 3, let ended = watch.poll(&context, select(
            Board.mustSpawnJoinable(workers, Worker(run: run, steps: run == 1 ? 3 : 10)).cancelOnDrop(),
            commands.receive(), Timer.after(.milliseconds(450)))) {
            switch ended {
            case .first: Board.log("worker \(run): finished")
            case .second(.stop): Board.log("worker \(run): stopped by command, cancelled")
            case .third: Board.log("worker \(run): over its time budget, cancelled")
            }
            run += 1
        }
        return run > 3 ? .ready(()) : .pending
    }
}

// MARK: - Test driver

/// Sends `stop` 1 s after the start (during the 3rd run), then waits for the supervisor.
struct Driver: ~Copyable, Future {
    var supervisor: JoinHandle<Supervisor, 1>
    var sent = false
    var wait = Await<Timer>()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if !sent {
            guard wait.poll(&context, .after(.milliseconds(1_000))) != nil else { return .pending }
            Board.writeLine("command: stop")
            sent = commands.trySend(.stop)
        }
        guard case .ready(.completed) = supervisor.poll(&context) else { return .pending }
        check("no worker left running", workerPool.occupiedCount == 0)
        Board.exit(0)
    }
}

public let pollenTaskSize_Supervisor = MemoryLayout<Supervisor>.size
public let pollenTaskSize_Worker = MemoryLayout<Worker>.size

// MARK: - Main

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var workerPool = TaskPool<Worker, 1>(name: "worker")
nonisolated(unsafe) var supervisors = TaskPool<Supervisor, 1>(name: "supervisor")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")

@main
struct CookbookSupervisor {
    static func main() {
        var platform = Board.start()
        do throws(CapacityError) {
            let supervisor = try executor.attach(&supervisors)
            let worker = try executor.attach(&workerPool)
            let driver = try executor.attach(&drivers)
            do throws(SpawnError) {
                let handle = try supervisor.spawnJoinable(Supervisor(workers: worker))
                try driver.spawn(Driver(supervisor: handle))
            } catch { Board.fail(error) }
            executor.run(on: &platform, idle: .sleep, tasks: tasks(supervisor, worker, driver))
        } catch { Board.fail(error) }
    }
}
