"""The dkms lane: make dkms-install for the generic kernel of every series,
modinfo checks, each kernel boots its DKMS-built modules (10-load), a
second install rebuilds, dkms skips a kernel older than 6.1, make
dkms-remove leaves nothing.  (The package lanes: lane_package.py.)
"""

import os
import shutil
import time
from pathlib import Path

import build
import host
import lane_package
from harness import (LANES_DIR, MAIN_MODULES, LaneError, dkms_lock,
                     dkms_status, modinfo, sh, tail)
from lane_guest import guest_lane


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
    lane_package.clean_slate()
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
        guest_lane(lane, 'dkms-' + rel, rel, kos,
                   [host.GUEST_DIR / '10-load.sh'],
                   LANES_DIR / ('dkms-' + host.series(rel)),
                   ctx.args.timeout, smp=2, mem='2G', numa_nodes=2)
