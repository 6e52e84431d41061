"""The guest lanes: stock-, rt-, cloud-<series> (a Debian kernel of that
flavour boots every guest suite), topology-<series> (uneven NUMA nodes:
20-engine and topology.sh) and debug-<series> (a debug kernel built from
linux-source: every suite, then the expected lockdep report), and
guest_lane(), which boots suites and counts their KTAP leaves into a lane
(the dkms and package lanes boot through it too).
"""

import time
from pathlib import Path

import debugkernel
import host
import initramfs
import klog
import ktap
import qemu
from harness import LANES_DIR, LaneError, findings, modinfo, say, tail

# A guest that has not reached /init by then, or printed nothing for
# INIT_SILENCE_S before it, hung in the kernel's own boot (before any module
# of ours): qemu.boot() kills it and boots once more.  The distro kernels get
# there in ~5 s under TCG, the debug kernel in 70-135 s, never silent for
# more than ~15 s on the way.
INIT_TIMEOUT_S = 120
DEBUG_INIT_TIMEOUT_S = 420
INIT_SILENCE_S = 90

# Every suite boot reserves 1 GiB at 8 GiB as legacy persistent memory
# (e820 type 12, "Persistent Memory (legacy)" in /proc/iomem), above the
# guest's RAM: 30-memmap.sh hotplugs over it with base= (the pmem case).
SUITE_CMDLINE = 'memmap=1G!8G'


def _print_ktap(rep):
    for line in rep.ktap_lines:
        say('  ' + line)


def guest_lane(lane, label, rel, kos, suites, workdir, timeout_s,
               expect_splats=None, extra_files=None, module_tree=None,
               **boot_kw):
    """Boot `suites` with `kos` (and extra_files, {guest path: host
    path}); count the KTAP leaves into `lane`.  module_tree: the kernel
    build tree the distro modules come from when /lib/modules has none
    (a debug kernel's)."""
    files = {'/tests/' + Path(p).name: p for p in suites}
    files.update(extra_files or {})
    img = initramfs.build_initramfs(rel, kos, files, workdir,
                                    module_tree=module_tree)
    log = workdir / 'console.log'
    boot_kw.setdefault('init_timeout_s', INIT_TIMEOUT_S)
    boot_kw.setdefault('init_silence_s', INIT_SILENCE_S)
    boot_kw['cmdline_extra'] = (SUITE_CMDLINE + ' ' +
                                boot_kw.get('cmdline_extra', '')).strip()
    try:
        text = qemu.boot(rel, img, log, timeout_s=timeout_s, **boot_kw)
    except qemu.VMTimeout as e:
        text = e.text
        msg = str(e).split('\n')
        lane.fail(label + ' guest', msg[0], msg[1:])
    hangs = getattr(text, 'boot_retries', 0)
    if hangs:
        say('  %s guest: hung before /init %d time(s), booted again (%s.hangN)'
            % (label, hangs, log))
        lane.note = ('%s; ' % lane.note if lane.note else '') + \
            '%s booted again after a hang before /init' % label
    rep = klog.evaluate(text, expect_splats=expect_splats)
    rep.text = text
    _print_ktap(rep)
    lane.passed += rep.passed
    lane.failed += rep.failed
    lane.skipped += rep.skipped
    say('  %s guest: %s (%d leaf tests)' % (label, rep.summary(),
                                           rep.passed + rep.skipped +
                                           len(rep.failures)))
    for line in klog.explain(rep, log):
        say('  ! ' + line)
    return rep


def _module_build(ctx, lane, label, rel, kdir=None):
    """Every module (tests too) for `rel`; any compiler or modpost warning
    fails.  Returns the BuildResult or None."""
    ctx.phase(lane, 'building the modules for %s' % rel)
    b = ctx.module_build(rel, kdir=kdir, sub='%s-src' % lane.name)
    bad = findings(b.output)
    if not b.ok:
        lane.fail(label, 'make exited %d; log %s' % (b.returncode, b.log),
                  bad[:40] or tail(b.output))
        return None
    if not lane.check(label, not bad, '%d warning(s) (modpost or compiler); '
                      'log %s' % (len(bad), b.log), bad[:60],
                      detail='%d modules, %.1f s' % (len(b.ko_files),
                                                     b.seconds)):
        return None
    # The modules are for the kernel this lane boots, nothing else.
    wrong = ['%s: %s' % (ko.name, modinfo(ko, 'vermagic')) for ko in b.ko_files
             if (modinfo(ko, 'vermagic') or '').split(' ')[0] != rel]
    if not lane.check('vermagic %s' % rel, not wrong, 'modules built for '
                      'another kernel', wrong):
        return None
    if not b.tests_built:
        lane.note = 'test modules not built'
    return b


# The stock lanes' test builds of memmap_test for tests/guest/15-layout.sh:
# without the running kernel's struct page layout row, and with that row's
# refcounts wrong.
LAYOUT_VARIANTS = (('PMT_LAYOUT_OMIT=1', '/tests/variants/memmap_test-nolayout.ko'),
                   ('PMT_LAYOUT_CORRUPT=1', '/tests/variants/memmap_test-corrupt.ko'))


def _layout_variant_builds(ctx, lane, rel):
    """{guest path: memmap_test.ko} of each layout test build."""
    files = {}
    for arg, guest in LAYOUT_VARIANTS:
        b = ctx.module_build(rel, make_args=[arg], sub='%s-%s' % (
            lane.name, arg.split('=')[0].lower()))
        if lane.check('make %s (%s)' % (arg, rel), b.ok,
                      'make exited %d; log %s' % (b.returncode, b.log),
                      tail(b.output)):
            files[guest] = b.srcdir / 'memmap_test.ko'
    return files


def _distro_lane(ctx, lane, flav, series):
    """A Debian kernel of `series` and flavour `flav` (generic for the
    stock lanes): build against its headers, boot every suite."""
    rel = ctx.release_for(series, flav)
    host.check_release(rel)
    b = _module_build(ctx, lane, 'make (%s)' % rel, rel)
    if not b:
        return
    extra_files = _layout_variant_builds(ctx, lane, rel) \
        if flav == 'generic' else {}
    suites, extra = ctx.suites()
    say('  %d suites: %s' % (len(suites), ' '.join(s.stem for s in suites)))
    ctx.phase(lane, 'booting %s' % rel)
    guest_lane(lane, lane.name, rel, b.ko_files, suites,
               LANES_DIR / lane.name, ctx.args.timeout, smp=2, mem='4G',
               numa_nodes=2, cpu_model=ctx.args.cpu, cmdline_extra=extra,
               extra_files=extra_files)


def lane_stock(ctx, lane, series):
    _distro_lane(ctx, lane, 'generic', series)


def lane_rt(ctx, lane, series):
    _distro_lane(ctx, lane, 'rt', series)


def lane_cloud(ctx, lane, series):
    _distro_lane(ctx, lane, 'cloud', series)


# The topology lanes' guest: nodes of 2, 1 and 1 CPUs and a memory-only
# node (4 vCPUs: more stall under TCG on a 2-core host), the shape on which
# placement, affinity and hotplug can do what 2 vCPUs on 2 nodes cannot.
TOPOLOGY_NODE_CPUS = (2, 1, 1, 0)
TOPOLOGY_SUITES = ('20-engine', 'topology')
# 20-engine's battery, trimmed to keep the lane to a few minutes at 4 vCPUs
# (tests/guest/20-engine.sh passes pmt.selftest= to modprobe).
TOPOLOGY_SELFTEST = 'pmt.selftest=combos=300,callers=16,rounds=25'


def lane_topology(ctx, lane, series):
    """The Debian generic kernel of `series` on TOPOLOGY_NODE_CPUS:
    20-engine.sh and topology.sh (or the --suites named among them)."""
    rel = ctx.release_for(series, 'generic')
    host.check_release(rel)
    b = _module_build(ctx, lane, 'make (%s)' % rel, rel)
    if not b:
        return
    names = TOPOLOGY_SUITES
    if ctx.args.suites:
        names = [x.strip().rsplit('.sh', 1)[0] for x in
                 ctx.args.suites.split(',') if x.strip()]
        unknown = [x for x in names if x not in TOPOLOGY_SUITES]
        if unknown:
            raise LaneError('the topology lanes run %s; not %s' % (
                ', '.join(TOPOLOGY_SUITES), ', '.join(unknown)))
    suites = [host.GUEST_DIR / (x + '.sh') for x in names]
    say('  %d suites: %s; NUMA nodes of %s CPUs' % (
        len(suites), ' '.join(names),
        '+'.join(map(str, TOPOLOGY_NODE_CPUS))))
    ctx.phase(lane, 'booting %s' % rel)
    guest_lane(lane, lane.name, rel, b.ko_files, suites,
               LANES_DIR / lane.name, ctx.args.timeout, mem='4G',
               node_cpus=list(TOPOLOGY_NODE_CPUS), cpu_model=ctx.args.cpu,
               cmdline_extra='pmt.suites=%s %s' % (','.join(names),
                                                   TOPOLOGY_SELFTEST))


# What the debug kernel prints at boot when its checkers are live.
DEBUG_BOOT_MARKERS = (
    ('KASAN', 'KernelAddressSanitizer initialized'),
    ('lockdep', 'Lock dependency validator'),
    ('kmemleak', 'Kernel memory leak detector initialized'),
)
# Only the debug lane's failslab cache: 40-faultinject.sh fails its
# allocations in any thread of a job.
DEBUG_CMDLINE = 'slub_debug=A,padata_mt_st_fault'


def lane_debug(ctx, lane, series):
    ctx.phase(lane, 'debug kernel %s: looking up the cache (%s)'
              % (series, debugkernel.CACHE))
    t0 = time.monotonic()
    try:
        d = debugkernel.build(series)
    except debugkernel.KernelBuildError as e:
        raise LaneError('debug kernel: %s' % e)
    rel = (d / 'release').read_text().strip()
    built = (d / 'ok').read_text().strip()
    lane.ok('debug kernel', '%s, %s' % (
        rel, 'cached in %s (%s)' % (d, built) if time.monotonic() - t0 < 60
        else built))
    b = _module_build(ctx, lane, 'make against the debug kernel (%s)' % rel,
                      rel, kdir=d / 'linux')
    if not b:
        return
    suites, extra = ctx.suites()
    suites = ([host.GUEST_DIR / 'debug-begin.sh'] + suites +
              [host.GUEST_DIR / 'debug-end.sh'])
    extra = 'pmt.suites=' + ','.join(s.stem for s in suites)
    say('  %d suites: %s' % (len(suites), ' '.join(s.stem for s in suites)))
    ctx.phase(lane, 'booting the debug kernel, every suite')
    timeout = ctx.args.timeout * 3
    rep = guest_lane(lane, lane.name, rel, b.ko_files, suites,
                     LANES_DIR / lane.name, timeout, smp=2, mem='4G',
                     numa_nodes=2, cpu_model=ctx.args.cpu,
                     kernel=d / 'bzImage', module_tree=d / 'linux',
                     init_timeout_s=DEBUG_INIT_TIMEOUT_S,
                     cmdline_extra=DEBUG_CMDLINE + ' ' + extra)
    missing = [what for what, marker in DEBUG_BOOT_MARKERS
               if marker not in rep.text]
    lane.check('KASAN, lockdep and kmemleak live at boot', not missing,
               'not in the boot log: %s' % ', '.join(missing))
    for name in ('kmemleak_no_leaks', 'lockdep_still_live'):
        r = ktap.find_leaf(rep.lists, name)
        lane.check('%s ran and passed' % name, r is not None and r.ok and
                   not r.skipped, 'debug-end.sh: %s' % (
                       'never ran' if r is None else
                       'skipped (%s)' % r.reason if r.skipped else 'failed'))

    ctx.phase(lane, 'booting the debug kernel: the expected lockdep report')
    guest_lane(lane, lane.name + '-splat', rel, b.ko_files,
               [host.GUEST_DIR / 'lockdep-splat.sh'],
               LANES_DIR / (lane.name + '-splat'), ctx.args.timeout,
               expect_splats={'caller_lock_inversion': 'lockdep'},
               smp=2, mem='2G', numa_nodes=2, cpu_model=ctx.args.cpu,
               kernel=d / 'bzImage', init_timeout_s=DEBUG_INIT_TIMEOUT_S,
               cmdline_extra='pmt.suites=lockdep-splat')
