#!/usr/bin/env python3
"""The padata_mt test harness: the command line, the lane registry and the
summary.

    python3 tests/run.py [--lanes L,...] [--kver REL] [--suites S,...]
    python3 tests/run.py --list     the lanes, default or on demand
    make check [LANES=...] [KVER=...]

What each lane checks, and how: docs/testing.md and `run.py --list`.  A
bare kind (stock, rt, cloud, debug, topology) names its newest series'
lane.  The lanes run from tests/lib/ (lane_static.py, lane_dkms.py,
lane_package.py, lane_guest.py, sharing harness.py).  Each check and each
KTAP leaf test counts once in the last line, "N passed, N failed[, N
skipped]"; the exit status is 1 if anything failed.
"""

import argparse
import fcntl
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / 'lib'))
import harness  # noqa: E402
import host  # noqa: E402
import lane_dkms  # noqa: E402
import lane_docs  # noqa: E402
import lane_guest  # noqa: E402
import lane_package  # noqa: E402
import lane_static  # noqa: E402
from harness import LANES_DIR, Context, Lane, LaneError, say  # noqa: E402

SERIES = host.SERIES
NEWEST = SERIES[-1]


class LaneSpec:
    """One lane of the registry: its name, the function that runs it (with
    `args` after ctx and lane), a line for --list, and whether a plain
    `make check` runs it."""

    def __init__(self, name, func, what, args=(), default=True, series=None):
        self.name = name
        self.func = func
        self.what = what
        self.args = args
        self.default = default
        self.series = series


def lane_registry():
    st, gu = lane_static, lane_guest
    lanes = [
        LaneSpec('deps', st.lane_deps, 'tests/deps.sh: the Debian packages'),
        LaneSpec('build', st.lane_build, 'make W=1 for every series: zero '
                 'warnings; the probes detect what tests/kernels/'
                 'probes.expected says'),
        LaneSpec('sparse', st.lane_sparse, 'make C=1 for every series: zero '
                 'sparse findings'),
        LaneSpec('checkpatch', st.lane_checkpatch, 'checkpatch.pl --no-tree '
                 '(newest linux-source) over every .c/.h: zero findings'),
        LaneSpec('docs', lane_docs.lane_docs, 'docs/memmap_test.md\'s '
                 'command, key and file tables == memmap_test\'s command and '
                 'key tables and debugfs files; every module parameter '
                 'named in docs/; memmap_test\'s layers'),
        LaneSpec('version', st.lane_version, 'dkms.conf version == modinfo '
                 'version and vermagic, every series'),
        LaneSpec('mutants', st.lane_mutants, 'tests/mutants.py --check: '
                 'every mutant (a fixed defect put back) still '
                 'applies; `tests/mutants.py NAME` runs one on demand'),
        LaneSpec('dkms', lane_dkms.lane_dkms, 'make dkms-install for every '
                 'series, modinfo checks, each kernel boots the DKMS-built '
                 'modules (10-load), make dkms-remove leaves nothing'),
    ]
    for series in SERIES:
        lanes.append(LaneSpec(
            'package-%s' % series, lane_package.lane_package,
            'make deb, lintian; apt install (previous version, then this '
            'one): modules for every kernel with headers; hello_pmt built '
            'against the package; a later kernel; apt purge leaves '
            'nothing; %s boots the package\'s modules + hello_pmt' % series,
            args=(series,), series=series))
    kinds = (
        ('stock', gu.lane_stock, 'Debian %s generic kernel in QEMU, every '
         'guest suite', lambda s: True),
        ('rt', gu.lane_rt, 'Debian %s PREEMPT_RT kernel in QEMU, every guest '
         'suite', lambda s: True),
        ('cloud', gu.lane_cloud, 'Debian %s cloud kernel in QEMU, every guest '
         'suite', lambda s: True),
        ('debug', gu.lane_debug, 'a %s debug kernel (KASAN, lockdep, '
         'kmemleak, DEBUG_VM, DEBUG_OBJECTS, fault injection) built from '
         'linux-source and cached; every guest suite + the expected lockdep '
         'report', lambda s: s == NEWEST),
        ('topology', gu.lane_topology, 'Debian %s generic kernel in QEMU on '
         'NUMA nodes of 2+1+1+0 CPUs: 20-engine and topology.sh (placement, '
         'affinity, CPU hotplug races)', lambda s: True),
    )
    for kind, func, what, default in kinds:
        for series in SERIES:
            lanes.append(LaneSpec('%s-%s' % (kind, series), func,
                                  what % series, args=(series,),
                                  default=default(series), series=series))
    return lanes


LANES = lane_registry()
LANE_NAMES = [x.name for x in LANES]
# A bare kind names the newest series' lane.
ALIASES = {k: '%s-%s' % (k, NEWEST) for k in ('stock', 'rt', 'cloud', 'debug',
                                              'topology')}


def pick_lanes(arg, kver):
    """The lanes to run, in registry order: --lanes names (aliases
    resolved), or the default ones (--kver: only its series')."""
    if arg:
        names = [ALIASES.get(x.strip(), x.strip()) for x in arg.split(',')
                 if x.strip()]
        unknown = [x for x in names if x not in LANE_NAMES]
        if unknown or not names:
            raise SystemExit('run.py: unknown lane(s) %s; lanes are: %s '
                             '(aliases: %s)' % (
                                 ','.join(unknown) or '(none)',
                                 ','.join(LANE_NAMES),
                                 ', '.join('%s=%s' % kv
                                           for kv in ALIASES.items())))
        return [x for x in LANES if x.name in names]
    want = host.series(kver) if kver else None
    return [x for x in LANES if x.default and
            (x.series is None or want is None or x.series == want)]


def main():
    ap = argparse.ArgumentParser(
        description='Run the padata_mt test lanes; the last line is '
        '"N passed, N failed".')
    ap.add_argument('--lanes', default='',
                    help='comma-separated lanes (default: every lane --list '
                    'marks "default"); stock, rt, cloud, debug mean the '
                    'newest series')
    ap.add_argument('--list', action='store_true',
                    help='list the lanes and exit')
    ap.add_argument('--kver', default='',
                    help='a kernel release with headers installed: the '
                    'default lanes narrow to its series and build and boot '
                    'it (make check KVER=...)')
    ap.add_argument('--timeout', type=int, default=900,
                    help='hard limit for one guest boot, seconds (900)')
    ap.add_argument('--suites', default='',
                    help='comma-separated guest suites for the guest lanes '
                    '(default: every tests/guest/NN-*.sh)')
    ap.add_argument('--cpu', default=None,
                    help='QEMU -cpu model for the guest lanes (default: '
                    "QEMU's default)")
    args = ap.parse_args()
    if args.list:
        for x in LANES:
            say('%-13s %-9s %s' % (x.name, 'default' if x.default else
                                   'on demand', x.what))
        say('aliases: ' + ', '.join('%s=%s' % kv for kv in ALIASES.items()))
        return 0
    if args.kver:
        if not (Path('/lib/modules') / args.kver / 'build').exists():
            ap.error('--kver %s: no /lib/modules/%s/build; install '
                     'linux-headers-%s' % (args.kver, args.kver, args.kver))
        if host.series(args.kver) not in SERIES:
            ap.error('--kver %s: series %s is not one the suite knows (%s)'
                     % (args.kver, host.series(args.kver), ', '.join(SERIES)))
    lanes = pick_lanes(args.lanes, args.kver)
    if args.kver:
        other = [x.name for x in lanes if x.series and
                 x.series != host.series(args.kver)]
        if other:
            ap.error('--kver %s is a %s kernel; lanes %s are of another '
                     'series' % (args.kver, host.series(args.kver),
                                 ','.join(other)))

    LANES_DIR.mkdir(parents=True, exist_ok=True)
    lock = open(host.BUILD_DIR / '.check.lock', 'w')
    if not harness.try_lock(lock):
        say('another tests/run.py is running in this tree; waiting for it')
        fcntl.flock(lock, fcntl.LOCK_EX)

    ctx = Context(args)
    t_start = ctx.t_start
    say('padata_mt %s: lanes %s; logs under %s' % (
        ctx.version, ','.join(x.name for x in lanes), LANES_DIR))
    say('make would build for %s (%s)' % (ctx.release or '(no headers)',
                                          ctx.release_why))
    results = []
    for spec in lanes:
        lane = Lane(spec.name)
        say('')
        el = time.monotonic() - t_start
        say('--- %s: %s  [%d:%02d]' % (spec.name, spec.what, el // 60,
                                       el % 60))
        t0 = time.monotonic()
        try:
            spec.func(ctx, lane, *spec.args)
        except FileNotFoundError as e:
            lane.fail(spec.name, 'missing program or file %s: run '
                      'tests/deps.sh as root' % (e.filename or e))
        except (LaneError, host.VMError, OSError) as e:
            lines = str(e).split('\n')
            lane.fail(spec.name, lines[0], lines[1:])
        lane.seconds = time.monotonic() - t0
        status = 'FAIL' if lane.failed else 'ok'
        say('--- %s: %s, %d passed, %d failed%s in %.1f s%s' % (
            spec.name, status, lane.passed, lane.failed,
            ', %d skipped' % lane.skipped if lane.skipped else '',
            lane.seconds, ' (%s)' % lane.note if lane.note else ''))
        results.append(lane)

    total = time.monotonic() - t_start
    say('')
    say('%-12s %-5s %7s %7s %8s %9s' % ('lane', '', 'passed', 'failed',
                                        'skipped', 'seconds'))
    for r in results:
        say('%-12s %-5s %7d %7d %8d %9.1f' % (
            r.name, 'FAIL' if r.failed else 'ok', r.passed, r.failed,
            r.skipped, r.seconds))
    say('total wall time %.1f s' % total)
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    say('%d passed, %d failed%s' % (passed, failed, ', %d skipped' % skipped
                                    if skipped else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
