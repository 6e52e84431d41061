#!/usr/bin/env python3
"""The padata_mt test suite: every lane, one summary line.

    python3 tests/run.py [--lanes deps,build,...]     (make check [LANES=...])

Lanes, in order:
  deps        tests/deps.sh: the Debian packages the suite needs
  build       make W=1 (with the test modules): zero warnings
  sparse      make C=1: zero sparse findings
  checkpatch  checkpatch.pl --no-tree (from linux-source-6.1, cached outside
              the repo) over every .c/.h: zero findings
  version     dkms.conf PACKAGE_VERSION == modinfo version of each module
  dkms        make dkms-install, modinfo checks, boot the DKMS-built modules
              in the guest (10-load.sh), make dkms-remove, nothing left
  stock       boot the distro kernel (2 vCPUs, 4G, 2 NUMA nodes) with every
              module and every tests/guest/NN-*.sh suite; parse KTAP
  rt          the same on Debian's PREEMPT_RT flavour (linux-image-rt-amd64),
              modules built against its headers
  cloud       the same on Debian's cloud flavour (linux-image-cloud-amd64)
  debug       a debug kernel (KASAN, lockdep, kmemleak, DEBUG_VM, DEBUG_OBJECTS,
              fault injection) built once from linux-source-6.1 and cached
              (tests/lib/debugkernel.py); modules built against its tree with
              zero warnings; every suite between debug-begin.sh and
              debug-end.sh (kmemleak: no leak; lockdep still live); then a
              boot of its own for the one expected report (lockdep-splat.sh)

Every build happens in a fresh copy of the tree under build/lanes/, so the
developer's tree is never touched and nothing stale is reused.  Guest console
logs: build/lanes/<lane>/console.log.  Each check and each KTAP leaf test
counts once in the last line, "N passed, N failed[, N skipped]"; the exit
status is 1 if anything failed.
"""

import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / 'lib'))
import debugkernel  # noqa: E402
import ktap  # noqa: E402
import vm  # noqa: E402

REPO = vm.REPO
LANES_DIR = vm.BUILD_DIR / 'lanes'
LANES = ('deps', 'build', 'sparse', 'checkpatch', 'version', 'dkms', 'stock',
         'rt', 'cloud', 'debug')
MAIN_MODULES = ('padata_mt', 'memmap_test')
SOURCE_DIRS = ('padata_mt/', 'memmap_test/', 'tests/modules/')

# A guest that has not reached /init by then, or printed nothing for
# INIT_SILENCE_S before it, hung in the kernel's own boot (before any module
# of ours): vm.boot() kills it and boots once more.  The distro kernels get
# there in ~5 s under TCG, the debug kernel in 70-135 s, never silent for
# more than ~15 s on the way.
INIT_TIMEOUT_S = 120
DEBUG_INIT_TIMEOUT_S = 420
INIT_SILENCE_S = 90

# Every suite boot reserves 1 GiB at 8 GiB as legacy persistent memory
# (e820 type 12, "Persistent Memory (legacy)" in /proc/iomem), above the
# guest's RAM: 30-memmap.sh hotplugs over it with base= (the pmem case).
SUITE_CMDLINE = 'memmap=1G!8G'

KBUILD_PROGRESS = re.compile(r'^\s+(CC|LD|AR|AS|MODPOST|CHECK|BTF|OBJTOOL)\b')
FINDING = re.compile(r'(?i)warning:|\berror\b|\*\*\*')


def say(msg=''):
    print(msg, flush=True)


def tool(name):
    for p in (shutil.which(name), '/usr/sbin/' + name, '/sbin/' + name):
        if p and os.path.exists(p):
            return p
    return None


def sh(args, **kw):
    """Run a command; return (exit status, combined output)."""
    r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, check=False, **kw)
    return r.returncode, r.stdout.decode(errors='replace')


def tail(text, n=25):
    return text.rstrip('\n').split('\n')[-n:]


class Lane:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0
        self.seconds = 0.0
        self.note = ''

    def ok(self, name, detail=''):
        self.passed += 1
        say('  ok    %s%s' % (name, ('  (' + detail + ')') if detail else ''))

    def fail(self, name, why, lines=()):
        self.failed += 1
        say('  FAIL  %s: %s' % (name, why))
        for line in lines:
            say('        | ' + line)

    def skip(self, name, why):
        self.skipped += 1
        say('  skip  %s: %s' % (name, why))

    def check(self, name, good, why='', lines=(), detail=''):
        if good:
            self.ok(name, detail)
        else:
            self.fail(name, why, lines)
        return good


class Context:
    def __init__(self, args):
        self.args = args
        self.release = vm.newest_release()
        self.version = vm.dkms_version()
        self._stock_build = None
        self.w1_build = None
        self.t_start = time.monotonic()

    def phase(self, lane, msg):
        """One progress line per phase, with the run's elapsed time."""
        t = time.monotonic() - self.t_start
        say('  [%2d:%02d] %s: %s' % (t // 60, t % 60, lane.name, msg))

    def suites(self):
        """(guest suites, pmt.suites= argument or '') for the guest lanes:
        every tests/guest/NN-*.sh, or the ones --suites names."""
        suites = vm.guest_suites()
        if not self.args.suites:
            return suites, ''
        names = [x.strip().rsplit('.sh', 1)[0] for x in
                 self.args.suites.split(',') if x.strip()]
        unknown = [n for n in names if n not in [x.stem for x in suites]]
        if unknown:
            raise LaneError('no such suite(s): %s; suites are: %s' % (
                ', '.join(unknown), ' '.join(x.stem for x in suites)))
        suites = [x for x in suites if x.stem in names]
        return suites, 'pmt.suites=' + ','.join(x.stem for x in suites)

    def need_release(self):
        if not self.release:
            raise LaneError('no kernel headers under /lib/modules/*/build: '
                            'run tests/deps.sh as root (installs '
                            'linux-headers-amd64)')
        return self.release

    def stock_build(self):
        """make PADATA_MT_TESTS=1 in build/lanes/stock-src (shared by the
        version and stock lanes)."""
        if self._stock_build is None and self.w1_build is not None and \
                self.w1_build.ok:
            # W=1 adds warnings, not code: the build lane's modules serve.
            say('  using the build lane\'s modules (%s)'
                % self.w1_build.srcdir)
            self._stock_build = self.w1_build
        if self._stock_build is None:
            rel = self.need_release()
            b = vm.build_modules(rel, LANES_DIR / 'stock-src', tests=True)
            (LANES_DIR / 'stock-build.log').write_text(b.output)
            self._stock_build = b
        if not self._stock_build.ok:
            raise LaneError('make failed (log %s):\n%s' % (
                LANES_DIR / 'stock-build.log',
                '\n'.join(tail(self._stock_build.output))))
        return self._stock_build


class LaneError(Exception):
    pass


# ------------------------------------------------------------------ lanes

def lane_deps(ctx, lane):
    rc, out = sh(['bash', str(REPO / 'tests' / 'deps.sh')])
    lane.check('debian packages present', rc == 0,
               'tests/deps.sh exited %d' % rc, tail(out))


def _make_lane(ctx, lane, label, make_args, sub, need_check_lines=False):
    rel = ctx.need_release()
    b = vm.build_modules(rel, LANES_DIR / sub, tests=True,
                         make_args=make_args)
    if make_args == ['W=1']:
        ctx.w1_build = b
    log = LANES_DIR / (sub + '.log')
    log.write_text(b.output)
    lines = b.output.split('\n')
    bad = [line for line in lines
           if FINDING.search(line) and not KBUILD_PROGRESS.match(line)]
    if not b.tests_built:
        lane.note = 'without the test modules'
    if need_check_lines and b.ok and \
            not any(re.match(r'^\s+CHECK\s', line) for line in lines):
        lane.fail(label, 'sparse never ran (no CHECK lines): apt-get install '
                  'sparse, or run tests/deps.sh; log %s' % log, tail(b.output))
        return
    if not b.ok:
        lane.fail(label, 'make exited %d; log %s' % (b.returncode, log),
                  bad[:40] or tail(b.output))
    else:
        lane.check(label, not bad, '%d finding(s); log %s' % (len(bad), log),
                   bad[:60], detail='%s, %d modules, %.1f s' % (
                       rel, len(b.ko_files), b.seconds))


def lane_build(ctx, lane):
    _make_lane(ctx, lane, 'make W=1', ['W=1'], 'build-w1')


def lane_sparse(ctx, lane):
    _make_lane(ctx, lane, 'make C=1 (sparse)', ['C=1'], 'sparse',
               need_check_lines=True)


def checkpatch_cache_root():
    env = os.environ.get('PMT_CACHE')
    if env:
        return Path(env)
    var = Path('/var/cache/padata_mt')
    try:
        var.mkdir(parents=True, exist_ok=True)
        if os.access(var, os.W_OK):
            return var
    except OSError:
        pass
    return Path(os.environ.get('XDG_CACHE_HOME',
                               Path.home() / '.cache')) / 'padata_mt'


def ensure_checkpatch():
    """scripts/checkpatch.pl + data files from the linux-source tarball,
    extracted once into <cache>/checkpatch-<package version>/."""
    tarballs = sorted(Path('/usr/src').glob('linux-source-*.tar.xz'),
                      key=lambda p: vm._version_key(p.name))
    if not tarballs:
        raise LaneError('no /usr/src/linux-source-*.tar.xz: run tests/deps.sh '
                        'as root (installs linux-source-6.1)')
    tarball = tarballs[-1]
    top = tarball.name[:-len('.tar.xz')]
    rc, ver = sh(['dpkg-query', '-W', '-f=${Version}', top])
    ver = ver.strip() if rc == 0 and ver.strip() else \
        str(int(tarball.stat().st_mtime))
    dest = checkpatch_cache_root() / ('checkpatch-' + ver)
    script = dest / 'scripts' / 'checkpatch.pl'
    if script.exists():
        return script, False
    t0 = time.monotonic()
    tmp = dest.parent / (dest.name + '.tmp%d' % os.getpid())
    tmp.mkdir(parents=True)
    members = ['%s/scripts/%s' % (top, f) for f in
               ('checkpatch.pl', 'spelling.txt', 'const_structs.checkpatch')]
    rc, out = sh(['tar', '-xJf', str(tarball), '-C', str(tmp),
                  '--strip-components=1'] + members)
    if rc != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LaneError('extracting checkpatch from %s failed:\n%s'
                        % (tarball, out))
    try:
        tmp.rename(dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)   # a concurrent run won
    say('  extracted checkpatch.pl from %s into %s in %.1f s'
        % (tarball, dest, time.monotonic() - t0))
    return script, True


COMPAT_HEADER = 'padata_mt/compat.h'


def lane_checkpatch(ctx, lane):
    script, _ = ensure_checkpatch()
    files = sorted(f for f in vm.source_files()
                   if f.startswith(SOURCE_DIRS) and f.endswith(('.c', '.h')))
    if not files:
        lane.fail('checkpatch', 'no .c/.h files found under %s'
                  % ', '.join(SOURCE_DIRS))
        return
    # cwd = the repo: a project .checkpatch.conf there is honoured.
    # The compat header is the one file whose job is to test the kernel
    # version: only there are the version checks themselves allowed.
    def run(f):
        extra = (['--ignore', 'LINUX_VERSION_CODE,CONSTANT_COMPARISON']
                 if f == COMPAT_HEADER else [])
        return sh(['perl', str(script), '--no-tree', '--show-types',
                   '--quiet'] + extra + ['--file', f], cwd=REPO)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outs = list(pool.map(run, files))
    for f, (rc, out) in zip(files, outs):
        findings = [line for line in out.split('\n')
                    if re.match(r'^(ERROR|WARNING|CHECK):', line)]
        lane.check('checkpatch ' + f, rc == 0 and not findings,
                   '%d finding(s)' % len(findings), out.rstrip('\n')
                   .split('\n')[:60])


def modinfo(ko, field):
    rc, out = sh([tool('modinfo') or 'modinfo', '-F', field, str(ko)])
    return out.strip() if rc == 0 else None


def lane_version(ctx, lane):
    b = ctx.stock_build()
    for m in MAIN_MODULES:
        ko = b.srcdir / (m + '.ko')
        v = modinfo(ko, 'version')
        magic = (modinfo(ko, 'vermagic') or '').split(' ')[0]
        lane.check('%s version' % m, v == ctx.version and magic == ctx.release,
                   'modinfo: version %r vermagic %r; dkms.conf %r, kernel %r'
                   % (v, magic, ctx.version, ctx.release),
                   detail='%s == dkms.conf, vermagic %s' % (v, magic))


def _print_ktap(rep):
    for line in rep.ktap_lines:
        say('  ' + line)


def _guest_lane(lane, label, rel, kos, suites, workdir, timeout_s,
                expect_splats=None, **boot_kw):
    """Boot `suites` with `kos`; count the KTAP leaves into `lane`."""
    img = vm.build_initramfs(rel, kos, suites, workdir)
    log = workdir / 'console.log'
    boot_kw.setdefault('init_timeout_s', INIT_TIMEOUT_S)
    boot_kw.setdefault('init_silence_s', INIT_SILENCE_S)
    boot_kw['cmdline_extra'] = (SUITE_CMDLINE + ' ' +
                                boot_kw.get('cmdline_extra', '')).strip()
    try:
        text = vm.boot(rel, img, log, timeout_s=timeout_s, **boot_kw)
    except vm.VMTimeout as e:
        text = e.text
        msg = str(e).split('\n')
        lane.fail(label + ' guest', msg[0], msg[1:])
    hangs = getattr(text, 'boot_retries', 0)
    if hangs:
        say('  %s guest: hung before /init %d time(s), booted again (%s.hangN)'
            % (label, hangs, log))
        lane.note = ('%s; ' % lane.note if lane.note else '') + \
            '%s booted again after a hang before /init' % label
    rep = ktap.evaluate(text, expect_splats=expect_splats)
    rep.text = text
    _print_ktap(rep)
    lane.passed += rep.passed
    lane.failed += rep.failed
    lane.skipped += rep.skipped
    say('  %s guest: %s (%d leaf tests)' % (label, rep.summary(),
                                           rep.passed + rep.skipped +
                                           len(rep.failures)))
    for line in ktap.explain(rep, log):
        say('  ! ' + line)
    return rep


def dkms_status(name='padata_mt'):
    rc, out = sh(['dkms', 'status', name])
    return [line for line in out.split('\n') if line.strip()]


def lane_dkms(ctx, lane):
    rel = ctx.need_release()
    if os.geteuid() != 0:
        raise LaneError('the dkms lane installs into /usr/src and '
                        '/lib/modules: run as root (sudo make check)')
    if not shutil.which('dkms'):
        raise LaneError('dkms is not installed: run tests/deps.sh as root')
    # One DKMS tree per machine: never two runs at once.
    lock = open('/run/lock/padata_mt-dkms.lock' if os.path.isdir('/run/lock')
                else '/tmp/padata_mt-dkms.lock', 'w')
    if not _try_lock(lock):
        say('  waiting for another run\'s dkms lane to finish')
        fcntl.flock(lock, fcntl.LOCK_EX)
    ver = ctx.version
    for line in dkms_status():
        say('  removing a previous registration: ' + line)
        m = re.match(r'padata_mt/([^,:\s]+)', line)
        if m:
            sh(['dkms', 'remove', 'padata_mt/' + m.group(1), '--all'])
    src = vm.copy_sources(LANES_DIR / 'dkms-src')
    env = dict(os.environ, KERNELRELEASE=rel)
    env.pop('MAKEFLAGS', None)
    log = LANES_DIR / 'dkms.log'
    try:
        t0 = time.monotonic()
        rc, out = sh(['make', '-C', str(src), 'dkms-install'], env=env)
        log.write_text(out)
        if not lane.check('make dkms-install', rc == 0,
                          'exit %d; log %s' % (rc, log), tail(out, 30),
                          detail='%s, %.1f s' % (rel, time.monotonic() - t0)):
            return
        dest = Path('/lib/modules') / rel / 'updates' / 'dkms'
        kos = []
        for m in MAIN_MODULES:
            ko = dest / (m + '.ko')
            if not lane.check('%s installed' % m, ko.exists(),
                              '%s missing (compressed: %s)' % (
                                  ko, ', '.join(p.name for p in
                                                dest.glob(m + '.ko.*'))
                                  or 'no')):
                continue
            kos.append(ko)
            v = modinfo(ko, 'version')
            magic = (modinfo(ko, 'vermagic') or '').split(' ')[0]
            lane.check('%s modinfo version/vermagic' % m,
                       v == ver and magic == rel,
                       'version %r vermagic %r, expected %r %r'
                       % (v, magic, ver, rel), detail='%s, %s' % (v, magic))
            signer = modinfo(ko, 'signer')
            if signer:
                lane.ok('%s signed' % m, 'signer: %s' % signer)
            else:
                lane.skip('%s signed' % m, 'unsigned (dkms had no signing '
                          'key); the Debian kernel loads it and taints E')
        if (dest / 'memmap_test.ko').exists():
            deps = modinfo(dest / 'memmap_test.ko', 'depends') or ''
            lane.check('memmap_test depends on padata_mt',
                       'padata_mt' in deps.split(','),
                       'modinfo depends: %r' % deps)
        if len(kos) == len(MAIN_MODULES):
            _guest_lane(lane, 'dkms', rel, kos,
                        [vm.GUEST_DIR / '10-load.sh'], LANES_DIR / 'dkms',
                        ctx.args.timeout, smp=2, mem='2G', numa_nodes=2)
    finally:
        rc, out = sh(['make', '-C', str(src), 'dkms-remove'], env=env)
        with open(log, 'a') as f:
            f.write(out)
        left = dkms_status()
        leftovers = [str(p) for p in
                     [Path('/usr/src/padata_mt-%s' % ver)] +
                     [Path('/lib/modules') / rel / 'updates' / 'dkms' /
                      (m + '.ko') for m in MAIN_MODULES] if p.exists()]
        lane.check('make dkms-remove leaves nothing', not left and
                   not leftovers, 'dkms status: %s; files: %s'
                   % (left or 'empty', leftovers or 'none'),
                   detail='dkms status padata_mt: empty')
        lock.close()


def _try_lock(f):
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def lane_stock(ctx, lane):
    b = ctx.stock_build()
    rel = ctx.release
    if not b.tests_built:
        lane.note = 'test modules not built'
    suites, extra = ctx.suites()
    say('  %d suites: %s' % (len(suites), ' '.join(s.stem for s in suites)))
    ctx.phase(lane, 'booting %s' % rel)
    _guest_lane(lane, 'stock', rel, b.ko_files, suites, LANES_DIR / 'stock',
                ctx.args.timeout, smp=2, mem='4G', numa_nodes=2,
                cpu_model=ctx.args.cpu, cmdline_extra=extra)


def _module_build(ctx, lane, label, rel, sub, kdir=None):
    """Build every module (tests too) for `rel` in build/lanes/<sub>; any
    compiler or modpost warning fails.  Returns the BuildResult or None."""
    ctx.phase(lane, 'building the modules for %s' % rel)
    b = vm.build_modules(rel, LANES_DIR / sub, tests=True, kdir=kdir)
    log = LANES_DIR / (sub + '.log')
    log.write_text(b.output)
    bad = [line for line in b.output.split('\n')
           if FINDING.search(line) and not KBUILD_PROGRESS.match(line)]
    if not b.ok:
        lane.fail(label, 'make exited %d; log %s' % (b.returncode, log),
                  bad[:40] or tail(b.output))
        return None
    if not lane.check(label, not bad, '%d warning(s) (modpost or compiler); '
                      'log %s' % (len(bad), log), bad[:60],
                      detail='%d modules, %.1f s' % (len(b.ko_files),
                                                     b.seconds)):
        return None
    if not b.tests_built:
        lane.note = 'test modules not built'
    return b


def _flavour_lane(ctx, lane, flav):
    rel = vm.newest_release(flav)
    if not rel:
        raise LaneError('no linux-headers-*-%s-amd64 under /lib/modules: run '
                        'tests/deps.sh as root (installs linux-image-%s-amd64 '
                        'and linux-headers-%s-amd64)' % (flav, flav, flav))
    vm.check_release(rel)
    b = _module_build(ctx, lane, 'make (%s)' % rel, rel, flav + '-src')
    if not b:
        return
    suites, extra = ctx.suites()
    say('  %d suites: %s' % (len(suites), ' '.join(s.stem for s in suites)))
    ctx.phase(lane, 'booting %s' % rel)
    _guest_lane(lane, flav, rel, b.ko_files, suites, LANES_DIR / flav,
                ctx.args.timeout, smp=2, mem='4G', numa_nodes=2,
                cpu_model=ctx.args.cpu, cmdline_extra=extra)


def lane_rt(ctx, lane):
    _flavour_lane(ctx, lane, 'rt')


def lane_cloud(ctx, lane):
    _flavour_lane(ctx, lane, 'cloud')


def _leaf(rep, name):
    """The KTAP leaf result called `name` anywhere in the report, or None."""
    def walk(tl):
        for r in tl.results:
            if r.name == name and (r.children is None or
                                   not r.children.results):
                return r
            if r.children is not None:
                found = walk(r.children)
                if found:
                    return found
        return None
    for tl in rep.lists:
        found = walk(tl)
        if found:
            return found
    return None


# What the debug kernel prints at boot when its checkers are live.
DEBUG_BOOT_MARKERS = (
    ('KASAN', 'KernelAddressSanitizer initialized'),
    ('lockdep', 'Lock dependency validator'),
    ('kmemleak', 'Kernel memory leak detector initialized'),
)
# Only the debug lane's failslab cache: 40-faultinject.sh fails its
# allocations in any thread of a job.
DEBUG_CMDLINE = 'slub_debug=A,padata_mt_st_fault'


def lane_debug(ctx, lane):
    ctx.phase(lane, 'debug kernel: looking up the cache (%s)'
              % debugkernel.CACHE)
    t0 = time.monotonic()
    try:
        d = debugkernel.build()
    except debugkernel.KernelBuildError as e:
        raise LaneError('debug kernel: %s' % e)
    rel = (d / 'release').read_text().strip()
    built = (d / 'ok').read_text().strip()
    lane.ok('debug kernel', '%s, %s' % (
        rel, 'cached in %s (%s)' % (d, built) if time.monotonic() - t0 < 60
        else built))
    b = _module_build(ctx, lane, 'make against the debug kernel (%s)' % rel,
                      rel, 'debug-src', kdir=d / 'linux')
    if not b:
        return
    suites, extra = ctx.suites()
    suites = ([vm.GUEST_DIR / 'debug-begin.sh'] + suites +
              [vm.GUEST_DIR / 'debug-end.sh'])
    extra = 'pmt.suites=' + ','.join(s.stem for s in suites)
    say('  %d suites: %s' % (len(suites), ' '.join(s.stem for s in suites)))
    ctx.phase(lane, 'booting the debug kernel, every suite')
    timeout = ctx.args.timeout * 3
    rep = _guest_lane(lane, 'debug', rel, b.ko_files, suites,
                      LANES_DIR / 'debug', timeout, smp=2, mem='4G',
                      numa_nodes=2, cpu_model=ctx.args.cpu,
                      kernel=d / 'bzImage',
                      init_timeout_s=DEBUG_INIT_TIMEOUT_S,
                      cmdline_extra=DEBUG_CMDLINE + ' ' + extra)
    missing = [what for what, marker in DEBUG_BOOT_MARKERS
               if marker not in rep.text]
    lane.check('KASAN, lockdep and kmemleak live at boot', not missing,
               'not in the boot log: %s' % ', '.join(missing))
    for name in ('kmemleak_no_leaks', 'lockdep_still_live'):
        r = _leaf(rep, name)
        lane.check('%s ran and passed' % name, r is not None and r.ok and
                   not r.skipped, 'debug-end.sh: %s' % (
                       'never ran' if r is None else
                       'skipped (%s)' % r.reason if r.skipped else 'failed'))

    ctx.phase(lane, 'booting the debug kernel: the expected lockdep report')
    _guest_lane(lane, 'debug-splat', rel, b.ko_files,
                [vm.GUEST_DIR / 'lockdep-splat.sh'],
                LANES_DIR / 'debug-splat', ctx.args.timeout,
                expect_splats={'caller_lock_inversion': 'lockdep'},
                smp=2, mem='2G', numa_nodes=2, cpu_model=ctx.args.cpu,
                kernel=d / 'bzImage', init_timeout_s=DEBUG_INIT_TIMEOUT_S,
                cmdline_extra='pmt.suites=lockdep-splat')


LANE_FUNCS = {
    'deps': (lane_deps, 'tests/deps.sh'),
    'build': (lane_build, 'make W=1, zero warnings'),
    'sparse': (lane_sparse, 'make C=1, zero sparse findings'),
    'checkpatch': (lane_checkpatch, 'checkpatch.pl --no-tree, zero findings'),
    'version': (lane_version, 'dkms.conf version == modinfo version'),
    'dkms': (lane_dkms, 'dkms install, guest load, dkms remove'),
    'stock': (lane_stock, 'Debian kernel in QEMU, every guest suite'),
    'rt': (lane_rt, 'Debian PREEMPT_RT kernel in QEMU, every guest suite'),
    'cloud': (lane_cloud, 'Debian cloud kernel in QEMU, every guest suite'),
    'debug': (lane_debug, 'debug kernel (KASAN, lockdep, kmemleak, fault '
              'injection) in QEMU, every guest suite + the expected lockdep '
              'report'),
}


def main():
    ap = argparse.ArgumentParser(
        description='Run the padata_mt test lanes; the last line is '
        '"N passed, N failed".')
    ap.add_argument('--lanes', default=','.join(LANES),
                    help='comma-separated subset of: %s' % ','.join(LANES))
    ap.add_argument('--timeout', type=int, default=900,
                    help='hard limit for one guest boot, seconds (900)')
    ap.add_argument('--suites', default='',
                    help='comma-separated guest suites for the guest lanes '
                    '(stock, rt, cloud, debug; default: every '
                    'tests/guest/NN-*.sh)')
    ap.add_argument('--cpu', default=None,
                    help='QEMU -cpu model for the guest lanes (default: '
                    "QEMU's default)")
    args = ap.parse_args()
    lanes = [x.strip() for x in args.lanes.split(',') if x.strip()]
    unknown = [x for x in lanes if x not in LANES]
    if unknown or not lanes:
        ap.error('unknown lane(s) %s; lanes are: %s'
                 % (','.join(unknown) or '(none)', ','.join(LANES)))
    lanes = [x for x in LANES if x in lanes]

    LANES_DIR.mkdir(parents=True, exist_ok=True)
    lock = open(vm.BUILD_DIR / '.check.lock', 'w')
    if not _try_lock(lock):
        say('another tests/run.py is running in this tree; waiting for it')
        fcntl.flock(lock, fcntl.LOCK_EX)

    ctx = Context(args)
    t_start = ctx.t_start
    say('padata_mt %s: lanes %s; kernel %s; logs under %s' % (
        ctx.version, ','.join(lanes), ctx.release or '(no headers)',
        LANES_DIR))
    results = []
    for name in lanes:
        func, what = LANE_FUNCS[name]
        lane = Lane(name)
        say('')
        el = time.monotonic() - t_start
        say('--- %s: %s  [%d:%02d]' % (name, what, el // 60, el % 60))
        t0 = time.monotonic()
        try:
            func(ctx, lane)
        except FileNotFoundError as e:
            lane.fail(name, 'missing program or file %s: run tests/deps.sh '
                      'as root' % (e.filename or e))
        except (LaneError, vm.VMError, OSError) as e:
            lines = str(e).split('\n')
            lane.fail(name, lines[0], lines[1:])
        lane.seconds = time.monotonic() - t0
        status = 'FAIL' if lane.failed else 'ok'
        say('--- %s: %s, %d passed, %d failed%s in %.1f s%s' % (
            name, status, lane.passed, lane.failed,
            ', %d skipped' % lane.skipped if lane.skipped else '',
            lane.seconds, ' (%s)' % lane.note if lane.note else ''))
        results.append(lane)

    total = time.monotonic() - t_start
    say('')
    say('%-11s %-5s %7s %7s %8s %9s' % ('lane', '', 'passed', 'failed',
                                        'skipped', 'seconds'))
    for r in results:
        say('%-11s %-5s %7d %7d %8d %9.1f' % (
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
