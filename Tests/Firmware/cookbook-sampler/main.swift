// cookbook-sampler — a periodic sampler: every 100 ms (a drift-free Ticker) it
// reads a sensor; every 10 samples it sends their average on a Channel. A
// consumer task prints the averages. The sensor is a deterministic fake
// (sample k is 100 + 7k mod 50), so the averages are known: 123, 128, 123.
// A test driver ends the run after three averages (3 s).
//
// The same tasks in embassy (Rust), for comparison:
//
// embassy:
//   static AVERAGES: Channel<CriticalSectionRawMutex, u32, 4> = Channel::new();
//
//   #[embassy_executor::task]
//   async fn sampler(mut sensor: Sensor) {
//       let mut ticker = Ticker::every(Duration::from_millis(100));
//       loop {
//           let mut sum = 0;
//           for _ in 0..10 {
//               ticker.next().await;
//               sum += sensor.read();
//           }
//           AVERAGES.send(sum / 10).await;
//       }
//   }
//
//   #[embassy_executor::task]
//   async fn printer() {
//       loop {
//           let average = AVERAGES.receive().await;
//           info!("average: {}", average);
//       }
//   }
// end embassy

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)

// MARK: - Task

nonisolated(unsafe) var averages = Channel<UInt32, 4>()

/// Reads the sensor every 100 ms and sends the average of every 10 samples.
struct Sampler: ~Copyable, Future {
    var ticker = Ticker(period: .milliseconds(100))
    var sum: UInt32 = 0
    var count = 0
    var send = Await<ChannelSend<UInt32, 4>>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            while count < 10 {
                guard case .ready = ticker.poll(&context) else { return .pending }
                sum += readSensor()
                count += 1
            }
            guard send.poll(&context, averages.send(sum / 10)) != nil else { return .pending }
            sum = 0
            count = 0
        }
    }
}

/// Prints each average it receives.
struct Printer: ~Copyable, Future {
    var next = Await<ChannelReceive<UInt32, 4>>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            guard let average = next.poll(&context, averages.receive()) else { return .pending }
            Board.write("average: ")
            Board.writeDecimal(average)
            Board.writeLine("")
        }
    }
}

// MARK: - Test driver

nonisolated(unsafe) var samplesRead = TaskCell<UInt32>(0)

/// The fake sensor: sample k (from 1) is 100 + 7k mod 50.
func readSensor() -> UInt32 {
    samplesRead.withValue { count in
        count += 1
        return 100 + count * 7 % 50
    }
}

/// Ends the run 50 ms after the third average was due.
struct Driver: Future {
    var wait = Timer.after(.milliseconds(3_050))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready = wait.poll(&context) else { return .pending }
        check("30 samples in 3 s", samplesRead.value == 30, samplesRead.value)
        Board.exit(0)
    }
}

public let pollenTaskSize_Sampler = MemoryLayout<Sampler>.size
public let pollenTaskSize_Printer = MemoryLayout<Printer>.size

// MARK: - Main

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var samplers = TaskPool<Sampler, 1>(name: "sampler")
nonisolated(unsafe) var printers = TaskPool<Printer, 1>(name: "printer")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")

@main
struct CookbookSampler {
    static func main() {
        var platform = Board.start()
        do throws(CapacityError) {
            let sampler = try executor.attach(&samplers)
            let printer = try executor.attach(&printers)
            let driver = try executor.attach(&drivers)
            do throws(SpawnError) {
                try sampler.spawn(Sampler())
                try printer.spawn(Printer())
                try driver.spawn(Driver())
            } catch { Board.fail(error) }
            executor.run(on: &platform, idle: .sleep, tasks: tasks(sampler, printer, driver))
        } catch { Board.fail(error) }
    }
}
