// CortexM.swift — the Cortex-M core peripherals Pollen uses: NVIC, SysTick, SCB.
//
// Identical on ARMv6-M (Cortex-M0) and ARMv7-M (Cortex-M3/M4): all three live
// in the System Control Space at 0xE000_E000. Registers are reached through
// `MMIORegister` (below): C volatile accesses, never plain pointer stores (the
// optimizer would merge or drop them).
import PollenCortexMSupport

/// Makes a register handle for the fixed address `address`.
///
/// Safety: `address` must be the address of a 32-bit memory-mapped register of
/// this chip. Every call site below passes a constant taken from the Armv6-M /
/// Armv7-M Architecture Reference Manual (System Control Space) or from the
/// board's datasheet; that is the one invariant all register accessors rely on.
@inline(__always)
package func mmio(_ address: UInt) -> MMIORegister {
    MMIORegister(address: address)
}

/// A 32-bit memory-mapped register at a fixed address (see ``mmio(_:)``). Each
/// `load` and `store` is exactly one `ldr` / `str` on every Cortex-M: a C
/// volatile access (`pollen_register_load` / `pollen_register_store`,
/// cortexm.h). Swift's `VolatileMappedRegister` does the same on ARMv7-M, but
/// on ARMv6-M it depends on the toolset: without the `+atomics-32` target
/// feature (the micro:bit's toolset declares it) every access is a library
/// call, which made the micro:bit's images larger and slower by a call per
/// register access.
package struct MMIORegister {
    /// The register's address.
    package let address: UInt

    /// One 32-bit load.
    @inline(__always)
    package func load() -> UInt32 { pollen_register_load(address) }

    /// One 32-bit store.
    @inline(__always)
    package func store(_ value: UInt32) { pollen_register_store(address, value) }
}

/// The Nested Vectored Interrupt Controller, for device interrupts 0...31.
///
/// Both QEMU boards Pollen supports model 32 lines, so the first register of
/// each bank is enough. Each register is write-one-to-act: writing a mask
/// touches only the lines whose bits are set, no read-modify-write needed.
public enum NVIC {
    /// Allows device interrupt `irq` (0...31) to reach the CPU.
    @inline(__always)
    public static func enable(_ irq: UInt32) { mmio(0xE000_E100).store(1 &<< irq) }   // ISER0

    /// Stops device interrupt `irq` from reaching the CPU (it can still become pending).
    @inline(__always)
    public static func disable(_ irq: UInt32) { mmio(0xE000_E180).store(1 &<< irq) }  // ICER0

    /// Marks `irq` pending from software; its handler runs as soon as it is enabled
    /// and PRIMASK allows. This is how a "software interrupt" is raised.
    @inline(__always)
    public static func pend(_ irq: UInt32) { mmio(0xE000_E200).store(1 &<< irq) }     // ISPR0

    /// Clears a pending `irq` without running its handler.
    @inline(__always)
    public static func clearPending(_ irq: UInt32) { mmio(0xE000_E280).store(1 &<< irq) } // ICPR0

    /// Whether `irq` is pending (waiting for its handler to run).
    @inline(__always)
    public static func isPending(_ irq: UInt32) -> Bool {
        mmio(0xE000_E200).load() & (1 &<< irq) != 0
    }

    /// Sets the priority of device interrupt `irq` (0...31): 0 is the most
    /// urgent. Only the top bits exist (2 on the Cortex-M0: 0x00, 0x40, 0x80,
    /// 0xC0; use those values to be portable). Every interrupt starts at 0, so
    /// none preempts another until an app sets priorities.
    public static func setPriority(_ irq: UInt32, _ priority: UInt8) {
        // IPR0..7 at 0xE000_E400: one byte per line, four per word. ARMv6-M
        // allows only word accesses there, hence the read-modify-write.
        setPriorityByte(0xE000_E400 &+ UInt(irq / 4) &* 4, irq % 4, priority)
    }

    /// The priority of device interrupt `irq`, as the hardware kept it
    /// (unimplemented low bits read as 0).
    public static func priority(_ irq: UInt32) -> UInt8 {
        priorityByte(0xE000_E400 &+ UInt(irq / 4) &* 4, irq % 4)
    }
}

/// Writes byte `index` (0...3) of the priority register word at `address`,
/// masked (another writer of the same word must not interleave).
func setPriorityByte(_ address: UInt, _ index: UInt32, _ priority: UInt8) {
    let shift = index &* 8
    withInterruptsMasked {
        let word = mmio(address).load() & ~(0xFF &<< shift)
        mmio(address).store(word | UInt32(priority) &<< shift)
    }
}

/// Reads byte `index` (0...3) of the priority register word at `address`.
func priorityByte(_ address: UInt, _ index: UInt32) -> UInt8 {
    UInt8(truncatingIfNeeded: mmio(address).load() &>> (index &* 8))
}

/// The 24-bit SysTick down-counter. Pollen's clock does not use it (the clock is
/// tickless: CortexMClock.swift, and `Board.startClock()` stops SysTick); the
/// firmware benchmarks use it as a free-running cycle counter, and an app may
/// use it for its own ends (defining `SysTick_Handler` if it enables TICKINT).
public enum SysTick {
    /// Starts SysTick on the processor clock, interrupting every `cyclesPerTick`
    /// cycles (at most 2^24). The counter counts `cyclesPerTick - 1` down to 0.
    public static func start(cyclesPerTick: UInt32) {
        mmio(0xE000_E010).store(0)                     // CSR: stop while configuring
        mmio(0xE000_E014).store(cyclesPerTick &- 1)    // RVR: reload value
        mmio(0xE000_E018).store(0)                     // CVR: any write clears it
        mmio(0xE000_E010).store(0b111)                 // CSR: CLKSOURCE=cpu | TICKINT | ENABLE
    }

    /// The reload value programmed by ``start(cyclesPerTick:)``.
    @inline(__always)
    public static var reload: UInt32 { mmio(0xE000_E014).load() }

    /// The current counter value (counts down from ``reload`` to 0).
    @inline(__always)
    public static var current: UInt32 { mmio(0xE000_E018).load() }

    /// Stops the counter and its interrupt (CSR = 0). A tick already pending
    /// stays pending (see ``SCB/clearSysTickPending()``).
    @inline(__always)
    public static func stop() { mmio(0xE000_E010).store(0) }

    /// Sets the SysTick exception's priority (SHPR3 bits 31:24): 0 is the most
    /// urgent, as for ``NVIC/setPriority(_:_:)``. It starts at 0.
    public static func setPriority(_ priority: UInt8) {
        setPriorityByte(0xE000_ED20, 3, priority)
    }

    /// The SysTick exception's priority, as the hardware kept it.
    public static var priority: UInt8 { priorityByte(0xE000_ED20, 3) }
}

/// System Control Block: the interrupt control and state register.
public enum SCB {
    /// Whether the SysTick exception is pending (ICSR.PENDSTSET, bit 26): the
    /// counter has wrapped but its handler has not run yet.
    @inline(__always)
    public static var isSysTickPending: Bool {
        mmio(0xE000_ED04).load() & (1 &<< 26) != 0
    }

    /// Drops a pending SysTick exception (ICSR.PENDSTCLR, bit 25).
    @inline(__always)
    public static func clearSysTickPending() {
        mmio(0xE000_ED04).store(1 &<< 25)
    }
}

/// Runs `body` with interrupts masked and restores the previous mask state.
///
/// Nests. Costs 4 instructions (mrs, cpsid, msr, plus the branch around it).
/// Keep `body` short: every interrupt waits for it.
@inline(__always)
public func withInterruptsMasked<R>(_ body: () -> R) -> R {
    let saved = pollen_critical_enter()
    let result = body()
    pollen_critical_exit(saved)
    return result
}
