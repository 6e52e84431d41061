"""The static lanes: deps (tests/deps.sh), build (make W=1, and the
compile-time probes against tests/kernels/probes.expected), sparse (make
C=1), checkpatch (checkpatch.pl --no-tree over every .c/.h) and version
(dkms.conf == modinfo version and vermagic).  No guest boots.
"""

import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import build
import host
from harness import (MAIN_MODULES, LaneError, findings, modinfo, say, sh,
                     tail)
from host import REPO

SOURCE_DIRS = ('padata_mt/', 'memmap_test/', 'tests/modules/',
               'docs/examples/')


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
        bad = findings(b.output)
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
        found = [line for line in out.split('\n')
                 if re.match(r'^(ERROR|WARNING|CHECK):', line)]
        lane.check('checkpatch ' + f, rc == 0 and not found,
                   '%d finding(s)' % len(found), out.rstrip('\n')
                   .split('\n')[:60])


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


def lane_mutants(ctx, lane):
    """Every mutant of tests/mutants.py still applies to its file, so
    that `tests/mutants.py NAME` can still show its defect being caught."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'mutants', REPO / 'tests' / 'mutants.py')
    mutants = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutants)
    for name, ok, msg in mutants.check(REPO):
        lane.check(name, ok, msg)
