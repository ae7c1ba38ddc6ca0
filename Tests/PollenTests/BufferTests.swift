import MallocCounter
import Pollen
import PollenHost
import Testing

// ByteBuffer, LineBuffer and FixedString (Sources/Pollen/ByteBuffer.swift,
// LineBuffer.swift, FixedString.swift).

/// Feeds `text`'s bytes to `line` and returns the lines completed, as text.
func lines<let n: Int>(_ text: StaticString, into line: inout LineBuffer<n>) -> [String] {
    var done: [String] = []
    text.withUTF8Buffer { bytes in
        for byte in bytes where line.push(byte) == .line { done.append(line.description) }
    }
    return done
}

@Suite("ByteBuffer: fixed capacity, refused bytes counted")
struct ByteBufferTests {
    @Test("append until full; refused bytes are counted, never stored; removeAll resets both")
    func appendAndDrop() {
        var buffer = ByteBuffer<4>()
        #expect(buffer.isEmpty && !buffer.isFull)
        #expect(that { buffer.append(0x41) })
        #expect(that { buffer.append("BCD") })
        #expect(buffer.isFull && buffer.count == 4 && buffer.dropped == 0)
        #expect(that { !buffer.append(0x45) })
        #expect(that { !buffer.append("FG") })
        #expect(buffer.count == 4 && buffer.dropped == 3)
        #expect(buffer == "ABCD")
        buffer.removeAll()
        #expect(buffer.isEmpty && buffer.dropped == 0)
        #expect(buffer == "")
    }

    @Test("subscript, indices and forEach read the bytes in order")
    func readBack() {
        var buffer = ByteBuffer<8>()
        buffer.append("abc")
        buffer[1] = 0x42
        var seen: [UInt8] = []
        buffer.forEach { seen.append($0) }
        #expect(seen == [0x61, 0x42, 0x63])
        #expect(buffer.indices == 0..<3)
        #expect(buffer.indices.map { buffer[$0] } == seen)
    }

    @Test("equality compares the bytes held (not the dropped count); a StaticString compares as UTF-8")
    func equality() {
        var a = ByteBuffer<4>(), b = ByteBuffer<4>()
        a.append("OK")
        b.append("OKAY!")                                  // one byte dropped
        #expect(a != b)
        b.removeAll()
        b.append("OK")
        #expect(a == b)
        #expect(a.elementsEqual("OK") && !a.elementsEqual("OK!") && !a.elementsEqual("NO"))
        var other = ByteBuffer<16>()
        other.append(contentsOf: a)
        other.append(contentsOf: a)
        #expect(other == "OKOK")
        var small = ByteBuffer<3>()
        #expect(that { !small.append(contentsOf: other) })
        #expect(small == "OKO" && small.dropped == 1)
    }

    @Test("a zero-capacity buffer refuses everything")
    func zeroCapacity() {
        var none = ByteBuffer<0>()
        #expect(none.isFull && none.isEmpty)
        #expect(that { !none.append(1) })
        #expect(none.dropped == 1)
    }

    @Test("description escapes what a terminal would act on (host)")
    func description() {
        var buffer = ByteBuffer<8>()
        buffer.append("a\\")
        buffer.append(0x1B)
        buffer.append(0xFF)
        #expect(buffer.description == "a\\\\\\x1b\\xff")
    }

    @Test("sizes: the bytes inline, then two Ints")
    func layout() {
        #expect(MemoryLayout<ByteBuffer<64>>.size == 64 + 2 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<LineBuffer<64>>.size == 64 + 2 * MemoryLayout<Int>.size + 2)
        #expect(MemoryLayout<FixedString<32>>.size == MemoryLayout<ByteBuffer<32>>.size)
    }
}

@Suite("LineBuffer: bytes up to CR or LF, truncation counted")
struct LineBufferTests {
    @Test("CR, LF and CR LF each end one line; the terminator is not stored")
    func terminators() {
        var line = LineBuffer<16>()
        #expect(lines("one\rtwo\nthree\r\nfour", into: &line) == ["one", "two", "three"])
        #expect(line.bytes == "four")                      // still accumulating
        #expect(lines("\n", into: &line) == ["four"])
    }

    @Test("empty lines are reported (LF CR is two line ends, CR LF one)")
    func emptyLines() {
        var crcr = LineBuffer<16>()
        #expect(lines("\r\r", into: &crcr) == ["", ""])
        var lfcr = LineBuffer<16>()
        #expect(lines("\n\r", into: &lfcr) == ["", ""])
        var crlf = LineBuffer<16>()
        #expect(lines("a\r\n\r\n", into: &crlf) == ["a", ""])
        #expect(lines("\n", into: &crlf) == [""])         // an LF after an LF is a line end
    }

    @Test("a long line keeps its first bytes and counts the rest; the next line starts clean")
    func truncation() {
        var line = LineBuffer<4>()
        #expect(lines("abcdefg\r", into: &line) == ["abcd (+3 truncated)"])
        #expect(line.truncated == 3)
        #expect(line.bytes == "abcd")
        #expect(lines("xy\r", into: &line) == ["xy"])
        #expect(line.truncated == 0)
    }

    @Test("push returns .partial until the end of the line; clear drops a partial line")
    func statusAndClear() {
        var line = LineBuffer<8>()
        #expect(line.push(0x61) == .partial)
        #expect(line.push(0x0D) == .line)
        #expect(line.push(0x0A) == .partial)               // the LF of CR LF
        #expect(line.bytes.isEmpty)                        // a new line began
        #expect(line.push(0x62) == .partial)
        line.clear()
        #expect(line.bytes.isEmpty && line.truncated == 0)
        #expect(lines("c\n", into: &line) == ["c"])
    }
}

@Suite("FixedString: integers formatted into bytes, no String, no allocation")
struct FixedStringTests {
    @Test("decimal: zero, signs, the extremes of every width")
    func decimal() {
        var text = FixedString<128>()
        text.write(decimal: 0)
        text.write(" ")
        text.write(decimal: -7)
        text.write(" ")
        text.write(decimal: Int64.min)
        text.write(" ")
        text.write(decimal: UInt64.max)
        text.write(" ")
        text.write(decimal: Int8.min)
        text.write(" ")
        text.write(decimal: UInt32(4_000_000_000))
        #expect(text == "0 -7 -9223372036854775808 18446744073709551615 -128 4000000000")
    }

    @Test("width and padding: spaces before the sign, zeros after it")
    func padding() {
        var text = FixedString<64>()
        text.write(decimal: 7, width: 3)
        text.write("|")
        text.write(decimal: 7, width: 3, padding: .zeros)
        text.write("|")
        text.write(decimal: -7, width: 4)
        text.write("|")
        text.write(decimal: -7, width: 4, padding: .zeros)
        text.write("|")
        text.write(decimal: 12345, width: 3)              // wider than the width: whole
        #expect(text == "  7|007|  -7|-007|12345")
    }

    @Test("hex: lowercase, minimum digits, two's complement at the type's width")
    func hex() {
        var text = FixedString<96>()
        text.write(hex: UInt32(0xBEEF), digits: 8)
        text.write(" ")
        text.write(hex: UInt8(0x0A))
        text.write(" ")
        text.write(hex: Int8(-1))
        text.write(" ")
        text.write(hex: Int16(-2))
        text.write(" ")
        text.write(hex: UInt64.max)
        text.write(" ")
        text.write(hex: 0)
        text.write(" ")
        text.write(hex: Int64.min)
        #expect(text == "0000beef a ff fffe ffffffffffffffff 0 8000000000000000")
    }

    @Test("a number is written whole or not at all; text keeps what fits; dropped counts the rest")
    func truncation() {
        var text = FixedString<6>("id=")
        text.write(decimal: 1234)                          // 4 bytes, 3 free: refused whole
        #expect(text == "id=" && text.dropped == 4)
        text.write(decimal: 12)
        #expect(text == "id=12" && text.dropped == 4)
        text.write("xyz")                                  // one byte fits
        #expect(text == "id=12x" && text.dropped == 6)
        text.removeAll()
        #expect(text.count == 0 && text.dropped == 0)
    }

    @Test("it is a TextOutput: Pollen's reports render into it as into a String")
    func textOutput() {
        let error = SpawnError.poolFull(pool: "radio", capacity: 4)
        var text = FixedString<160>()
        error.describe(to: &text)
        var string = StringOutput()
        error.describe(to: &string)
        #expect(text.description == string.text)
        var number = FixedString<8>()
        number.write(-42)                                  // TextOutput's write(Int)
        number.write(byte: 0x21)
        #expect(number == "-42!")
    }

    @Test("formatting allocates nothing", .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func noAllocation() {
        var text = FixedString<64>()
        var line = LineBuffer<16>()
        // Warm-up: the first use of each generic call instantiates its metadata (a
        // one-time allocation in debug builds), so run the loop's calls once first.
        text.write(decimal: UInt64.max)
        text.write("v=")
        text.write(decimal: 0, width: 6, padding: .zeros)
        text.write(hex: UInt32(0), digits: 8)
        _ = line.push(0)
        text.removeAll()
        line.clear()
        pollen_malloc_count_begin()
        for value in 0..<100 {
            text.write("v=")
            text.write(decimal: value, width: 6, padding: .zeros)
            text.write(hex: UInt32(truncatingIfNeeded: value), digits: 8)
            _ = line.push(UInt8(truncatingIfNeeded: value))
            text.removeAll()
        }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
    }
}

@Suite("LineBuffer: partial lines and clear")
struct LineBufferPartialTests {
    @Test("hasPartialLine is true only between a line's first byte and its end; clear after CR keeps the LF swallowed")
    func partial() {
        var line = LineBuffer<4>()
        #expect(!line.hasPartialLine)
        #expect(line.push(0x61) == .partial)
        #expect(line.hasPartialLine)
        #expect(line.push(0x0D) == .line)
        #expect(!line.hasPartialLine)                    // ended
        line.clear()                                     // the app cleared after the CR…
        #expect(line.push(0x0A) == .partial)             // …and the LF of CR LF is still swallowed
        #expect(!line.hasPartialLine)
        for byte in "abcdef".utf8 { _ = line.push(byte) }
        #expect(line.hasPartialLine && line.truncated == 2)
        line.clear()
        #expect(!line.hasPartialLine && line.truncated == 0)
    }
}

@Suite("FixedString interpolation")
struct FixedStringInterpolationTests {
    @Test("literal parts, integers (padded, hex), byte buffers, flags and static strings, into inline bytes")
    func interpolation() {
        var received = ByteBuffer<8>()
        for byte in "hi".utf8 { received.append(byte) }
        let name: FixedString<8> = "radio"
        let text: FixedString<64> = "\(name) #\(7, width: 3, padding: .zeros) \(hex: UInt16(0xBEEF), digits: 4) \(received) \(true, "ok", "no") \(-12)"
        #expect(text == "radio #007 beef hi ok -12")
        #expect(text.dropped == 0)
        let short: FixedString<4> = "abc\(12345)"
        #expect(short == "abc")            // the number did not fit whole: not written, counted
        #expect(short.dropped > 0)
    }

    @Test("interpolation allocates nothing", .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func noAllocation() {
        let id = UInt16(3)
        var total = 0
        var warm: FixedString<32> = "request \(id): attempt \(total)"
        total += warm.count
        warm.removeAll()
        pollen_malloc_count_begin()
        for attempt in 0..<100 {
            let line: FixedString<32> = "request \(id): attempt \(attempt)"
            total += line.count
        }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        #expect(total > 0)
    }
}
