"""The package lanes, package-<series>: padata-mt-dkms as a Debian user
gets it (tests/README.md, "The package lanes").

    make deb, lintian
    apt install ./<previous version>.deb    a fresh install
    apt install ./padata-mt-dkms_<ver>_all.deb    the upgrade
    every kernel with headers: both modules, this version, Module.symvers
    hello_pmt (docs/examples/consumer) built against the installed package
    a kernel "installed" after the package gets padata_mt and hello_pmt
    apt purge: nothing left
    the series' generic kernel boots the package-built modules + hello_pmt

The previous version is this tree with a lower PACKAGE_VERSION (and a
debian/changelog to match) whose dkms.conf accepts only the kernel the lane
boots: one DKMS build instead of one per installed kernel, and the kernels
it skipped must be built by the upgrade.

Both installs run as on a machine booted from the lane's kernel: dkms's
common.postinst takes the running kernel from `uname -r`, and this machine
runs one that is not installed (so common.postinst would build for every
kernel and hide whether the package's own postinst does); a stand-in uname
on the installs' PATH answers -r with the lane's kernel.  common.postinst
then builds for that kernel and the newest one, as on a user's machine,
and the package's postinst must build the others.

The kernel installed after the package: dpkg-reconfigure of that kernel's
headers package runs its postinst, the very hook (run-parts
/etc/kernel/header_postinst.d -> dkms autoinstall) dpkg runs when the
package is installed.  Removing and reinstalling the headers instead would
pull them from under whatever else builds on this shared machine.

Every step that touches dpkg or DKMS holds the machine's DKMS lock (the
dkms lane's); the guest boots after the purge, from copies of the modules,
so the lock and the installed package last no longer than they must.

The lanes' shared helpers come from harness.py, the guest boot from
lane_guest.py.
"""

import os
import re
import shutil
import time
from pathlib import Path

import build
import host
from harness import (LANES_DIR, MAIN_MODULES, LaneError, dkms_lock,
                     dkms_status, findings, modinfo, say, sh, tail, tool)
from lane_guest import guest_lane

PACKAGE = 'padata-mt-dkms'
CONSUMER = 'hello_pmt'
# The symbol padata_mt_run() calls: the macro gives each call site its own
# lockdep class and calls this one export.
SYMBOL = '__padata_mt_run'
CONSUMER_DKMS_VERSION = '1.0'   # docs/examples/consumer/dkms.conf
CONSUMER_DIR = Path('docs') / 'examples' / 'consumer'
HEADER = Path('/usr/include/padata_mt/padata_mt.h')
DKMS_TREE = Path('/var/lib/dkms')
ARCH = os.uname().machine
KO_SUFFIXES = ('.ko', '.ko.xz', '.ko.gz', '.ko.zst')
APT = ['apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=600']
APT_ENV = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
APT_ENV.pop('MAKEFLAGS', None)
SECURE_BOOT_NOTE = 'mokutil --import'


def symvers_path(kver):
    """Where the package keeps padata_mt's Module.symvers for `kver`."""
    return DKMS_TREE / 'padata_mt' / ('kernel-%s-%s' % (kver, ARCH)) / \
        'Module.symvers'


def kernels_with_headers():
    """Every release whose headers DKMS would build against (dkms's own
    test: <build>/include exists)."""
    return sorted((p.name for p in Path('/lib/modules').glob('*')
                   if (p / 'build' / 'include').exists()),
                  key=host.version_key)


def installed_ko(kver, module):
    """The module DKMS installed for `kver` (compressed or not), or None."""
    d = Path('/lib/modules') / kver / 'updates' / 'dkms'
    for suffix in KO_SUFFIXES:
        if (d / (module + suffix)).exists():
            return d / (module + suffix)
    return None


def previous_version(ver):
    """A version below `ver`: its last non-zero component less one, then
    .99 (0.1.0 -> 0.0.99)."""
    parts = ver.split('.')
    for i in range(len(parts) - 1, -1, -1):
        if parts[i].isdigit() and int(parts[i]) > 0:
            return '.'.join(parts[:i] + [str(int(parts[i]) - 1), '99'])
    raise ValueError('no version below %r' % ver)


def _dkms_regex(rel):
    return '^' + ''.join('\\' + c if c in '.+' else c for c in rel) + '$'


class Run:
    """One package lane's state: the lane, the log, the helpers."""

    def __init__(self, ctx, lane, series):
        self.ctx, self.lane, self.series = ctx, lane, series
        self.work = LANES_DIR / lane.name
        self.log = LANES_DIR / (lane.name + '.log')

    def run(self, args, what=None, **kw):
        """Run a command, its output appended to the lane's log."""
        kw.setdefault('env', APT_ENV)
        t0 = time.monotonic()
        rc, out = sh(args, **kw)
        with open(self.log, 'a') as f:
            f.write('$ %s  # exit %d, %.1f s\n%s\n' % (
                ' '.join(str(a) for a in args), rc, time.monotonic() - t0,
                out))
        return rc, out

    def phase(self, msg):
        self.ctx.phase(self.lane, msg)


# ------------------------------------------------------------ the packages

def _make_deb(r, srcdir, label):
    rc, out = r.run(['make', '-C', str(srcdir), 'deb'])
    debs = sorted((srcdir / 'build' / 'deb').glob(PACKAGE + '_*_all.deb'))
    if rc != 0 or len(debs) != 1:
        r.lane.fail('make deb (%s)' % label, 'exit %d, %d .deb; log %s'
                    % (rc, len(debs), r.log), tail(out))
        return None
    return debs[0]


def current_deb(r):
    """make deb in a fresh copy of the tree, once per run; its version must
    be dkms.conf's."""
    ctx = r.ctx
    if not hasattr(ctx, 'package_deb'):
        r.phase('make deb')
        src = build.copy_sources(LANES_DIR / 'package-src')
        t0 = time.monotonic()
        deb = _make_deb(r, src, ctx.version)
        ctx.package_deb = (deb, src, time.monotonic() - t0)
    deb, src, dt = ctx.package_deb
    if deb:
        want = '%s_%s_all.deb' % (PACKAGE, ctx.version)
        rc, ver = r.run(['dpkg-deb', '-f', str(deb), 'Version'])
        r.lane.check('make deb: %s' % want, deb.name == want and
                     ver.strip() == ctx.version,
                     'got %s, Version %r; dkms.conf PACKAGE_VERSION %r'
                     % (deb.name, ver.strip(), ctx.version),
                     detail='%s, Version == dkms.conf, %.1f s'
                     % (deb.relative_to(host.REPO), dt))
    return deb, src


def previous_deb(r, rel):
    """The tree at previous_version(), accepting only `rel`."""
    ver = previous_version(r.ctx.version)
    src = build.copy_sources(r.work / 'prev-src')
    conf = src / 'dkms.conf'
    text = conf.read_text()
    text = re.sub(r'^PACKAGE_VERSION=.*$', 'PACKAGE_VERSION="%s"' % ver,
                  text, flags=re.M)
    text = re.sub(r'^BUILD_EXCLUSIVE_KERNEL=.*$',
                  lambda m: 'BUILD_EXCLUSIVE_KERNEL="%s"' % _dkms_regex(rel),
                  text, flags=re.M)
    conf.write_text(text)
    cl = src / 'debian' / 'changelog'
    trailer = [line for line in cl.read_text().splitlines()
               if line.startswith(' -- ')][0]
    cl.write_text('padata-mt (%s) bookworm; urgency=medium\n\n'
                  '  * The previous version, for the package lane\'s upgrade '
                  '(tests/lib/lane_package.py).\n\n%s\n' % (ver, trailer))
    return _make_deb(r, src, ver), ver


def lintian(r, deb):
    """lintian over the .changes (the .deb and .buildinfo), once per run:
    no error or warning; info and pedantic tags are shown."""
    ctx = r.ctx
    if not hasattr(ctx, 'package_lintian'):
        r.phase('lintian')
        changes = sorted(deb.parent.glob('*.changes'))
        t0 = time.monotonic()
        rc, out = r.run(['lintian', '--info', '--pedantic',
                         '--fail-on', 'error,warning'] +
                        [str(c) for c in changes])
        ctx.package_lintian = (rc, out, time.monotonic() - t0)
    rc, out, dt = ctx.package_lintian
    tags = [line for line in out.splitlines()
            if re.match(r'^[EWIPXO]: ', line)]
    bad = [t for t in tags if t[0] in 'EW']
    r.lane.check('lintian (error, warning, info, pedantic)', rc == 0 and
                 not bad, 'exit %d, %d error/warning tag(s)' % (rc, len(bad)),
                 tags[:40], detail='%d tag(s)%s, %.1f s' % (
                     len(tags), ': ' + '; '.join(tags) if tags else '', dt))


# ------------------------------------------------------------ host state

def package_state():
    """dpkg's status of the package ('installed', 'config-files', ...) and
    its version, or (None, None) when dpkg does not know it."""
    rc, out = sh(['dpkg-query', '-W', '-f=${db:Status-Status} ${Version}',
                  PACKAGE])
    words = out.split()
    if rc != 0 or not words or words[0] == 'not-installed':
        return None, None
    return words[0], (words[1] if len(words) > 1 else '')


def clean_slate():
    """Purge the package and drop every padata_mt and hello_pmt DKMS
    registration an earlier run left (the caller holds the DKMS lock)."""
    if package_state()[0]:
        say('  %s is on this machine (%s): purging it first'
            % (PACKAGE, ' '.join(package_state())))
        sh(APT + ['purge', PACKAGE], env=APT_ENV)
    for name in (CONSUMER, 'padata_mt'):
        for line in dkms_status(name):
            say('  removing a previous DKMS registration: ' + line)
            sh(['dkms', 'remove', line.split(',')[0].split(':')[0],
                '--all'])
    for d in Path('/usr/src').glob(CONSUMER + '-*'):
        shutil.rmtree(d, ignore_errors=True)
    # What dkms no longer lists (a registration whose source went with a
    # package that did not unregister it) it cannot remove either.
    for name in (CONSUMER, 'padata_mt'):
        tree = DKMS_TREE / name
        if not tree.exists():
            continue
        say('  removing %s, which dkms no longer lists, and its modules'
            % tree)
        for kver in [p.name for p in Path('/lib/modules').glob('*')]:
            kos = [installed_ko(kver, m) for m in
                   (('padata_mt', 'memmap_test') if name == 'padata_mt'
                    else (CONSUMER,))]
            for ko in [k for k in kos if k]:
                ko.unlink()
            if any(kos):
                sh(['depmod', '-a', kver])
                for d in ('updates/dkms', 'updates'):   # as dkms does
                    try:
                        (Path('/lib/modules') / kver / d).rmdir()
                    except OSError:
                        break
        shutil.rmtree(tree, ignore_errors=True)


def leftovers(kernels):
    """Whatever of the package, its modules and hello_pmt is still here."""
    left = dkms_status('padata_mt') + dkms_status(CONSUMER)
    state = package_state()
    if state[0]:
        left.append('dpkg: %s %s' % (PACKAGE, ' '.join(state)))
    paths = (sorted(Path('/usr/src').glob('padata_mt*')) +
             sorted(Path('/usr/src').glob(CONSUMER + '*')) +
             [p for p in (HEADER.parent, DKMS_TREE / 'padata_mt',
                          DKMS_TREE / CONSUMER,
                          Path('/usr/share/doc') / PACKAGE) if p.exists()])
    for kver in kernels:
        paths += [ko for ko in (installed_ko(kver, m) for m in
                                ('padata_mt', 'memmap_test', CONSUMER)) if ko]
    return left + [str(p) for p in paths]


def booted_from(r, rel):
    """apt-get options giving dpkg's maintainer scripts a PATH (apt sets
    it from DPkg::Path) where uname says the machine runs `rel`."""
    d = r.work / 'bin'
    d.mkdir(parents=True, exist_ok=True)
    real = shutil.which('uname') or '/usr/bin/uname'
    shim = d / 'uname'
    shim.write_text('#!/bin/sh\n# The package lane\'s uname: this machine '
                    'runs %s (tests/lib/lane_package.py).\n'
                    '[ "$1" = -r ] && [ $# = 1 ] && exec echo %s\n'
                    'exec %s "$@"\n' % (rel, rel, real))
    shim.chmod(0o755)
    return ['-o', 'DPkg::Path=%s:/usr/sbin:/usr/bin:/sbin:/bin' % d]


# ------------------------------------------------------------ the checks

def check_built(r, kernels):
    """Both modules of this version for every kernel with headers, and the
    Module.symvers third-party modules link against."""
    lane, ver = r.lane, r.ctx.version
    for kver in kernels:
        bad = []
        for m in MAIN_MODULES:
            ko = installed_ko(kver, m)
            if not ko:
                bad.append('%s: not in /lib/modules/%s/updates/dkms'
                           % (m, kver))
                continue
            v = modinfo(ko, 'version')
            magic = (modinfo(ko, 'vermagic') or '').split(' ')[0]
            if v != ver or magic != kver:
                bad.append('%s: version %r vermagic %r' % (ko, v, magic))
        sv = symvers_path(kver)
        if not sv.exists() or '\t' + SYMBOL + '\t' not in sv.read_text():
            bad.append('%s: %s' % (sv, 'no %s in it' % SYMBOL
                                   if sv.exists() else 'missing'))
        lane.check('built for %s' % kver, not bad, '; '.join(bad),
                   detail='padata_mt %s, memmap_test, Module.symvers' % ver)


def check_header(r, src):
    want = (src / 'padata_mt' / 'include' / 'padata_mt.h').read_bytes()
    got = HEADER.read_bytes() if HEADER.exists() else None
    r.lane.check('%s is the public header' % HEADER, got == want,
                 'missing' if got is None else 'differs from the tree\'s '
                 'padata_mt/include/padata_mt.h')


def _crc(ko, symbol):
    rc, out = sh(['modprobe', '--dump-modversions', str(ko)])
    for line in out.splitlines():
        words = line.split()
        if len(words) == 2 and words[1] == symbol:
            return int(words[0], 16)
    return None


def _symvers_crc(path, symbol):
    for line in path.read_text().splitlines():
        words = line.split('\t')
        if len(words) >= 2 and words[1] == symbol:
            return int(words[0], 16)
    return None


def build_consumer(r, src, kver):
    """hello_pmt as an outsider builds it: make KVER=<kver> in a copy of
    docs/examples/consumer, nothing of the tree on its paths.  Zero
    warnings (W=1); its __padata_mt_run CRC is the installed Module.symvers'
    one.  Returns the .ko or None."""
    d = r.work / ('%s-%s' % (CONSUMER, kver))
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(src / CONSUMER_DIR, d)
    rc, out = r.run(['make', '-C', str(d), 'KVER=' + kver, 'W=1'])
    ko = d / (CONSUMER + '.ko')
    bad = findings(out)
    if not r.lane.check('%s builds against the package (%s)'
                        % (CONSUMER, kver), rc == 0 and ko.exists() and
                        not bad, 'exit %d, %d finding(s); log %s'
                        % (rc, len(bad), r.log), bad[:20] or tail(out)):
        return None
    deps = modinfo(ko, 'depends') or ''
    got = _crc(ko, SYMBOL)
    sv = symvers_path(kver)
    want = _symvers_crc(sv, SYMBOL) if sv.exists() else None
    r.lane.check('%s links %s from the package (%s)'
                 % (CONSUMER, SYMBOL, kver), deps == 'padata_mt' and got is not None
                 and got == want, 'depends %r; CRC %s, %s has %s'
                 % (deps, got and hex(got), sv, want and hex(want)),
                 detail='depends padata_mt, CRC %s as in %s'
                 % (got and hex(got), sv))
    return ko


def late_kernel(r, src, kver):
    """A kernel installed after the package: with padata_mt gone for it
    and hello_pmt registered as a DKMS module of its own (BUILD_DEPENDS),
    the headers package's postinst must build both, padata_mt first."""
    lane, ver = r.lane, r.ctx.version
    hdr_pkg = 'linux-headers-' + kver
    dest = Path('/usr/src') / ('%s-%s' % (CONSUMER, CONSUMER_DKMS_VERSION))
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src / CONSUMER_DIR, dest)
    rc, out = r.run(['dkms', 'add', '%s/%s' % (CONSUMER,
                                               CONSUMER_DKMS_VERSION)])
    if not lane.check('dkms add %s (BUILD_DEPENDS="padata_mt")' % CONSUMER,
                      rc == 0, 'exit %d' % rc, tail(out)):
        return
    r.run(['dkms', 'remove', 'padata_mt/' + ver, '-k', kver])
    gone = [str(p) for p in [installed_ko(kver, m) for m in MAIN_MODULES]
            + [symvers_path(kver)] if p and p.exists()]
    lane.check('dkms remove -k %s takes its Module.symvers too' % kver,
               not gone, 'still there: %s' % ', '.join(gone))
    t0 = time.monotonic()
    rc, out = r.run(['dpkg-reconfigure', '-fnoninteractive', hdr_pkg])
    kos = {m: installed_ko(kver, m) for m in MAIN_MODULES + (CONSUMER,)}
    missing = [m for m, ko in kos.items() if not ko]
    deps = modinfo(kos[CONSUMER], 'depends') if kos[CONSUMER] else None
    lane.check('%s postinst builds padata_mt, then %s' % (hdr_pkg, CONSUMER),
               rc == 0 and not missing and symvers_path(kver).exists() and
               deps == 'padata_mt', 'exit %d; missing: %s; symvers %s; '
               '%s depends %r; log %s' % (
                   rc, ', '.join(missing) or 'none',
                   'present' if symvers_path(kver).exists() else 'missing',
                   CONSUMER, deps, r.log), tail(out),
               detail='dkms autoinstall, %.1f s' % (time.monotonic() - t0))


def guest_copy(ko, dest_dir):
    """A copy of `ko` that outlives the purge (initramfs.build_initramfs
    decompresses a .ko.xz, as DKMS installs them for 6.12)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ko, dest_dir / ko.name)
    return dest_dir / ko.name


# ------------------------------------------------------------ the lane

def lane_package(ctx, lane, series):
    if os.geteuid() != 0:
        raise LaneError('the package lane installs a .deb: run as root '
                        '(sudo make check)')
    for prog in ('dpkg-buildpackage', 'dh_dkms', 'lintian', 'dkms',
                 'apt-get'):
        if not tool(prog):
            raise LaneError('%s is missing: run tests/deps.sh as root'
                            % prog)
    r = Run(ctx, lane, series)
    r.work.mkdir(parents=True, exist_ok=True)
    r.log.write_text('')
    rel = ctx.release_for(series)
    late = (host.newest_release('cloud', series) or
            host.newest_release('rt', series))
    deb, src = current_deb(r)
    if not deb:
        return
    lintian(r, deb)
    r.phase('make deb of the previous version (only %s)' % rel)
    prev, prev_ver = previous_deb(r, rel)
    if not prev:
        return
    kos = []
    lock = dkms_lock()
    try:
        clean_slate()
        kos = _install_and_check(r, src, deb, prev, prev_ver, rel, late)
    finally:
        r.phase('apt purge %s' % PACKAGE)
        t0 = time.monotonic()
        rc, out = r.run(APT + ['purge', PACKAGE])
        lane.check('apt purge %s' % PACKAGE, rc == 0, 'exit %d; log %s'
                   % (rc, r.log), tail(out),
                   detail='%.1f s' % (time.monotonic() - t0))
        clean_slate()      # hello_pmt's registration, whatever failed
        left = leftovers(kernels_with_headers())
        lane.check('nothing left', not left, '%d thing(s) left' % len(left),
                   left[:30], detail='dkms status, /usr/src, updates/dkms, '
                   '%s, %s' % (HEADER.parent, DKMS_TREE / 'padata_mt'))
        lock.close()
    if len(kos) == 3:
        r.phase('booting %s with the package-built modules and %s'
                % (rel, CONSUMER))
        suites = [host.GUEST_DIR / '10-load.sh',
                  host.GUEST_DIR / 'package-load.sh']
        guest_lane(lane, lane.name, rel, kos, suites, r.work / 'guest',
                   ctx.args.timeout, smp=2, mem='2G', numa_nodes=2,
                   cmdline_extra='pmt.suites=' +
                   ','.join(s.stem for s in suites))


def _install_and_check(r, src, deb, prev, prev_ver, rel, late):
    """Everything between the clean slate and the purge; returns the .ko
    files for the guest (padata_mt, memmap_test, hello_pmt for `rel`)."""
    lane, ver = r.lane, r.ctx.version
    kernels = kernels_with_headers()

    booted = booted_from(r, rel)
    r.phase('apt install ./%s (fresh install, booted from %s)'
            % (prev.name, rel))
    t0 = time.monotonic()
    rc, out = r.run(APT + booted + ['install', str(prev)])
    notes = out.count(SECURE_BOOT_NOTE)
    ko = installed_ko(rel, 'padata_mt')
    v = modinfo(ko, 'version') if ko else None
    if not lane.check('apt install %s (fresh)' % prev.name, rc == 0 and
                      v == prev_ver, 'exit %d; padata_mt for %s: %s; log %s'
                      % (rc, rel, v, r.log), tail(out, 30),
                      detail='%s built for %s, %.1f s'
                      % (prev_ver, rel, time.monotonic() - t0)):
        return []
    lane.check('postinst: the Secure Boot note, once', notes == 1,
               '"%s" %d times in the install\'s output' % (SECURE_BOOT_NOTE,
                                                          notes),
               [x for x in out.splitlines() if 'padata_mt:' in x][:10],
               detail='where the DKMS key is, mokutil --import')

    r.phase('apt install ./%s (upgrade from %s)' % (deb.name, prev_ver))
    t0 = time.monotonic()
    rc, out = r.run(APT + booted + ['install', str(deb)])
    state = package_state()
    old = [str(p) for p in Path('/usr/src').glob('padata_mt-%s' % prev_ver)]
    old += [x for x in dkms_status('padata_mt')
            if re.match(r'padata_mt/%s[,:]' % re.escape(prev_ver), x)]
    # dkms status does not list a registration whose source is gone.
    old += [str(p) for p in [DKMS_TREE / 'padata_mt' / prev_ver]
            if os.path.lexists(p)]
    if not lane.check('apt install %s (upgrade)' % deb.name, rc == 0 and
                      state == ('installed', ver), 'exit %d; dpkg %s; log %s'
                      % (rc, state, r.log), tail(out, 30),
                      detail='%s -> %s, %.1f s'
                      % (prev_ver, ver, time.monotonic() - t0)):
        return []
    lane.check('the upgrade leaves nothing of %s' % prev_ver, not old,
               'left: %s' % ', '.join(old),
               detail='no /usr/src/padata_mt-%s, no DKMS registration'
               % prev_ver)
    lane.check('postinst: no Secure Boot note on an upgrade',
               SECURE_BOOT_NOTE not in out, 'printed again')
    lane.check('dkms saw %s running' % rel, 'chroot\'s host' not in out,
               'common.postinst took this machine for a chroot: the '
               'stand-in uname was not on its PATH (%s)' % booted[1],
               detail='common.postinst built for it and '
               'the newest kernel, the postinst for the others')
    check_built(r, kernels)
    check_header(r, src)

    guest = r.work / 'guest-modules'
    shutil.rmtree(guest, ignore_errors=True)
    kos = [guest_copy(installed_ko(rel, m), guest) for m in MAIN_MODULES
           if installed_ko(rel, m)]
    signer = modinfo(kos[0], 'signer') if kos else None
    if signer:
        lane.ok('padata_mt signed (%s)' % rel, 'signer: %s' % signer)
    else:
        lane.skip('padata_mt signed (%s)' % rel, 'unsigned (dkms had no '
                  'signing key)')

    r.phase('%s against the installed package' % CONSUMER)
    flavours = [host.newest_release(f, r.series) for f in host.FLAVOURS]
    for kver in [k for k in flavours if k]:
        ko = build_consumer(r, src, kver)
        if ko and kver == rel:
            kos.append(ko)

    if late:
        r.phase('a kernel installed after the package: %s' % late)
        late_kernel(r, src, late)
    else:
        lane.skip('a kernel installed after the package',
                  'no cloud or rt %s kernel with headers' % r.series)
    return kos
