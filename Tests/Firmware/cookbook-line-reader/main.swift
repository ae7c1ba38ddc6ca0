// cookbook-line-reader — a UART line reader with an idle timeout: it prints
// each line ended by CR, LF or CR LF; a line longer than its 16-byte buffer
// keeps its first 16 bytes and says how many it dropped; a started line that
// gets no byte for 500 ms is printed as it is, marked `(idle timeout)`.
//
// The UART receive interrupt (the board's receive hook) moves the received
// bytes into a Channel; the task receives them with a Timeout. A byte that
// finds the channel full is counted (`uartRefused`, like a UART overrun):
// size the channel for the longest burst. Under QEMU the whole input arrives
// in one burst (QEMU_INPUT in firmware.env, 80 bytes), so it has 128. A test driver ends the run once the input has
// been read and the idle timeout has passed.
//
// The same task in embassy (Rust), for comparison (heapless::Vec for the line):
//
// embassy:
//   #[embassy_executor::task]
//   async fn line_reader(mut rx: BufferedUartRx<'static>) {
//       let mut line: Vec<u8, 16> = Vec::new();
//       let mut truncated = 0;
//       loop {
//           let idle = if line.is_empty() { Duration::from_secs(86_400) } else { Duration::from_millis(500) };
//           let mut byte = [0u8; 1];
//           let note = match with_timeout(idle, rx.read_exact(&mut byte)).await {
//               Err(_) => " (idle timeout)",
//               Ok(_) if byte[0] == b'\r' || byte[0] == b'\n' => "",
//               Ok(_) => {
//                   if line.push(byte[0]).is_err() { truncated += 1; }
//                   continue;
//               }
//           };
//           if !line.is_empty() {
//               let text = core::str::from_utf8(&line).unwrap_or("?");
//               if truncated > 0 {
//                   info!("line: {} (truncated: {} bytes){}", text, truncated, note);
//               } else {
//                   info!("line: {}{}", text, note);
//               }
//           }
//           line.clear();
//           truncated = 0;
//       }
//   }
// end embassy

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)

// MARK: - Task

nonisolated(unsafe) var uartBytes = Channel<UInt8, 128>()
let uartSender = uartBytes.sender()                            // for the receive interrupt
nonisolated(unsafe) var uartRefused = InterruptCell<UInt32>(0)

/// The UART receive interrupt's hook: the received bytes into the channel.
func onUARTReceive() {
    while let byte = Board.readByte() {
        if !uartSender.trySend(byte) { uartRefused.wrappingAdd(1) }
    }
}

/// Prints each line; see the file comment.
struct LineReader: ~Copyable, Future {
    var line = LineBuffer<16>()
    var next = Await<Timeout<ChannelReceive<UInt8, 128>>>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            let idle: Duration = line.hasPartialLine ? .milliseconds(500) : .forever
            guard let received = next.poll(&context, Timeout(uartBytes.receive(), after: idle)) else { return .pending }
            switch received {
            case .timedOut:
                report(line, " (idle timeout)")
            case .completed(let byte):
                guard line.push(byte) == .line else { continue }
                report(line, "")
            }
            line.clear()
        }
    }
}

func report(_ line: LineBuffer<16>, _ note: StaticString) {
    guard !line.bytes.isEmpty else { return }     // an empty line
    if line.truncated > 0 {
        Board.log("line: \(line.bytes) (truncated: \(line.truncated) bytes)\(note)")
    } else {
        Board.log("line: \(line.bytes)\(note)")
    }
}

// MARK: - Test driver

/// Ends the run once the input has been read and the idle timeout has passed.
struct Driver: Future {
    var wait = Timer.after(.milliseconds(1_500))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready = wait.poll(&context) else { return .pending }
        check("no byte lost", uartRefused.load() == 0 && Board.droppedReceiveBytes == 0)
        Board.exit(0)
    }
}

public let pollenTaskSize_LineReader = MemoryLayout<LineReader>.size

// MARK: - Main

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var readers = TaskPool<LineReader, 1>(name: "line reader")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")

@main
struct CookbookLineReader {
    static func main() {
        Board.setReceiveHook { onUARTReceive() }
        var platform = Board.start()                     // turns the UART receive interrupt on
        do throws(CapacityError) {
            let reader = try executor.attach(&readers)
            let driver = try executor.attach(&drivers)
            do throws(SpawnError) {
                try reader.spawn(LineReader())
                try driver.spawn(Driver())
            } catch { Board.fail(error) }
            executor.run(on: &platform, idle: .sleep, tasks: tasks(reader, driver))
        } catch { Board.fail(error) }
    }
}
