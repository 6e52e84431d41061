"""What every lane of tests/run.py shares: the Lane a lane counts its checks
into, the run's Context (the command line, which kernels, the module builds
made once per run), LaneError, and small helpers (sh, say, tail, modinfo,
the machine-wide DKMS lock).  The lanes themselves: lane_static.py,
lane_dkms.py, lane_package.py, lane_guest.py; the registry: tests/run.py.
"""

import fcntl
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import build
import host

LANES_DIR = host.BUILD_DIR / 'lanes'
MAIN_MODULES = ('padata_mt', 'memmap_test')

KBUILD_PROGRESS = re.compile(r'^\s+(CC|LD|AR|AS|MODPOST|CHECK|BTF|OBJTOOL)\b')
FINDING = re.compile(r'(?i)warning:|\berror\b|\*\*\*')


def findings(output):
    """The lines of a make log that are warnings or errors (not kbuild's
    own progress lines, which may name a file called error.c)."""
    return [line for line in output.split('\n')
            if FINDING.search(line) and not KBUILD_PROGRESS.match(line)]


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
        return [host.series(self.kver)] if self.kver else list(host.SERIES)

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


def modinfo(ko, field):
    rc, out = sh([tool('modinfo') or 'modinfo', '-F', field, str(ko)])
    return out.strip() if rc == 0 else None


def try_lock(f):
    """flock(f) if nobody holds it: True, else False."""
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


# The machine's DKMS tree and dpkg database are one for every run: whatever
# touches padata_mt's there (the dkms and package lanes, experiments by
# hand: `flock /run/lock/padata_mt-dkms.lock CMD`) holds this lock.
DKMS_LOCK = Path('/run/lock/padata_mt-dkms.lock' if os.path.isdir('/run/lock')
                 else '/tmp/padata_mt-dkms.lock')


def dkms_lock():
    """The DKMS lock, held (flock) until the returned file is closed."""
    lock = open(DKMS_LOCK, 'w')
    if not try_lock(lock):
        say('  waiting for another run\'s dkms or package lane (%s)'
            % DKMS_LOCK)
        fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def dkms_status(name='padata_mt'):
    """The registration lines of `dkms status name` (not the warnings some
    dkms versions print among them, e.g. readelf's)."""
    rc, out = sh(['dkms', 'status', name])
    return [line for line in out.split('\n') if line.startswith(name + '/')]
