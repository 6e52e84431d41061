"""Build (once) and cache a debug kernel from Debian's linux-source-6.1.

The cache lives outside the repo, keyed by the source package version and
the hash of tests/kernels/debug.config, so a rebuild happens only when one of
them changes:

    /var/cache/padata_mt/debug-kernel/<srcver>-<hash12>/
        linux/                 the build tree (KDIR for out-of-tree modules,
                               with Module.symvers)
        bzImage                the kernel to boot
        release                its kernel release string
        ok                     written last: the build is complete

Usage: python3 tests/lib/debugkernel.py   (prints the cache dir)
Python 3 stdlib only.
"""

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FRAGMENT = REPO / 'tests' / 'kernels' / 'debug.config'
TARBALL = Path('/usr/src/linux-source-6.1.tar.xz')
CACHE = Path(os.environ.get('PMT_CACHE', '/var/cache/padata_mt')) / 'debug-kernel'


class KernelBuildError(RuntimeError):
    pass


def progress(msg, t0=None):
    if t0 is not None:
        msg += ' (%.0f s)' % (time.monotonic() - t0)
    print('debug-kernel: ' + msg, flush=True)


def source_version():
    r = subprocess.run(['dpkg-query', '-W', '-f', '${Version}',
                        'linux-source-6.1'], capture_output=True, text=True,
                       check=False)
    if r.returncode != 0 or not TARBALL.exists():
        raise KernelBuildError('linux-source-6.1 is not installed: '
                               'apt-get install linux-source-6.1 '
                               '(or run tests/deps.sh)')
    return r.stdout.strip()


def cache_dir():
    h = hashlib.sha256(FRAGMENT.read_bytes()).hexdigest()[:12]
    return CACHE / ('%s-%s' % (source_version(), h))


def wanted_options():
    """{CONFIG_X: value} from the fragment (value 'n' means 'not set')."""
    opts = {}
    for line in FRAGMENT.read_text().splitlines():
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


def _make(tree, args, log):
    with open(log, 'a') as f:
        r = subprocess.run(['make', '-C', str(tree)] + args,
                           stdin=subprocess.DEVNULL, stdout=f,
                           stderr=subprocess.STDOUT, check=False)
    if r.returncode != 0:
        tail = Path(log).read_text(errors='replace').splitlines()[-25:]
        raise KernelBuildError('make %s failed (log %s):\n%s'
                               % (' '.join(args), log, '\n'.join(tail)))


def build(jobs=None):
    """Return the cache dir of a complete debug kernel, building it if
    needed."""
    d = cache_dir()
    if (d / 'ok').exists():
        progress('cached: %s (%s)' % (d, (d / 'release').read_text().strip()))
        return d
    for tool in ('gcc', 'make', 'bison', 'flex', 'bc'):
        if not shutil.which(tool):
            raise KernelBuildError('%s is missing: apt-get install build-essential '
                                   'bison flex bc libelf-dev libssl-dev' % tool)
    jobs = jobs or os.cpu_count() or 1
    t0 = time.monotonic()
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    log = d / 'build.log'
    progress('extracting %s into %s' % (TARBALL, d))
    subprocess.run(['tar', '-C', str(d), '-xf', str(TARBALL)], check=True)
    src = next(d.glob('linux-source-*'))
    tree = d / 'linux'
    src.rename(tree)
    progress('configuring: defconfig + kvm_guest.config + %s' % FRAGMENT.name, t0)
    _make(tree, ['defconfig', 'kvm_guest.config'], log)
    r = subprocess.run([str(tree / 'scripts/kconfig/merge_config.sh'), '-m',
                        '-O', str(tree), str(tree / '.config'), str(FRAGMENT)],
                       cwd=tree, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise KernelBuildError('merge_config.sh failed: ' + r.stderr[-2000:])
    _make(tree, ['olddefconfig'], log)
    bad = check_config(tree / '.config')
    if bad:
        raise KernelBuildError('the debug config lost options after olddefconfig '
                               '(fix tests/kernels/debug.config): ' + ', '.join(bad))
    progress('building bzImage + modules with -j%d (about 12 min on 2 cores)'
             % jobs, t0)
    _make(tree, ['-j%d' % jobs, 'bzImage', 'modules'], log)
    if not (tree / 'Module.symvers').exists():
        raise KernelBuildError('no Module.symvers after the build (log %s)' % log)
    shutil.copy2(tree / 'arch/x86/boot/bzImage', d / 'bzImage')
    rel = (tree / 'include/config/kernel.release').read_text().strip()
    (d / 'release').write_text(rel + '\n')
    (d / 'ok').write_text('built in %.0f s\n' % (time.monotonic() - t0))
    progress('built %s in %s' % (rel, d), t0)
    # Old builds of other keys are left for the user to prune; say so.
    others = [p for p in CACHE.iterdir() if p != d]
    if others:
        progress('other cached builds (remove when unused): %s'
                 % ', '.join(p.name for p in others))
    return d


if __name__ == '__main__':
    try:
        print(build())
    except KernelBuildError as e:
        print('debug-kernel: ERROR: %s' % e, file=sys.stderr)
        sys.exit(1)
