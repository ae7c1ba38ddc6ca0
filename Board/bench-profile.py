#!/usr/bin/env python3
"""Board/bench-profile.py — the instruction-by-instruction profile of Board/bench.

Input: the trace build of the bench app (-g -DBENCH_TRACE: 4 hand-offs, then 4
interrupt-to-poll samples under run(idle: .sleep)), its disassembly, and QEMU's
`-singlestep -d exec,nochain` log (one line per executed instruction).
Output (stdout): a Markdown section with, for one steady-state hand-off and one
interrupt-to-poll path, every executed instruction with its inlined source line
and a category, and a per-category count.

Run by Board/bench; not meant to be run by hand (but it can be: see --help).
"""
import argparse
import collections
import os
import re
import subprocess
import sys

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument('--board', required=True)
ap.add_argument('--root', required=True)
ap.add_argument('--elf', required=True)
ap.add_argument('--lst', required=True)
ap.add_argument('--trace', required=True)
ap.add_argument('--symbolizer', required=True)
ap.add_argument('--demangle', required=True)
ap.add_argument('--results', help='name=value file: the measured figures, for comparison')
ap.add_argument('--full', default='1', help='1: list every instruction; 0: counts only')
args = ap.parse_args()
prefix = {'microbit': 'm0_', 'hifive1': 'rv32_'}.get(args.board, 'm4_')

# ---- Disassembly: pc -> (text, function) --------------------------------------
insn = {}
func_of = {}
func_start = {}
current = None
for line in open(args.lst, encoding='utf-8', errors='replace'):
    m = re.match(r'^([0-9a-f]{8}) <(.*)>:$', line)
    if m:
        current = m.group(2)
        func_start[current] = int(m.group(1), 16)
        continue
    m = re.match(r'^\s*([0-9a-f]+):\s+(.*)$', line.rstrip('\n'))   # RISC-V lines have no indent
    if m and current:
        pc = int(m.group(1), 16)
        text = re.sub(r'\s+', ' ', m.group(2).strip())
        text = re.split(r' @ | <', text)[0]            # drop "<symbol+off>" and "@ imm" noise
        if re.match(r'^[0-9a-f]{2}( [0-9a-f]{2})+\s', text + ' ') and '.word' in text:
            continue
        insn[pc] = text
        func_of[pc] = current

# ---- Trace: executed pcs ---------------------------------------------------------
# With -icount, an instruction that touches a device in the middle of a block is
# rewound and executed again ("cpu_io_recompile: rewound execution of TB to X"):
# it is logged twice but runs (and counts) once, so its first entry is dropped.
pcs = []
pat = re.compile(r'\[[0-9a-f]+/([0-9a-f]+)/')
rewound = re.compile(r'rewound execution of TB to ([0-9a-f]+)')
with open(args.trace, errors='replace') as f:
    for line in f:
        if line.startswith('Trace'):
            m = pat.search(line)
            if m:
                pcs.append(int(m.group(1), 16))
        else:
            m = rewound.search(line)
            if m and pcs and pcs[-1] == int(m.group(1), 16):
                pcs.pop()
if not pcs:
    sys.exit('no trace lines')

# ---- Source attribution (llvm-symbolizer --inlining, one batch) -------------------
unique = sorted(set(pcs))
proc = subprocess.run([args.symbolizer, f'--obj={args.elf}', '--inlining', '--functions=linkage'],
                      input=''.join(f'0x{pc:x}\n' for pc in unique), capture_output=True, text=True)
demangled = subprocess.run([args.demangle, '--simplified'], input=proc.stdout,
                           capture_output=True, text=True).stdout
blocks = demangled.split('\n\n')
frames_of = {}
for pc, block in zip(unique, blocks):
    lines = [l for l in block.strip('\n').split('\n') if l.strip()]
    frames = []
    for i in range(0, len(lines) - 1, 2):
        fn, loc = lines[i].strip(), lines[i + 1].strip()
        m = re.match(r'^(.*):(\d+):(\d+)$', loc)
        if m and m.group(1) not in ('??', ''):
            frames.append((fn, m.group(1), int(m.group(2))))
        else:
            frames.append((fn, None, 0))
    frames_of[pc] = frames

src_cache = {}
def source_line(path, n):
    if not path or n <= 0:
        return ''
    if path not in src_cache:
        try:
            src_cache[path] = open(path, encoding='utf-8', errors='replace').read().split('\n')
        except OSError:
            src_cache[path] = []
    lines = src_cache[path]
    return lines[n - 1].strip() if n - 1 < len(lines) else ''

def short_path(path):
    if not path:
        return '?'
    for marker in ('/Sources/', '/Board/', '/bench-trace/'):
        if marker in path:
            rest = path.split(marker, 1)[1]
            return ('Sources/Firmware/bench/' + rest) if marker == '/bench-trace/' else (marker.strip('/') + '/' + rest)
    return os.path.basename(path)

# Line tables of outlined functions can be wrong after identical-code folding
# (the outlined Waker.wake() claims Timer.swift lines): trust a frame's line
# only when its file is the one its type lives in.
HOME = {'Waker': 'Waker.swift', 'Executor': 'Executor.swift', 'ExecutorCore': 'ExecutorCore.swift',
        'TaskSlot': 'TaskSlot.swift', 'TaskPool': 'TaskPool.swift', 'PoolRef': 'TaskSet.swift',
        'TaskSetPair': 'TaskSet.swift', 'CortexMPlatform': 'CortexMPlatform.swift', 'Instant': 'Time.swift',
        'RISCVPlatform': 'RISCVPlatform.swift',
        'Context': 'Context.swift'}

def trusted(fn, path, n):
    if not path or path.endswith('<compiler-generated>') or n <= 0:
        return False
    name = fn[len('specialized '):] if fn.startswith('specialized ') else fn
    typ = re.split(r'[.<(]', name, 1)[0]
    home = HOME.get(typ)
    return home is None or os.path.basename(path) == home

def where(pc):
    """Innermost frame with a trustworthy source line: (function, file, line)."""
    frames = frames_of.get(pc, [])
    for fn, path, n in frames:
        if trusted(fn, path, n):
            return fn, path, n
    return (frames[0][0] if frames else func_of.get(pc, '?')), None, 0

def category(pc):
    frames = frames_of.get(pc, [])
    for fn, path, n in frames:
        name = fn[len('specialized '):] if fn.startswith('specialized ') else fn
        name = name[len('static '):] if name.startswith('static ') else name
        text = source_line(path, n) if trusted(fn, path, n) else ''
        if name.startswith('Waker.wake'):
            return 'wake'
        if 'takingExchange' in name:    # Support/SharedOrdering.swift: the pass's take
            return 'pass: take the ready mask (atomic exchange)'
        if name.startswith(('pollen_trap_entry', 'pollen_trap')):
            return 'trap entry and dispatch (save, mcause, msip, restore, mret; Board/riscv)'
        if '_checkIndex' in name:
            return 'InlineArray bounds check'
        if name.startswith(('TaskSlot', 'TaskPool', 'PoolRef', 'TaskSetPair')):
            return 'dispatch (slot lookup, state, call)'
        if name.startswith(('ExecutorCore.waker', 'Context.init', 'Context(')):
            return 'context (waker for the poll)'
        if name.startswith('Executor.pollSlot'):
            if 'Context(' in text or 'waker(forSlot' in text:
                return 'context (waker for the poll)'
            if 'tasks.poll' in text:
                return 'dispatch (slot lookup, state, call)'
            return 'after poll (deadline bookkeeping)'
        if name.startswith('Executor.pin'):
            return 'pass: pin check'
        if name.startswith('Executor.runPass') or (name.startswith('Executor.runReady') and '(_:now:)' in name):
            if 'pin()' in text:
                return 'pass: pin check'
            if 'exchange' in text:
                return 'pass: take the ready mask (atomic exchange)'
            if 'trailingZeroBitCount' in text or '&= bits &- 1' in text or 'summary &= summary' in text:
                return 'pass: bit scan'
            return 'pass: loop, prologue, epilogue'
        if name.startswith('Executor.runReady'):
            return 'pass: call (runReady(tasks) forwards core.now)'
        if name.startswith(('Executor.run', 'Executor.fireTimers', 'Executor.hasReadyTasks', 'Executor.nextDeadline',
                            'Executor.fireRegister', 'Executor.register', 'Executor.keepDeadline',
                            'ExecutorCore.fireRegister', 'ExecutorCore.updateTimer', 'ExecutorCore.expireTimers')):
            return 'run loop (clock, timers, ready check)'
        if name.startswith(('CortexMPlatform', 'TicklessPlatform', 'InterruptPlatform', 'HandoffPlatform',
                            'static TicklessClock', 'TicklessClock', 'static Board.readCounter', 'Board.readCounter',
                            'static SysTick', 'static SCB', 'SysTick', 'SCB', 'RISCVPlatform', 'static RISCVPlatform',
                            'CLINT', 'static CLINT')):
            return 'platform (clock read / idle)'
        if name.startswith(('Relay.poll', 'Latency.poll')):
            return 'benchmark task body (countdown / time stamp)'
        if 'closure' in name and path and path.endswith('main.swift') or name.startswith('irqHook'):
            return 'interrupt handler (benchmark hook)'
        if 'softwareInterrupt' in name or 'runSoftwareInterruptHook' in name or 'Handler' in name:
            return 'interrupt handler'
        if name.startswith(('timeHandoffs', 'timeIRQ')):
            return 'benchmark driver loop'
        # pollen_* (cortexm.h), Instant (Time.swift), stamp(), other helpers: look outward
    sym = func_of.get(pc, '')
    if sym.startswith('__atomic'):
        return f'ARMv6-M atomic helper `{sym}` (Board/cortex-m)'
    if sym.startswith('__aeabi'):
        return f'run-time helper `{sym}` (Board/cortex-m/aeabi.c)'
    if 'Handler' in sym or 'softwareInterrupt' in sym:
        return 'interrupt handler'
    if 'closure' in sym and 'irqHook' in sym:
        return 'interrupt handler (benchmark hook)'
    if frames and any(f[0].startswith('pollen_') for f in frames):
        return 'platform (clock read / idle)'
    return 'other: ' + (sym or (frames[0][0] if frames else '?'))[:50]

def fn_entries(match):
    starts = [a for name, a in func_start.items() if all(m in name for m in match)]
    return starts

def listing(seg, title, intro):
    out = []
    counts = collections.Counter(category(pc) for pc in seg)
    out.append(f'### {title}')
    out.append('')
    out.extend(intro)
    out.append('')
    out.append('| instructions | where they go |')
    out.append('|---:|---|')
    for cat, c in counts.most_common():
        out.append(f'| {c} | {cat} |')
    out.append(f'| **{len(seg)}** | **total** |')
    out.append('')
    if args.full == '1':
        out.append('<details><summary>Every instruction, in execution order</summary>')
        out.append('')
        out.append('| # | pc | instruction | category | innermost source (function, file:line) |')
        out.append('|---:|---|---|---|---|')
        for i, pc in enumerate(seg, 1):
            fn, path, n = where(pc)
            text = source_line(path, n)
            src = f'{fn} — {short_path(path)}:{n}' if path else f'{fn}'
            if text:
                src += f' `{text[:70]}`'
            src = src.replace('|', '\\|')
            out.append(f'| {i} | {pc:#06x} | `{insn.get(pc, "?")}` | {category(pc)} | {src} |')
        out.append('')
        out.append('</details>')
        out.append('')
    return out

measured = {}
if args.results and os.path.exists(args.results):
    for line in open(args.results):
        m = re.match(r'^([A-Za-z0-9_]+)=([-0-9.]+)$', line.strip())
        if m:
            measured[m.group(1)] = float(m.group(2))

md = []
core = {'m4_': 'Cortex-M4, mps2-an386', 'm0_': 'Cortex-M0, microbit', 'rv32_': 'RV32IMAC, hifive1'}[prefix]
md.append(f'## Profile ({core})')
md.append('')
md.append('From a QEMU instruction trace (`-singlestep -d exec,nochain`) of the bench app built with `-g -DBENCH_TRACE` '
          '(same code as the measured build; -g only adds debug sections), each executed instruction attributed to its '
          'innermost inlined source line with `llvm-symbolizer --inlining`.')
md.append('')

# ---- Hand-off: runReady<W, PoolRef<Relay, 2>> entries ---------------------------
def handoff_profile(width, title, figure, what):
    """The steady-state hand-off of the pair in an Executor<width>."""
    spec = f'specialization <{width},'
    # The pass the loop calls: runReady's own specialization when the core and the
    # app are one module, its pass (runPass, not the out-of-line runPassOverWords of
    # a wide executor) when SwiftPM builds them as modules (runReady inlines).
    starts = (fn_entries(['Executor.runReady', 'Relay, 2>', spec])
              or fn_entries(['Executor.runPass<', 'Relay, 2>', spec]))
    if not starts:
        # runReady inlined into the driver (`timeHandoffs<W, 2>`): a pass starts at its
        # take of the ready mask (the summary's, in a wide executor: the first take).
        # Of the take's instructions there, the one executed most often (the measured
        # loop's, not the warm-up's), lowest address first.
        driver = [n for n in func_start if 'timeHandoffs' in n and f'specialization <{width}, 2>' in n]
        if len(driver) == 1:
            counts = collections.Counter(pc for pc in pcs if func_of.get(pc) == driver[0])
            takes = [pc for pc in counts if category(pc).startswith('pass: take')]
            if takes:
                starts = [min(takes, key=lambda pc: (-counts[pc], pc))]
    if len(starts) != 1:
        md.append(f'({title}: runReady specialization not found uniquely: {len(starts)})')
        md.append('')
        return
    start = starts[0]
    entries = [i for i, pc in enumerate(pcs) if pc == start]
    # warm-up W1 (first polls) and W2 (empty), then passes P1..P6 for 4 hand-offs:
    # P5 polls without waking, P6 is empty. P3 -> P4 is a steady-state hand-off.
    if len(entries) < 4:
        md.append(f'({title}: found {len(entries)} entries of runReady in the trace, expected ≥ 4)')
        md.append('')
        return
    seg = pcs[entries[-4]:entries[-3]]
    cats = collections.Counter(category(pc) for pc in seg)
    body = cats.get('benchmark task body (countdown / time stamp)', 0) + cats.get('benchmark driver loop', 0)
    m = measured.get(prefix + figure)
    intro = [f'One steady-state pass of `while executor.runReady(tasks) != 0 {{}}` in which task A wakes task B '
             f'({what}): from one start of a pass to the next (the entry of `runReady`, or '
             f'its take of the ready mask where `runReady` is inlined into the driver), the caller\'s loop included. '
             f'**{len(seg)} instructions**, of which {body} are the benchmark\'s own countdown and driver loop '
             f'(what the baseline subtracts, approximately: the baseline loop is '
             f'{"about 14" if prefix == "m0_" else "5"} instructions).']
    if m is not None:
        intro.append('')
        intro.append(f'Measured `{prefix}{figure}` = {m:g} (with the baseline subtracted); '
                     f'trace total − measured = {len(seg) - m:g}.')
    md.extend(listing(seg, title, intro))

handoff_profile(1, 'One hand-off', 'handoff_instr', 'Executor<1>, one pool of 2')
handoff_profile(8, 'One hand-off in a wide executor (`Executor<8>`, the 256-task path)', 'handoff_instr_2_exec8',
                'Executor<8>, one pool of 2: the two-level mask of `_256`, without the parked tasks, which the '
                'pass never visits')

# ---- Interrupt to poll -----------------------------------------------------------
handler = {'m4_': fn_entries(['IRQ31_Handler']), 'm0_': fn_entries(['IRQ20_Handler']),
           'rv32_': fn_entries(['pollen_software_interrupt_handler'])}[prefix]
if not handler:
    handler = [a for n, a in func_start.items() if n.endswith('softwareInterrupt()') or 'IRQ' in n and 'Handler' in n and 'Default' not in n]
entries = [i for i, pc in enumerate(pcs) if pc in set(handler)]
if len(entries) >= 3:
    i0 = entries[2]
    # start: the first instruction of Waker.wake after the handler's entry
    s = next((i for i in range(i0, len(pcs)) if category(pcs[i]) == 'wake'), None)
    # end: the first instruction of the poll's clock read (stamp() in Latency.poll)
    e = None
    if s is not None:
        for i in range(s, len(pcs)):
            fr = frames_of.get(pcs[i], [])
            names = [f[0] for f in fr]
            if any(n.startswith('Latency.poll') for n in names) and any(n.startswith('stamp()') for n in names):
                e = i
                break
    if s is not None and e is not None:
        seg = pcs[s:e]
        m = measured.get(prefix + 'irq_to_poll_instr')
        intro = ['From the first instruction of `waker.wake()` in the software interrupt\'s hook to the first instruction '
                 'of the woken task\'s clock read, with the executor in `run(on:idle: .sleep, tasks:)` (the interrupt is '
                 + ('taken at `csrsi mstatus, MIE` after a `wfi`, as when it ends a real sleep; after the wake the '
                    'dispatcher\'s return, the trap entry\'s 16 restores and `mret` are counted) ' if prefix == 'rv32_' else
                    'taken at `cpsie i` after a `wfi`, as when it ends a real sleep; exception entry and return cost no '
                    'instructions) ')
                 + f'**{len(seg)} instructions.**']
        if m is not None:
            intro.append('')
            intro.append(f'Measured `{prefix}irq_to_poll_instr` = {m:g} (from the hook\'s clock read, so it also counts '
                         f'the few instructions between that read and the call of `wake()`).')
        md.extend(listing(seg, 'Interrupt to poll', intro))
    else:
        md.append('(interrupt to poll: could not find the wake / poll boundaries in the trace)')
        md.append('')
else:
    md.append(f'(interrupt to poll: found {len(entries)} handler entries in the trace, expected ≥ 3)')
    md.append('')

print('\n'.join(md))
