"""Build the modules for one kernel release in a fresh copy of the tree.

    import build, host
    b = build.build_modules(rel, host.BUILD_DIR / 'demo-src', tests=True)
    b.ok, b.output, b.ko_files, b.tests_built, b.seconds

Python 3 stdlib only.
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from host import REPO, clean_env, progress

# Test-only modules (Kbuild builds them with PADATA_MT_TESTS=1).
TEST_MODULE_SOURCES = ('tests/modules/padata_mt_selftest.c',
                       'tests/modules/padata_mt_bench.c')


def source_files(repo=REPO):
    """The project's files as a developer sees them: tracked plus untracked
    but not ignored (git), or every file outside build/ and .git/."""
    repo = Path(repo)
    if (repo / '.git').exists() and shutil.which('git'):
        r = subprocess.run(['git', '-C', str(repo), 'ls-files', '-co',
                            '--exclude-standard', '-z'],
                           capture_output=True, check=False)
        if r.returncode == 0:
            return [f for f in r.stdout.decode().split('\0')
                    if f and (repo / f).is_file()
                    and not f.startswith('build/')]
    out = []
    for root, dirs, files in os.walk(repo):
        rel = Path(root).relative_to(repo)
        dirs[:] = [d for d in dirs if not (rel == Path('.') and
                                           d in ('build', '.git'))]
        out += [str(rel / f) for f in files
                if not re.search(r'\.(o|ko|mod|mod\.c|cmd|a)$', f)]
    return out


def copy_sources(dest, repo=REPO):
    """A fresh copy of the source tree in `dest` (wiped first), so every
    build is a clean one and the developer's tree is never touched."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    for f in source_files(repo):
        d = dest / f
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(repo) / f, d)
    return dest


class BuildResult:
    def __init__(self, returncode, output, srcdir, ko_files, tests_built,
                 seconds):
        self.returncode = returncode
        self.ok = returncode == 0
        self.output = output
        self.srcdir = srcdir
        self.ko_files = ko_files
        self.tests_built = tests_built
        self.seconds = seconds


def test_modules_present(repo=REPO):
    return [s for s in TEST_MODULE_SOURCES if (Path(repo) / s).exists()]


def build_modules(release, srcdir, tests=False, make_args=(), quiet=False,
                  kdir=None):
    """Copy the tree to `srcdir` and run make there for `release`.

    kdir: a kernel build tree other than /lib/modules/<release>/build (e.g.
    a debug kernel's), passed as KDIR=.

    tests=True adds PADATA_MT_TESTS=1 when the test module sources exist
    (all of them; with only some present it builds without and says so).
    Returns a BuildResult; .ko_files lists every .ko at the copy's top.
    """
    t0 = time.monotonic()
    srcdir = copy_sources(srcdir)
    args = ['make', '-C', str(srcdir), '-j%d' % (os.cpu_count() or 1)]
    tests_built = False
    if tests:
        present = test_modules_present()
        if len(present) == len(TEST_MODULE_SOURCES):
            args.append('PADATA_MT_TESTS=1')
            tests_built = True
        elif not quiet:
            progress('test modules not built: %s' % (
                'no tests/modules/*.c yet' if not present else
                'only %s exists' % ', '.join(present)))
    args.append('KVER=%s' % release)
    if kdir:
        args.append('KDIR=%s' % kdir)
    args += list(make_args)
    env = clean_env()
    if not quiet:
        progress('building %s (%s)' % (release, ' '.join(args[3:]) or
                                       'make'))
    r = subprocess.run(args, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       check=False)
    out = r.stdout.decode(errors='replace')
    kos = sorted(srcdir.glob('*.ko'))
    dt = time.monotonic() - t0
    if not quiet:
        progress('build %s in %.1f s: %s' % (
            'done' if r.returncode == 0 else 'FAILED (exit %d)' % r.returncode,
            dt, ' '.join(k.name for k in kos) or 'no .ko'))
    return BuildResult(r.returncode, out, srcdir, kos, tests_built, dt)
