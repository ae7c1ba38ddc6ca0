// cookbook-request-retry — request/response with a 200 ms timeout and 3
// retries, then a failure report. The client sends requests 1, 2 and 3 on one
// Channel and waits for the reply carrying the same id on another; a reply to
// an earlier request (late, after that request was answered) is ignored, and
// the wait goes on to the same deadline.
//
// The responder is a test stand-in that answers the requests it receives, in
// order: the 1st after 50 ms, the 2nd never, the 3rd 300 ms late, the 4th
// after 150 ms (by then request 2 is answered: a stale reply), none after.
// So request 1 succeeds on attempt 1, request 2 on attempt 3 (the late reply
// to attempt 2 arrives during attempt 3), and request 3 fails after 3 retries.
//
// The same task in embassy (Rust), for comparison:
//
// embassy:
//   static REQUESTS: Channel<CriticalSectionRawMutex, u32, 4> = Channel::new();
//   static REPLIES: Channel<CriticalSectionRawMutex, u32, 4> = Channel::new();
//
//   async fn request(id: u32) -> Option<u32> {
//       for attempt in 1..=4 {
//           info!("request {}: attempt {}", id, attempt);
//           let _ = REQUESTS.try_send(id);
//           let deadline = Instant::now() + Duration::from_millis(200);
//           loop {
//               match with_deadline(deadline, REPLIES.receive()).await {
//                   Ok(reply) if reply == id => return Some(attempt),
//                   Ok(_) => continue, // a stale reply
//                   Err(_) => break,
//               }
//           }
//       }
//       None
//   }
//
//   #[embassy_executor::task]
//   async fn client() {
//       for id in 1..=3 {
//           match request(id).await {
//               Some(attempt) => info!("request {}: reply on attempt {}", id, attempt),
//               None => info!("request {}: no reply after 3 retries", id),
//           }
//       }
//   }
// end embassy

import Pollen
import PollenBoard

// MARK: - Task

nonisolated(unsafe) var requests = Channel<UInt32, 4>()
nonisolated(unsafe) var replies = Channel<UInt32, 4>()

/// Sends requests 1...3; each is sent again after 200 ms without its reply, at most 3 times.
struct Client: ~Copyable, Future {
    var request: UInt32 = 1
    var attempt: UInt32 = 0
    var deadline = Instant.zero
    var reply = Await<Timeout<ChannelReceive<UInt32, 4>>>()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while request <= 3 {
            if context.now >= deadline {                       // no reply in time: send (again)
                guard attempt < 4 else { Board.log("request \(request): failed, no reply after attempt \(attempt)"); next(); continue }
                attempt += 1
                Board.log("request \(request): attempt \(attempt)")
                _ = requests.trySend(request)                  // a request lost here is retried too
                deadline = context.now + .milliseconds(200)
            }
            guard let result = reply.poll(&context, Timeout(replies.receive(), at: deadline)) else { return .pending }
            guard case .completed(let id) = result, id == request else { continue }   // timed out, or stale
            Board.log("request \(request): reply on attempt \(attempt)")
            next()
        }
        return .ready(())
    }

    mutating func next() {
        request += 1
        attempt = 0
        deadline = .zero
    }
}

// MARK: - Test driver

/// How long the responder takes to answer its `n`th request (from 1); `nil`: never.
func replyDelay(_ n: Int) -> Duration? {
    switch n {
    case 1: return .milliseconds(50)
    case 3: return .milliseconds(300)
    case 4: return .milliseconds(150)
    default: return nil
    }
}

/// Answers the requests it receives, one at a time, after `replyDelay`.
struct Responder: ~Copyable, Future {
    var received = 0
    var id: UInt32 = 0
    var next = Await<ChannelReceive<UInt32, 4>>()
    var delay = Await<Timer>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            if !delay.isRunning {
                guard let request = next.poll(&context, requests.receive()) else { return .pending }
                id = request
                received += 1
            }
            guard let wait = replyDelay(received) else { continue }
            guard delay.poll(&context, .after(wait)) != nil else { return .pending }
            Board.log("request \(id): responder replies to its request \(received)")
            if !replies.trySend(id) { Board.writeLine("reply refused... FAIL"); Board.exit(1) }
        }
    }
}

/// Waits for the client to finish, then ends the run.
struct Driver: ~Copyable, Future {
    var client: JoinHandle<Client, 1>

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready(.completed) = client.poll(&context) else { return .pending }
        Board.writeLine("client done")
        Board.exit(0)
    }
}

public let pollenTaskSize_Client = MemoryLayout<Client>.size

// MARK: - Main

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var clients = TaskPool<Client, 1>(name: "client")
nonisolated(unsafe) var responders = TaskPool<Responder, 1>(name: "responder")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")

@main
struct CookbookRequestRetry {
    static func main() {
        var platform = Board.start()
        do throws(CapacityError) {
            let client = try executor.attach(&clients)
            let responder = try executor.attach(&responders)
            let driver = try executor.attach(&drivers)
            do throws(SpawnError) {
                try responder.spawn(Responder())
                try driver.spawn(Driver(client: try client.spawnJoinable(Client())))
            } catch { Board.fail(error) }
            executor.run(on: &platform, idle: .sleep, tasks: tasks(client, responder, driver))
        } catch { Board.fail(error) }
    }
}
