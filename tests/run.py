#!/usr/bin/env python3
"""The padata_mt test suite: every lane, one summary line.

    python3 tests/run.py [--lanes L,...] [--kver REL] [--suites S,...]
    make check [LANES=...] [KVER=...]

The lanes are listed, with what each checks, by `python3 tests/run.py
--list` (and in tests/README.md).  Guest lanes are named <kind>-<series>
(stock-6.1, rt-6.12, debug-6.12, ...); a bare kind (stock, rt, cloud,
debug) means the newest series.  --kver REL narrows the default lanes to
REL's series; the lanes of REL's flavour (build, sparse, version, dkms and
stock for a generic REL) build for REL itself rather than the newest
release of the series.

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
import build  # noqa: E402
import debugkernel  # noqa: E402
import host  # noqa: E402
import initramfs  # noqa: E402
import klog  # noqa: E402
import ktap  # noqa: E402
import lane_package  # noqa: E402
import qemu  # noqa: E402

REPO = host.REPO
LANES_DIR = host.BUILD_DIR / 'lanes'
SERIES = host.SERIES
NEWEST = SERIES[-1]
MAIN_MODULES = ('padata_mt', 'memmap_test')
SOURCE_DIRS = ('padata_mt/', 'memmap_test/', 'tests/modules/',
               'docs/examples/')

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
        self.kver = args.kver or None
        if self.kver:
            self.release, self.release_why = self.kver, '--kver'
        else:
            self.release, self.release_why = host.default_release()
        self.version = host.dkms_version()
        self._builds = {}
        self.t_start = time.monotonic()

    def phase(self, lane, msg):
        """One progress line per phase, with the run's elapsed time."""
        t = time.monotonic() - self.t_start
        say('  [%2d:%02d] %s: %s' % (t // 60, t % 60, lane.name, msg))

    def series(self):
        """The series the build lanes cover: --kver's, or every one."""
        return [host.series(self.kver)] if self.kver else list(SERIES)

    def release_for(self, series, flav='generic'):
        """The release a lane of `series` builds for and boots: --kver if
        it is of that series and flavour, else the newest installed."""
        if self.kver and host.series(self.kver) == series and \
                host.flavour(self.kver) == flav:
            return self.kver
        rel = host.newest_release(flav, series)
        if not rel:
            pkg = 'linux-headers-%s%samd64' % (
                '6.12-' if series == '6.12' else '',
                '' if flav == 'generic' else flav + '-')
            raise LaneError('no %s %s kernel headers under /lib/modules: run '
                            'tests/deps.sh as root (installs %s and its '
                            'image)' % (series, flav, pkg))
        return rel

    def suites(self):
        """(guest suites, pmt.suites= argument or '') for the guest lanes:
        every tests/guest/NN-*.sh, or the ones --suites names."""
        suites = host.guest_suites()
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

    def module_build(self, rel, kdir=None, make_args=(), sub=None):
        """make PADATA_MT_TESTS=1 [make_args] for `rel` in
        build/lanes/<sub>, once per run.  A W=1 build serves the lanes that
        want a plain one (W=1 adds warnings, not code)."""
        key = (rel, str(kdir), tuple(make_args))
        w1 = self._builds.get((rel, str(kdir), ('W=1',)))
        if not make_args and key not in self._builds and w1 and w1.ok:
            say('  using the W=1 build of %s (%s)' % (rel, w1.srcdir))
            return w1
        if key not in self._builds:
            sub = sub or 'src-' + rel
            b = build.build_modules(rel, LANES_DIR / sub, tests=True,
                                 make_args=make_args, kdir=kdir)
            b.log = LANES_DIR / (sub + '.log')
            b.log.write_text(b.output)
            self._builds[key] = b
        return self._builds[key]


class LaneError(Exception):
    pass


# ------------------------------------------------------------------ lanes

def lane_deps(ctx, lane):
    rc, out = sh(['bash', str(REPO / 'tests' / 'deps.sh')])
    lane.check('debian packages present', rc == 0,
               'tests/deps.sh exited %d' % rc, tail(out))


def _make_lane(ctx, lane, label, make_args, need_check_lines=False):
    """One build per series (--kver: its series): zero findings each."""
    for series in ctx.series():
        rel = ctx.release_for(series)
        b = ctx.module_build(rel, make_args=make_args,
                             sub='%s-%s' % (lane.name, rel))
        lines = b.output.split('\n')
        bad = [line for line in lines
               if FINDING.search(line) and not KBUILD_PROGRESS.match(line)]
        name = '%s (%s)' % (label, rel)
        if not b.tests_built:
            lane.note = 'without the test modules'
        if need_check_lines and b.ok and \
                not any(re.match(r'^\s+CHECK\s', line) for line in lines):
            lane.fail(name, 'sparse never ran (no CHECK lines): apt-get '
                      'install sparse, or run tests/deps.sh; log %s' % b.log,
                      tail(b.output))
            continue
        if not b.ok:
            lane.fail(name, 'make exited %d; log %s' % (b.returncode, b.log),
                      bad[:40] or tail(b.output))
            continue
        lane.check(name, not bad, '%d finding(s); log %s' % (len(bad), b.log),
                   bad[:60], detail='%d modules, %.1f s' % (
                       len(b.ko_files), b.seconds))
        _check_probes(lane, rel, b)


PROBES_EXPECTED = REPO / 'tests' / 'kernels' / 'probes.expected'


def expected_probes():
    """{series: {probe: 0|1}} from tests/kernels/probes.expected."""
    cols, table = None, {}
    for line in PROBES_EXPECTED.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith('#'):
            continue
        if cols is None:
            cols = words[1:]
            table = {c: {} for c in cols}
            continue
        for c, v in zip(cols, words[1:]):
            table[c][words[0]] = int(v)
    return table


def _check_probes(lane, rel, b):
    """What padata_mt/probes/run.sh detected for `rel` is what
    tests/kernels/probes.expected says of its series, probe by probe."""
    hdr = b.srcdir / 'padata_mt' / 'generated' / 'pmt_probes.h'
    if not hdr.exists():
        lane.fail('probes (%s)' % rel, 'no %s after the build' % hdr)
        return
    got = {m.group(1).lower(): int(m.group(2)) for m in re.finditer(
        r'^#define PMT_HAVE_(\w+) ([01])$', hdr.read_text(), re.M)}
    want = expected_probes().get(host.series(rel))
    if want is None:
        lane.fail('probes (%s)' % rel, 'series %s has no column in %s'
                  % (host.series(rel), PROBES_EXPECTED))
        return
    bad = ['%s: detected %s, expected %s' % (k, got.get(k, '-'),
                                             want.get(k, '-'))
           for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)]
    lane.check('probes (%s)' % rel, not bad, '%d probe(s) differ from %s'
               % (len(bad), PROBES_EXPECTED.relative_to(REPO)), bad,
               detail=' '.join('%s=%d' % kv for kv in sorted(got.items())))


def lane_build(ctx, lane):
    _make_lane(ctx, lane, 'make W=1', ['W=1'])


def lane_sparse(ctx, lane):
    _make_lane(ctx, lane, 'make C=1 (sparse)', ['C=1'],
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
                      key=lambda p: host.version_key(p.name))
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
    files = sorted(f for f in build.source_files()
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
    for series in ctx.series():
        rel = ctx.release_for(series)
        b = ctx.module_build(rel)
        if not b.ok:
            lane.fail('build for %s' % rel, 'make exited %d; log %s'
                      % (b.returncode, b.log), tail(b.output))
            continue
        for m in MAIN_MODULES:
            ko = b.srcdir / (m + '.ko')
            v = modinfo(ko, 'version')
            magic = (modinfo(ko, 'vermagic') or '').split(' ')[0]
            lane.check('%s version (%s)' % (m, rel),
                       v == ctx.version and magic == rel,
                       'modinfo: version %r vermagic %r; dkms.conf %r, '
                       'kernel %r' % (v, magic, ctx.version, rel),
                       detail='%s == dkms.conf, vermagic %s' % (v, magic))


def _print_ktap(rep):
    for line in rep.ktap_lines:
        say('  ' + line)


def _guest_lane(lane, label, rel, kos, suites, workdir, timeout_s,
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


# The machine's DKMS tree and dpkg database are one for every run: whatever
# touches padata_mt's there (the dkms and package lanes, experiments by
# hand: `flock /run/lock/padata_mt-dkms.lock CMD`) holds this lock.
DKMS_LOCK = Path('/run/lock/padata_mt-dkms.lock' if os.path.isdir('/run/lock')
                 else '/tmp/padata_mt-dkms.lock')


def dkms_lock():
    """The DKMS lock, held (flock) until the returned file is closed."""
    lock = open(DKMS_LOCK, 'w')
    if not _try_lock(lock):
        say('  waiting for another run\'s dkms or package lane (%s)'
            % DKMS_LOCK)
        fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def dkms_status(name='padata_mt'):
    """The registration lines of `dkms status name` (not the warnings some
    dkms versions print among them, e.g. readelf's)."""
    rc, out = sh(['dkms', 'status', name])
    return [line for line in out.split('\n') if line.startswith(name + '/')]


def lane_dkms(ctx, lane):
    """make dkms-install KVER=<rel> for the generic kernel of every series
    (one registration, built for each), then each kernel boots its
    DKMS-built modules; make dkms-remove leaves nothing."""
    rels = [ctx.release_for(series) for series in ctx.series()]
    if os.geteuid() != 0:
        raise LaneError('the dkms lane installs into /usr/src and '
                        '/lib/modules: run as root (sudo make check)')
    if not shutil.which('dkms'):
        raise LaneError('dkms is not installed: run tests/deps.sh as root')
    # One DKMS tree per machine: never two runs at once.  A package
    # installed earlier owns /usr/src/padata_mt-<ver>: it goes first.
    lock = dkms_lock()
    ver = ctx.version
    lane_package.clean_slate(sys.modules[__name__])
    src = build.copy_sources(LANES_DIR / 'dkms-src')
    env = host.clean_env()
    log = LANES_DIR / 'dkms.log'
    log.write_text('')
    try:
        for rel in rels:
            _dkms_one(ctx, lane, src, env, log, rel)
        # A second make dkms-install for a kernel already built (git pull,
        # make dkms-install) rebuilds it.
        t0 = time.monotonic()
        rc, out = sh(['make', '-C', str(src), 'dkms-install',
                      'KVER=' + rels[0]], env=env)
        with open(log, 'a') as f:
            f.write(out)
        lane.check('make dkms-install KVER=%s again rebuilds' % rels[0],
                   rc == 0 and dkms_status() and all(
                       'installed' in line for line in dkms_status()),
                   'exit %d; dkms status: %s' % (rc, dkms_status()),
                   tail(out, 20), detail='%.1f s' % (time.monotonic() - t0))
        # dkms.conf refuses kernels older than 6.1 with a DKMS skip (exit
        # 77 and its BUILD_EXCLUSIVE message), before any compiler runs.
        rc, out = sh(['dkms', 'build', 'padata_mt/' + ver, '-k',
                      '5.10.0-99-amd64', '--kernelsourcedir',
                      '/lib/modules/%s/build' % rels[0]])
        lane.check('dkms skips a 5.10 kernel (BUILD_EXCLUSIVE_KERNEL)',
                   rc == 77 and 'BUILD_EXCLUSIVE' in out,
                   'dkms build -k 5.10.0-99-amd64: exit %d' % rc, tail(out),
                   detail='exit 77, "BUILD_EXCLUSIVE directive"')
    finally:
        rc, out = sh(['make', '-C', str(src), 'dkms-remove'], env=env)
        with open(log, 'a') as f:
            f.write(out)
        left = dkms_status()
        leftovers = [str(p) for p in
                     [Path('/usr/src/padata_mt-%s' % ver)] +
                     [Path('/lib/modules') / rel / 'updates' / 'dkms' /
                      (m + ext) for m in MAIN_MODULES for rel in rels
                      for ext in ('.ko', '.ko.xz')]
                     if p.exists()]
        lane.check('make dkms-remove leaves nothing', not left and
                   not leftovers, 'dkms status: %s; files: %s'
                   % (left or 'empty', leftovers or 'none'),
                   detail='dkms status padata_mt: empty')
        lock.close()


def _dkms_one(ctx, lane, src, env, log, rel):
    ver = ctx.version
    t0 = time.monotonic()
    ctx.phase(lane, 'make dkms-install KVER=%s' % rel)
    rc, out = sh(['make', '-C', str(src), 'dkms-install', 'KVER=' + rel],
                 env=env)
    with open(log, 'a') as f:
        f.write(out)
    if not lane.check('make dkms-install KVER=%s' % rel, rc == 0,
                      'exit %d; log %s' % (rc, log), tail(out, 30),
                      detail='%.1f s' % (time.monotonic() - t0)):
        return
    dest = Path('/lib/modules') / rel / 'updates' / 'dkms'
    kos = []
    for m in MAIN_MODULES:
        # DKMS compresses like the kernel's own modules: .ko.xz on 6.12.
        found = [dest / (m + ext) for ext in ('.ko', '.ko.xz')
                 if (dest / (m + ext)).exists()]
        if not lane.check('%s installed for %s' % (m, rel), len(found) == 1,
                          'in %s: %s' % (dest, ', '.join(
                              p.name for p in dest.glob(m + '.ko*')) or
                              'nothing'), detail=found[0].name if found
                          else ''):
            continue
        ko = found[0]
        kos.append(ko)
        v = modinfo(ko, 'version')
        magic = (modinfo(ko, 'vermagic') or '').split(' ')[0]
        lane.check('%s modinfo version/vermagic (%s)' % (m, rel),
                   v == ver and magic == rel,
                   'version %r vermagic %r, expected %r %r'
                   % (v, magic, ver, rel), detail='%s, %s' % (v, magic))
        signer = modinfo(ko, 'signer')
        if signer:
            lane.ok('%s signed (%s)' % (m, rel), 'signer: %s' % signer)
        else:
            lane.skip('%s signed (%s)' % (m, rel), 'unsigned (dkms had no '
                      'signing key); the Debian kernel loads it and taints E')
    mt_ko = [k for k in kos if k.name.startswith('memmap_test.ko')]
    if mt_ko:
        deps = modinfo(mt_ko[0], 'depends') or ''
        lane.check('memmap_test depends on padata_mt (%s)' % rel,
                   'padata_mt' in deps.split(','),
                   'modinfo depends: %r' % deps)
    if len(kos) == len(MAIN_MODULES):
        ctx.phase(lane, 'booting %s with the DKMS-built modules' % rel)
        _guest_lane(lane, 'dkms-' + rel, rel, kos,
                    [host.GUEST_DIR / '10-load.sh'],
                    LANES_DIR / ('dkms-' + host.series(rel)),
                    ctx.args.timeout, smp=2, mem='2G', numa_nodes=2)


def _try_lock(f):
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _module_build(ctx, lane, label, rel, kdir=None):
    """Every module (tests too) for `rel`; any compiler or modpost warning
    fails.  Returns the BuildResult or None."""
    ctx.phase(lane, 'building the modules for %s' % rel)
    b = ctx.module_build(rel, kdir=kdir, sub='%s-src' % lane.name)
    bad = [line for line in b.output.split('\n')
           if FINDING.search(line) and not KBUILD_PROGRESS.match(line)]
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
    _guest_lane(lane, lane.name, rel, b.ko_files, suites,
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
    _guest_lane(lane, lane.name, rel, b.ko_files, suites,
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
    rep = _guest_lane(lane, lane.name, rel, b.ko_files, suites,
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
    _guest_lane(lane, lane.name + '-splat', rel, b.ko_files,
                [host.GUEST_DIR / 'lockdep-splat.sh'],
                LANES_DIR / (lane.name + '-splat'), ctx.args.timeout,
                expect_splats={'caller_lock_inversion': 'lockdep'},
                smp=2, mem='2G', numa_nodes=2, cpu_model=ctx.args.cpu,
                kernel=d / 'bzImage', init_timeout_s=DEBUG_INIT_TIMEOUT_S,
                cmdline_extra='pmt.suites=lockdep-splat')


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
    lanes = [
        LaneSpec('deps', lane_deps, 'tests/deps.sh: the Debian packages'),
        LaneSpec('build', lane_build, 'make W=1 for every series: zero '
                 'warnings; the probes detect what tests/kernels/'
                 'probes.expected says'),
        LaneSpec('sparse', lane_sparse, 'make C=1 for every series: zero '
                 'sparse findings'),
        LaneSpec('checkpatch', lane_checkpatch, 'checkpatch.pl --no-tree '
                 '(newest linux-source) over every .c/.h: zero findings'),
        LaneSpec('version', lane_version, 'dkms.conf version == modinfo '
                 'version and vermagic, every series'),
        LaneSpec('dkms', lane_dkms, 'make dkms-install for every series, '
                 'modinfo checks, each kernel boots the DKMS-built modules '
                 '(10-load), make dkms-remove leaves nothing'),
    ]
    this = sys.modules[__name__]
    for series in SERIES:
        lanes.append(LaneSpec(
            'package-%s' % series, lane_package.lane_package,
            'make deb, lintian; apt install (previous version, then this '
            'one): modules for every kernel with headers; hello_pmt built '
            'against the package; a later kernel; apt purge leaves '
            'nothing; %s boots the package\'s modules + hello_pmt' % series,
            args=(series, this), series=series))
    kinds = (
        ('stock', lane_stock, 'Debian %s generic kernel in QEMU, every '
         'guest suite', lambda s: True),
        ('rt', lane_rt, 'Debian %s PREEMPT_RT kernel in QEMU, every guest '
         'suite', lambda s: True),
        ('cloud', lane_cloud, 'Debian %s cloud kernel in QEMU, every guest '
         'suite', lambda s: True),
        ('debug', lane_debug, 'a %s debug kernel (KASAN, lockdep, kmemleak, '
         'DEBUG_VM, DEBUG_OBJECTS, fault injection) built from linux-source '
         'and cached; every guest suite + the expected lockdep report',
         lambda s: s == NEWEST),
        ('topology', lane_topology, 'Debian %s generic kernel in QEMU on '
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
    if not _try_lock(lock):
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
