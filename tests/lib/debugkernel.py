"""Build (once) and cache a debug kernel from Debian's linux-source-<series>.

Series: 6.12 (the debug lane on every run) and 6.1 (on demand); the source
is /usr/src/linux-source-<series>.tar.xz from the package of that name.
The cache lives outside the repo, keyed by the source package version and
the hash of the config fragments (tests/kernels/debug.config, what the
lane needs, and trim.config, what it never uses), so a rebuild happens only
when one of them changes:

    /var/cache/padata_mt/debug-kernel/<srcver>-<hash12>/
        linux/                 the build tree (KDIR for out-of-tree modules,
                               with Module.symvers)
        bzImage                the kernel to boot
        release                its kernel release string
        ok                     written last: the build is complete

A rebuild is forced by removing the key's directory (or all of
<cache>/debug-kernel); PMT_CACHE=<dir> moves the cache (<dir>/debug-kernel).
The tree is relocatable for out-of-tree builds (make -C <tree> M=...): a
finished key directory may be moved to another cache root.  One build at a
time per cache (a lock file, <cache>/debug-kernel/.lock); a run that finds a
build under way waits for it.

Usage: python3 tests/lib/debugkernel.py [SERIES]   (default 6.12; prints
the cache dir)
Python 3 stdlib only.
"""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FRAGMENTS = (REPO / 'tests' / 'kernels' / 'debug.config',
             REPO / 'tests' / 'kernels' / 'trim.config')
SERIES = ('6.12', '6.1')
DEFAULT_SERIES = SERIES[0]
CACHE = Path(os.environ.get('PMT_CACHE', '/var/cache/padata_mt')) / 'debug-kernel'


class KernelBuildError(RuntimeError):
    pass


def progress(msg, t0=None):
    if t0 is not None:
        msg += ' (%.0f s)' % (time.monotonic() - t0)
    print('debug-kernel: ' + msg, flush=True)


def tarball(series):
    return Path('/usr/src/linux-source-%s.tar.xz' % series)


def source_version(series):
    pkg = 'linux-source-' + series
    r = subprocess.run(['dpkg-query', '-W', '-f', '${Version}', pkg],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0 or not r.stdout.strip() or \
            not tarball(series).exists():
        raise KernelBuildError('%s is not installed: apt-get install %s '
                               '(or run tests/deps.sh)' % (pkg, pkg))
    return r.stdout.strip()


def cache_dir(series=DEFAULT_SERIES):
    h = hashlib.sha256(b''.join(f.read_bytes() for f in FRAGMENTS))
    return CACHE / ('%s-%s' % (source_version(series), h.hexdigest()[:12]))


def cached(series=DEFAULT_SERIES):
    """The cache dir of a complete build of `series`, or None."""
    try:
        d = cache_dir(series)
    except KernelBuildError:
        return None
    return d if (d / 'ok').exists() else None


def wanted_options():
    """{CONFIG_X: value} from the fragments (value 'n' means 'not set')."""
    opts = {}
    for frag in FRAGMENTS:
        for line in frag.read_text().splitlines():
            m = re.match(r'^(CONFIG_\w+)=(.*)$', line.strip())
            if m:
                opts[m.group(1)] = m.group(2)
    return opts


def check_config(config_path):
    have = {}
    for line in Path(config_path).read_text().splitlines():
        m = re.match(r'^(CONFIG_\w+)=(.*)$', line)
        if m:
            have[m.group(1)] = m.group(2)
    bad = []
    for k, v in wanted_options().items():
        got = have.get(k, 'n')
        if (v == 'n' and got != 'n') or (v != 'n' and got != v):
            bad.append('%s=%s (wanted %s)' % (k, got, v))
    return bad


def _make(tree, args, log, t0=None, every_s=60):
    """make -C tree ARGS >> log; every `every_s` seconds a progress line
    (files compiled so far, elapsed time)."""
    with open(log, 'a') as f:
        p = subprocess.Popen(['make', '-C', str(tree)] + args,
                             stdin=subprocess.DEVNULL, stdout=f,
                             stderr=subprocess.STDOUT)
        while True:
            try:
                p.wait(timeout=every_s)
                break
            except subprocess.TimeoutExpired:
                if t0 is not None:
                    n = sum(1 for line in open(log, errors='replace')
                            if line.startswith('  CC '))
                    progress('make %s: %d files compiled so far'
                             % (' '.join(args), n), t0)
    if p.returncode != 0:
        tail = Path(log).read_text(errors='replace').splitlines()[-25:]
        raise KernelBuildError('make %s failed (log %s):\n%s'
                               % (' '.join(args), log, '\n'.join(tail)))


# What a kernel build needs beyond gcc and make: (file or program, package).
BUILD_NEEDS = (
    ('bison', 'bison'), ('flex', 'flex'), ('bc', 'bc'), ('perl', 'perl'),
    ('/usr/include/libelf.h', 'libelf-dev'),
    ('/usr/include/openssl/opensslv.h', 'libssl-dev'),
)


def missing_build_needs():
    missing = [pkg for tool, pkg in (('gcc', 'gcc'), ('make', 'make'))
               if not shutil.which(tool)]
    for need, pkg in BUILD_NEEDS:
        if not (os.path.exists(need) if need.startswith('/')
                else shutil.which(need)):
            missing.append(pkg)
    return missing


def build(series=DEFAULT_SERIES, jobs=None):
    """Return the cache dir of a complete debug kernel of `series`,
    building it if needed (one build at a time per cache: waits for one
    under way)."""
    if series not in SERIES:
        raise KernelBuildError('no debug kernel for series %r; series: %s'
                               % (series, ', '.join(SERIES)))
    d = cache_dir(series)
    if (d / 'ok').exists():
        progress('cached: %s (%s)' % (d, (d / 'release').read_text().strip()))
        return d
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / '.lock', 'w') as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            progress('another run is building into %s; waiting for it'
                     % CACHE)
            fcntl.flock(lock, fcntl.LOCK_EX)
        if (d / 'ok').exists():
            progress('cached: %s' % d)
            return d
        return _build(d, series, jobs)


def _build(d, series, jobs):
    missing = missing_build_needs()
    if missing:
        raise KernelBuildError('cannot build a kernel: missing %s: apt-get '
                               'install %s (or run tests/deps.sh)'
                               % (', '.join(missing), ' '.join(missing)))
    jobs = jobs or os.cpu_count() or 1
    t0 = time.monotonic()
    if d.exists():
        progress('removing an unfinished build in %s' % d)
        shutil.rmtree(d)
    d.mkdir(parents=True)
    log = d / 'build.log'
    progress('not cached: building %s (log %s)' % (d.name, log))
    progress('extracting %s into %s' % (tarball(series), d))
    subprocess.run(['tar', '-C', str(d), '-xf', str(tarball(series))],
                   check=True)
    src = next(d.glob('linux-source-*'))
    tree = d / 'linux'
    src.rename(tree)
    progress('configuring: defconfig + kvm_guest.config + %s'
             % ' + '.join(f.name for f in FRAGMENTS), t0)
    _make(tree, ['defconfig', 'kvm_guest.config'], log)
    r = subprocess.run([str(tree / 'scripts/kconfig/merge_config.sh'), '-m',
                        '-O', str(tree), str(tree / '.config')] +
                       [str(f) for f in FRAGMENTS],
                       cwd=tree, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise KernelBuildError('merge_config.sh failed: ' + r.stderr[-2000:])
    _make(tree, ['olddefconfig'], log)
    bad = check_config(tree / '.config')
    if bad:
        raise KernelBuildError('the debug config lost options after olddefconfig '
                               '(fix tests/kernels/debug.config or trim.config): ' + ', '.join(bad))
    progress('building %s bzImage + modules with -j%d (about 15 min on 2 '
             'cores; cached afterwards)' % (series, jobs), t0)
    _make(tree, ['-j%d' % jobs, 'bzImage', 'modules'], log, t0)
    if not (tree / 'Module.symvers').exists():
        raise KernelBuildError('no Module.symvers after the build (log %s)' % log)
    shutil.copy2(tree / 'arch/x86/boot/bzImage', d / 'bzImage')
    rel = (tree / 'include/config/kernel.release').read_text().strip()
    (d / 'release').write_text(rel + '\n')
    (d / 'ok').write_text('built in %.0f s\n' % (time.monotonic() - t0))
    progress('built %s in %s' % (rel, d), t0)
    # Old builds of other keys are left for the user to prune; say so.
    others = [p for p in CACHE.iterdir() if p != d and p.is_dir()]
    if others:
        progress('other cached builds (remove when unused): %s'
                 % ', '.join(p.name for p in others))
    return d


if __name__ == '__main__':
    try:
        print(build(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SERIES))
    except KernelBuildError as e:
        print('debug-kernel: ERROR: %s' % e, file=sys.stderr)
        sys.exit(1)
