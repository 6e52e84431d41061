#!/usr/bin/env python3
"""The main job (`make demo`): parallel ZONE_DEVICE hotplug and struct page
re-initialisation on the distro kernel, measured in one boot.

    python3 tests/demo.py [--size 64G] [--threads 1,2] [--repeats 5] ...
    python3 tests/demo.py --engine-only          (`make bench`)

Builds the modules in a fresh copy of the tree (build/demo-src), boots
/boot/vmlinuz-<release> in QEMU with guest memory sized for the memmap,
runs tests/guest/demo.sh there: the padata_mt engine benchmark
(tests/guest/engine-bench.sh), then
`bench size=<size>` of memmap_test, followed by three ftrace-profiled stock
hotplugs (what runs under mem_hotplug_lock and what runs outside it: the
kernel's memmap_init_zone_device(), timed alone).  Prints
the table, writes build/demo/memmap_speedup.png (gnuplot) and ends with
exactly these lines, all from the same boot:

    ratio.reinit_t1_over_t2=R          goal >= 1.9
    ratio.reinit_over_ceiling=R        goal >= 0.95 (throughput at the top
                                       thread count against the fastest of
                                       memset and a non-temporal fill of a
                                       buffer and that fill of the memmap)
    ratio.kernel_init_t1_over_reinit_t1=R  goal >= 2.5 (the kernel's
                                       memmap_init_zone_device() for the
                                       region, timed alone, against ours at
                                       one thread right after a fresh plug)
    ratio.hotplug_stock_over_parallel=R  goal >= 1.6
    ratio.unplug_stock_over_parallel=R  goal >= 1.0
    ratio.cycle_stock_over_parallel=R  goal >= 1.6 (hotplug + unplug)
    ratio.reinit_over_memset=R         memset only (the ceiling before)
    timeline.idle_share=R              goal <= 0.05: one reinit job at the top
                                       thread count from the padata_mt_chunk
                                       tracepoint, threads' idle time between
                                       the job's start and end over threads x
                                       job time (build/memmap_timeline.png)
    async.first_touch_us=N             median latency of a sync of one random
                                       pfn right after an async start; goal
                                       <= 1% of the full reinit
    async.full_ms=N                    median async pass, start to all done
    ratio.reinit_twopass_over_onepass=R  separate memset + init vs one pass

Under QEMU TCG absolute times mean little; ratios from one boot do.  The
CPU model changes memset costs about 4x (see the environment notes), so it
is printed with the numbers.  Python 3 stdlib only (plus gnuplot for the
plot, skipped with a note when missing).
"""

import argparse
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / 'lib'))
import build  # noqa: E402
import host  # noqa: E402
import initramfs  # noqa: E402
import qemu  # noqa: E402

OUT = host.BUILD_DIR / 'demo'
GOALS = (('reinit_t1_over_t2', 1.9), ('reinit_over_ceiling', 0.95),
         ('kernel_init_t1_over_reinit_t1', 2.5),
         ('hotplug_stock_over_parallel', 1.6),
         ('unplug_stock_over_parallel', 1.0),
         ('cycle_stock_over_parallel', 1.6))

# The guest side: tests/guest/demo.sh, installed as /tests/demo.sh.
GUEST_SCRIPT = host.GUEST_DIR / 'demo.sh'


def parse_size(s):
    m = re.fullmatch(r'(\d+)([KMGT])', s)
    if not m:
        raise argparse.ArgumentTypeError('size %r: a number and K, M, G or T, '
                                         'e.g. 64G' % s)
    return int(m.group(1)) << (10 * ('KMGT'.index(m.group(2)) + 1))


# From this size on the guest is sized tight: memmap_test's max_memmap_pct
# raised so that the memmap fits in MemAvailable of a guest a little larger
# than it (1 TiB: a 16 GiB memmap in a 20 GiB guest), no engine benchmark,
# and 42 physical address bits (QEMU's default 40 leave no hole for it).
BIG_SIZE = 256 << 30
BIG_PCT = 90


def guest_mem_mib(size_bytes):
    """Room for the memmap (size/64) at most at memmap_test's default
    max_memmap_pct=50 of MemAvailable, the same again for the memset buffer
    (allocated after the region is unplugged), and the engine benchmark's
    1 GiB buffer: at least 4 GiB.  From BIG_SIZE on: the memmap at
    BIG_PCT percent of MemAvailable, and 1 GiB for the guest's own use."""
    memmap_mib = size_bytes // 64 >> 20
    if size_bytes >= BIG_SIZE:
        return int(memmap_mib * 100 / (BIG_PCT - 5)) + 1024
    return max(4096, int(memmap_mib * 2.3) + 1024)


def host_available_mib():
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemAvailable:'):
                return int(line.split()[1]) // 1024
    return 0


def kv_lines(text, prefix):
    out = {}
    for line in text.split('\n'):
        if line.startswith(prefix):
            k, sep, v = line[len(prefix):].partition('=')
            if sep:
                out[k.strip()] = v.strip()
    return out


def lines_with(text, prefix):
    return [line[len(prefix):] for line in text.split('\n')
            if line.startswith(prefix)]


def ratio(a, b):
    return a / b if b else float('nan')


def median_of(csv):
    """The median of a comma-separated list of integers; 0 if none."""
    v = sorted(int(x) for x in (csv or '').split(',') if x.strip())
    if not v:
        return 0
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) // 2


TRACE_RE = re.compile(r'-(\d+)\s+\[(\d+)\].*?\s(\d+\.\d+): (padata_mt_\w+): (.*)$')


def trace_events(text):
    """[(ts_s, pid, event, {field: value})] of the guest's pmt-trace lines."""
    out = []
    for line in lines_with(text, 'pmt-trace: '):
        m = TRACE_RE.search(line)
        if m:
            fields = dict(f.split('=', 1) for f in m.group(5).split()
                          if '=' in f)
            out.append((float(m.group(3)), int(m.group(1)), m.group(4),
                        fields))
    return out


def timeline(events):
    """The first traced job: (threads, t0, t1, {pid: [(start_s, end_s)]}),
    or None.  A chunk's event comes at its end with its duration (ns)."""
    start = next((e for e in events if e[2] == 'padata_mt_job_start'), None)
    if not start:
        return None
    task, t0 = start[3].get('task'), start[0]
    end = next((e for e in events if e[2] == 'padata_mt_job_end' and
                e[0] >= t0 and e[3].get('task') == task), None)
    if not end:
        return None
    bars = {}
    for ts, pid, ev, f in events:
        if ev == 'padata_mt_chunk' and f.get('task') == task and \
                t0 <= ts <= end[0]:
            bars.setdefault(pid, []).append((ts - int(f['ns']) / 1e9, ts))
    return int(start[3]['threads']), t0, end[0], bars


def idle_share(tl):
    """Threads' idle time between the job's start and end over threads x
    job time."""
    threads, t0, t1, bars = tl
    busy = sum(min(b, t1) - max(a, t0) for v in bars.values() for a, b in v)
    return 1.0 - busy / (threads * (t1 - t0)) if t1 > t0 else float('nan')


def plot_timeline(tl, kv, path):
    """One row per thread, each chunk a bar; None or why there is no PNG."""
    threads, t0, t1, bars = tl
    dat = path.with_suffix('.dat')
    order = sorted(bars, key=lambda p: min(a for a, _ in bars[p]))
    rows = ['%d %.3f %.3f' % (i, (a - t0) * 1e3, (b - t0) * 1e3)
            for i, pid in enumerate(order) for a, b in bars[pid]]
    dat.write_text('# row start_ms end_ms\n' + '\n'.join(rows) + '\n')
    gp = shutil.which('gnuplot')
    if not gp:
        return 'gnuplot not found (apt-get install gnuplot-nox): data in %s' % dat
    r = subprocess.run([gp, '-e', 'set terminal'], capture_output=True,
                       text=True, check=False)
    term = ('pngcairo' if 'pngcairo' in r.stdout + r.stderr else 'png') + \
        ' noenhanced size 900,%d' % (160 + 60 * len(order))
    script = '\n'.join([
        'set terminal %s' % term, 'set output "%s"' % path,
        'set title "memmap_test: one reinit job, %d threads, %.1f ms '
        '(idle share %.3f; %s)"' % (threads, (t1 - t0) * 1e3, idle_share(tl),
                                   kv.get('cpu_model', '?').replace('"', "'")),
        'set xlabel "ms from the job start"', 'set ylabel "thread"',
        'set xrange [0:%.3f]' % ((t1 - t0) * 1e3),
        'set yrange [-0.6:%.1f]' % (len(order) - 0.4),
        'set ytics (%s)' % ', '.join('"pid %d" %d' % (pid, i)
                                     for i, pid in enumerate(order)),
        'set style fill solid 0.6 border lc "black"', 'unset key',
        'plot "%s" using (($2+$3)/2):1:2:3:($1-0.35):($1+0.35) '
        'with boxxyerror' % dat]) + '\n'
    gpf = path.with_suffix('.gp')
    gpf.write_text(script)
    r = subprocess.run([gp, str(gpf)], capture_output=True, text=True,
                       check=False)
    return 'gnuplot failed: %s' % r.stderr.strip() if r.returncode else None


def plot(kv, threads, path):
    """Speedup vs threads for hotplug, unplug, reinit and memset."""
    dat = path.with_suffix('.dat')
    ops = ('hotplug', 'unplug', 'reinit', 'memset')
    rows = []
    for t in threads:
        row = [str(t)]
        for op in ops:
            base = int(kv['bench_%s_t%d_median_ns' % (op, threads[0])])
            row.append('%.3f' % ratio(base, int(kv['bench_%s_t%d_median_ns'
                                                    % (op, t)])))
        rows.append(' '.join(row))
    dat.write_text('# threads ' + ' '.join(ops) + '\n' + '\n'.join(rows) +
                   '\n')
    gp = shutil.which('gnuplot')
    if not gp:
        return 'gnuplot not found (apt-get install gnuplot-nox): data in %s' % dat
    term = 'pngcairo noenhanced size 800,500'
    r = subprocess.run([gp, '-e', 'set terminal'], capture_output=True,
                       text=True, check=False)
    if 'pngcairo' not in r.stdout + r.stderr:
        term = 'png noenhanced size 800,500'
    script = '\n'.join([
        'set terminal %s' % term,
        'set output "%s"' % path,
        'set title "memmap_test: speedup vs threads (%s)"' %
        kv.get('cpu_model', '?').replace('"', "'"),
        'set xlabel "threads"', 'set ylabel "speedup (median, vs %d thread)"'
        % threads[0],
        'set key top left', 'set grid',
        'set xtics (%s)' % ', '.join(str(t) for t in threads),
        'set xrange [%g:%g]' % (threads[0] - 0.2, threads[-1] + 0.2),
        'set yrange [0:*]',
        'plot x / %d title "ideal" with lines dashtype 2 lc "gray", \\' %
        threads[0],
    ] + ['  "%s" using 1:%d title "%s" with linespoints lw 2%s' %
         (dat, i + 2, op, ', \\' if i < len(ops) - 1 else '')
         for i, op in enumerate(ops)]) + '\n'
    gpf = path.with_suffix('.gp')
    gpf.write_text(script)
    r = subprocess.run([gp, str(gpf)], capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        return 'gnuplot failed: %s' % r.stderr.strip()
    return None


def host_busy_seconds():
    """CPU-seconds all host CPUs have spent busy since boot (/proc/stat)."""
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf('SC_CLK_TCK')


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


ABLATION_METRICS = (('memset_1g_speedup_2thr', 'speedup 2thr', '>=1.9'),
                    ('speedup_range', '(range)', ''),
                    ('best_speedup_2thr', 'best-of', ''),
                    ('tiny_job_us', 'tiny_job_us', '<=20'),
                    ('inline_over_direct', 'inline/direct', '<=1.02'))


def ablation_table(kv):
    """The ablation.<variant>.<metric> rows of padata_mt_bench ablation=1 as
    a table, one line per variant, in the module's order."""
    names = []
    for k in kv:
        if k.startswith('ablation.') and k.count('.') >= 2:
            name = k.split('.')[1]
            if name not in names:
                names.append(name)
    if not names:
        return []
    mem = next((k.split('.')[2] for k in kv if k.startswith('ablation.') and
                '.memset_' in k and k.endswith('_speedup_2thr')),
               'memset_1g_speedup_2thr')
    metrics = [(mem if m == 'memset_1g_speedup_2thr' else m, h, g)
               for m, h, g in ABLATION_METRICS]
    head = ['variant'] + [h + (' ' + g if g else '') for _, h, g in metrics]
    rows = [[n] + [kv.get('ablation.%s.%s' % (n, m), '?')
                   for m, _, _ in metrics] for n in names]
    width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    return ['  ' + '  '.join(c.ljust(w) for c, w in zip(r, width)).rstrip()
            for r in [head] + rows]


def engine_report(text):
    kv = kv_lines(text, 'pmt-bench: ')
    if not kv:
        return ['engine bench: no results (padata_mt_bench did not run)']
    out = ['engine bench (tests/guest/engine-bench.sh, padata_mt_bench):'] + \
        ['  %s=%s' % (k, v) for k, v in kv.items() if k not in ('begin', 'end')]
    table = ablation_table(kv)
    if table:
        out += ['', 'ablation (baseline = upstream_style; +X = baseline with '
                'change X; all-X = every change but X; engine = '
                'padata_mt_run()):'] + table
    return out


def main():
    ap = argparse.ArgumentParser(
        description='Boot the distro kernel in QEMU, hotplug and re-initialise '
        'a ZONE_DEVICE region with padata_mt, print the timing table and the '
        'ratios.')
    ap.add_argument('--kver', default='',
                    help='kernel release to build for and boot (default: the '
                    'Makefile\'s choice: the running kernel if it has headers, '
                    'else the newest installed; make demo KVER=...)')
    ap.add_argument('--size', default='64G', type=str,
                    help='region size, a multiple of 128M (default 64G)')
    ap.add_argument('--threads', default=None,
                    help='thread counts to sweep, increasing, including 1 and '
                    '2 (default 1..smp)')
    ap.add_argument('--repeats', type=int, default=5,
                    help='timed repeats per thread count (default 5)')
    ap.add_argument('--pieces', type=int, default=0,
                    help='pgmaps per parallel hotplug (default: the module\'s)')
    ap.add_argument('--smp', type=int, default=2, help='guest vCPUs (default 2)')
    ap.add_argument('--numa', type=int, default=2,
                    help='guest NUMA nodes (default 2)')
    ap.add_argument('--node-cpus', default=None,
                    help='CPUs per NUMA node, e.g. 2,1,1,0 (the topology '
                    'lanes\' shape: uneven nodes and a memory-only one); '
                    'overrides --smp and --numa')
    ap.add_argument('--mem', default=None,
                    help='guest memory, e.g. 6G (default: sized for the memmap)')
    ap.add_argument('--cpu', default=None,
                    help='QEMU -cpu model (default: QEMU\'s; say which in '
                    'any comparison)')
    ap.add_argument('--cmdline', default='',
                    help='more guest kernel parameters, e.g. '
                    '"mitigations=off" (say so in any comparison)')
    ap.add_argument('--timeout', type=int, default=3600,
                    help='hard guest timeout in seconds (default 3600)')
    ap.add_argument('--no-engine', action='store_true',
                    help='skip the engine benchmark')
    ap.add_argument('--engine-only', action='store_true',
                    help='only the engine benchmark (make bench)')
    ap.add_argument('--bench-args', default='',
                    help='padata_mt_bench module parameters, space-separated, '
                    'e.g. "ablation=1" (make ablation) or "inline_only=1"')
    args = ap.parse_args()
    if ':' in args.bench_args:
        ap.error('--bench-args %r: no ":" (the guest splits on it); parameters '
                 'are space-separated, e.g. "filter=tiny,inline repeats=1"'
                 % args.bench_args)
    node_cpus = None
    if args.node_cpus:
        try:
            node_cpus = [int(x) for x in args.node_cpus.split(',')]
            qemu.node_cpu_counts(sum(node_cpus), len(node_cpus), node_cpus)
        except ValueError as e:
            ap.error('--node-cpus %s: %s' % (args.node_cpus, e))
        args.smp, args.numa = sum(node_cpus), len(node_cpus)

    size = parse_size(args.size)
    if size % (128 << 20):
        ap.error('--size must be a multiple of the 128M memory section')
    threads = ([int(t) for t in args.threads.split(',')] if args.threads
               else list(range(1, args.smp + 1)))
    if not args.engine_only and (threads != sorted(set(threads)) or
                                 1 not in threads or 2 not in threads):
        ap.error('--threads must increase and include 1 and 2 (the ratios '
                 'compare them)')
    mem = args.mem or '%dM' % guest_mem_mib(size)
    big = size >= BIG_SIZE
    if big:
        args.no_engine = True
        if not args.cpu:
            args.cpu = 'qemu64,phys-bits=42'
        need = guest_mem_mib(size) + 1536
        if not args.mem and host_available_mib() < need:
            sys.exit('--size %s needs a %d MiB guest and %d MiB free on the '
                     'host for it and QEMU; the host has %d MiB available '
                     '(no swap counts): free memory or take a smaller --size'
                     % (args.size, guest_mem_mib(size), need,
                        host_available_mib()))

    rel, why = (args.kver, 'KVER=') if args.kver else host.default_release()
    if not rel:
        sys.exit('no kernel headers under /lib/modules/*/build: run '
                 'tests/deps.sh (installs linux-headers-amd64)')
    if not (Path('/lib/modules') / rel / 'build').exists():
        sys.exit('no headers for %s: apt-get install linux-headers-%s'
                 % (rel, rel))
    host.check_release(rel)
    print('demo: kernel %s (%s)' % (rel, why), flush=True)
    t0 = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    b = build.build_modules(rel, host.BUILD_DIR / 'demo-src', tests=True)
    (OUT / 'build.log').write_text(b.output)
    if not b.ok:
        print(b.output)
        sys.exit('build failed (log %s)' % (OUT / 'build.log'))
    engine = not args.no_engine and b.tests_built
    files = {'/tests/demo.sh': str(GUEST_SCRIPT)}
    if engine:
        files['/tests/engine-bench.sh'] = str(host.GUEST_DIR /
                                              'engine-bench.sh')
    img = initramfs.build_initramfs(rel, b.ko_files, files, OUT)
    guest_args = ','.join([args.size, ':'.join(str(t) for t in threads),
                           str(args.repeats), str(args.pieces),
                           '1' if engine else '0',
                           '0' if args.engine_only else '1',
                           str(BIG_PCT if big else 0),
                           ':'.join(args.bench_args.split()) or '-'])
    log = OUT / 'console.log'
    load0 = os.getloadavg()
    busy0, own0, wall0 = host_busy_seconds(), children_cpu_seconds(), \
        time.monotonic()
    try:
        text = qemu.boot(rel, img, log, smp=args.smp, mem=mem,
                         numa_nodes=args.numa, timeout_s=args.timeout,
                         cpu_model=args.cpu, run='/tests/demo.sh',
                         node_cpus=node_cpus,
                         cmdline_extra=' '.join(
                             x for x in (args.cmdline,
                                         'pmt.args=' + guest_args) if x))
    except qemu.VMTimeout as e:
        print(e)
        sys.exit(1)
    done = qemu.guest_done(text)
    kv = kv_lines(text, 'pmt-demo: ')
    wall = time.monotonic() - wall0
    qemu_cpu = children_cpu_seconds() - own0
    others = max(host_busy_seconds() - busy0 - qemu_cpu, 0.0)
    ncpu = os.cpu_count() or 1
    host_note = ('host during the guest run: QEMU used %.0f CPU-s, other '
                 'processes %.0f CPU-s of %.0f (%d host CPUs x %.0f s)'
                 % (qemu_cpu, others, ncpu * wall, ncpu, wall))
    if others > 0.1 * ncpu * wall:
        host_note += ('; the host was shared, so every thread count got less '
                      'than its CPUs and the speedups below understate the '
                      'code: rerun on an idle host')

    print()
    print('kernel %s, QEMU %s, %d vCPUs, %s guest memory, %s; CPU model: %s'
          % (rel, 'TCG' if 'tcg' in (log.parent / (log.name + '.cmd'))
             .read_text() else 'KVM', args.smp, mem,
             'NUMA nodes of %s CPUs' % '+'.join(map(str, node_cpus))
             if node_cpus else
             '%d NUMA nodes' % args.numa if args.numa > 1 else 'no NUMA',
             kv.get('cpu_model', '?')))
    if args.cmdline:
        print('extra kernel parameters: %s' % args.cmdline)
    print(host_note)
    print('host load average (1/5/15 min) before the guest: %.2f %.2f %.2f, '
          'after: %.2f %.2f %.2f' % (load0 + os.getloadavg()))
    flags = lines_with(text, 'pmt-demo: cpu_flags=')
    if flags:
        print('guest CPU flags that pick memset: %s' % (flags[0].strip() or
                                                       'none'))
    vulns = lines_with(text, 'pmt-demo: vuln.')
    if vulns:
        print('guest CPU vulnerabilities: %s' % '; '.join(vulns))
    if engine:
        print('\n'.join(engine_report(text)))
    elif not args.no_engine:
        print('engine bench skipped: test modules not built')
    if args.engine_only:
        return 0 if done and done[0] == 0 else 1

    if kv.get('bench_rc') != '0' or not done or done[0] != 0:
        print('\n'.join(lines_with(text, 'pmt-demo: ')))
        sys.exit('the guest bench failed (console log %s)' % log)

    print()
    print('memmap_test %s (command: %s)' % (args.size, kv['command']))
    print('\n'.join(lines_with(text, 'pmt-table: ')))

    def med(op, t):
        return int(kv['bench_%s_t%d_median_ns' % (op, t)])

    top = threads[-1]
    prof = {k: median_of(kv.get('profile_%s' % k))
            for k in ('hotplug_ns', '__add_pages_us',
                      'memmap_init_zone_device_us')}
    ceiling = min(med('memset', top), med('memset_nt', top),
                  med('memmap_nt', top))
    r = {
        'reinit_t1_over_t2': ratio(med('reinit', 1), med('reinit', 2)),
        'reinit_over_ceiling': ratio(ceiling, med('reinit', top)),
        'kernel_init_t1_over_reinit_t1': ratio(
            prof['memmap_init_zone_device_us'] * 1000,
            med('reinit_fresh', 1)),
        'hotplug_stock_over_parallel': ratio(med('hotplug', 1),
                                             med('hotplug', top)),
        'unplug_stock_over_parallel': ratio(med('unplug', 1),
                                            med('unplug', top)),
        'cycle_stock_over_parallel': ratio(
            med('hotplug', 1) + med('unplug', 1),
            med('hotplug', top) + med('unplug', top)),
        'reinit_over_memset': ratio(med('memset', top), med('reinit', top)),
    }

    print()
    a = prof['__add_pages_us']
    m = prof['memmap_init_zone_device_us']
    hp = prof['hotplug_ns'] // 1000
    if a and m:
        best = (a + m) / max(a, (a + m) / top)
        print('hotplug profile (stock %s plugs, ftrace function_graph on '
              '__add_pages and memmap_init_zone_device only, median of %s): '
              '%d ms total; __add_pages (under mem_hotplug_lock: vmemmap '
              'allocation + init_on_alloc zeroing) %d ms = %.0f%%; '
              'memmap_init_zone_device (outside the lock) %d ms = %.0f%%; '
              'other %d ms. With the locked part serial, %d threads can at '
              'best reach %.2fx.' % (args.size, kv.get('profile_hotplug_ns'),
                                     hp // 1000, a // 1000,
                                     100.0 * a / max(hp, 1), m // 1000,
                                     100.0 * m / max(hp, 1),
                                     max(hp - a - m, 0) // 1000, top, best))
        plain = med('hotplug', 1) // 1000
        print('the method\'s overhead: the traced stock plug took %d ms, '
              'the bench\'s untraced one %d ms (%+.1f%%)' % (
                  hp // 1000, plain // 1000, 100.0 * ratio(hp - plain, plain)))
        print('the kernel\'s init at one thread against ours (default store '
              '%s): %.2fx right after a fresh plug (the ratio below), '
              '%.2fx warm; ours per store kind, warm: %s' % (
                  kv.get('bench_default_store', '?'),
                  r['kernel_init_t1_over_reinit_t1'],
                  ratio(m * 1000, med('reinit', 1)),
                  ', '.join('%s %.2fx' % (k, ratio(m * 1000,
                                                   med('reinit_' + k, 1)))
                            for k in ('copy', 'nt', 'compute'))))
    else:
        print('hotplug profile: not available (no tracefs/function_graph)')
    print('the ceiling at %d threads: memset %.2f ms, non-temporal fill %.2f '
          'ms, the same fill over the memmap itself %.2f ms; reinit %.2f ms '
          '(A/A: reinit_%s %.2f ms)' % (
              top, med('memset', top) / 1e6, med('memset_nt', top) / 1e6,
              med('memmap_nt', top) / 1e6,
              med('reinit', top) / 1e6, kv.get('bench_default_store', '?'),
              med('reinit_%s' % kv.get('bench_default_store', 'copy'),
                  top) / 1e6))
    print('digest after the reinit runs: %s; /proc/iomem after unplug: %s'
          % ('match' if kv.get('digest_match') == '1' else 'MISMATCH',
             'clean' if kv.get('iomem_clean') == '1' else 'NOT CLEAN'))
    note = plot(kv, threads, host.BUILD_DIR / 'memmap_speedup.png')
    print('plot: %s' % (note or host.BUILD_DIR / 'memmap_speedup.png'))
    tl = timeline(trace_events(text))
    share = idle_share(tl) if tl else float('nan')
    if tl:
        png = host.BUILD_DIR / 'memmap_timeline.png'
        note = plot_timeline(tl, kv, png)
        print('timeline of one reinit job (%d threads, %d chunks, %.1f ms): '
              '%s' % (tl[0], sum(len(v) for v in tl[3].values()),
                      (tl[2] - tl[1]) * 1e3, note or png))
    else:
        print('timeline: not available (no padata_mt tracepoints)')
    for k, goal in GOALS:
        print('goal %s >= %.2f: %s' % (k, goal, 'met' if r[k] >= goal else
                                       'NOT met (%.2f)' % r[k]))
    print('goal timeline.idle_share <= 0.05: %s' % (
        'met' if share <= 0.05 else 'NOT met (%.3f)' % share))
    first_ns = int(kv.get('bench_async_first_touch_median_ns') or 0)
    full_ns = int(kv.get('bench_async_full_median_ns') or 0)
    reinit_top = med('reinit', int(kv.get('bench_async_threads') or top))
    twopass = ratio(med('reinit_twopass', top), med('reinit', top))
    pct = 100.0 * ratio(first_ns, reinit_top)
    print('goal async first touch <= 1%% of the full reinit (%d threads, '
          '%.2f ms): %s (%.2f%%)' % (top, reinit_top / 1e6,
                                     'met' if pct <= 1.0 else 'NOT met', pct))
    print('two-pass reinit (memset the memmap, then init without zeroing) '
          'over one-pass, %d threads: %.2f (%s)' % (
              top, twopass, 'one-pass is faster' if twopass > 1 else
              'one-pass is NOT faster on this kernel'))
    print('wall time %.0f s; console log %s' % (time.monotonic() - t0, log))
    for k, _ in GOALS:
        print('ratio.%s=%.2f' % (k, r[k]))
    print('ratio.reinit_over_memset=%.2f' % r['reinit_over_memset'])
    print('timeline.idle_share=%.3f' % share)
    print('async.first_touch_us=%d' % round(first_ns / 1000))
    print('async.full_ms=%d' % round(full_ns / 1e6))
    print('ratio.reinit_twopass_over_onepass=%.2f' % twopass)
    ok = (kv.get('digest_match') == '1' and kv.get('iomem_clean') == '1' and
          first_ns > 0 and full_ns > 0)
    # Without tracefs there is no kernel baseline; every other ratio counts.
    if not m:
        del r['kernel_init_t1_over_reinit_t1']
    return 0 if ok and all(not math.isnan(v) for v in
                           list(r.values()) + [twopass]) else 1


if __name__ == '__main__':
    sys.exit(main())
