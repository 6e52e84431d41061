"""Build the modules, pack a busybox initramfs, boot a distro kernel in QEMU.

Importable by any host script (tests/run.py, tests/demo.py):

    import sys; sys.path.insert(0, 'tests/lib')
    import vm
    rel = vm.newest_release()
    b = vm.build_modules(rel, vm.BUILD_DIR / 'demo-src')
    initrd = vm.build_initramfs(rel, b.ko_files,
                                {'/tests/demo.sh': 'tests/guest/demo.sh'},
                                vm.BUILD_DIR / 'demo')
    text = vm.boot(rel, initrd, vm.BUILD_DIR / 'demo' / 'console.log',
                   run='/tests/demo.sh')

The guest /init (tests/guest/init) mounts proc, sysfs, devtmpfs, debugfs and
tracefs, runs the script named by pmt.run= on the kernel command line
(default: the KTAP suites /tests/NN-*.sh through tests/guest/lib.sh), prints
"pmt: guest done rc=N tainted=N" and powers the guest off.  Python 3 stdlib
only.
"""

import json
import lzma
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO / 'build'
GUEST_DIR = REPO / 'tests' / 'guest'

BASE_CMDLINE = ('console=ttyS0 panic=-1 panic_on_warn=1 softlockup_panic=1 '
                'hung_task_panic=1 oops=panic')
INIT_MARKER = 'pmt: init reached'
DONE_RE = re.compile(r'^pmt: guest done rc=(\d+) tainted=(\d+)', re.M)

# Test-only modules (Kbuild builds them with PADATA_MT_TESTS=1).
TEST_MODULE_SOURCES = ('tests/modules/padata_mt_selftest.c',
                       'tests/modules/padata_mt_bench.c')

# The distro kernel's own modules some suites load, by path under
# /lib/modules/<release>/kernel/ without the .ko suffix; build_initramfs()
# copies those the release has (a flavour or a debug kernel may lack one:
# the suite then skips) and decompresses .ko.xz/.ko.zst/.ko.gz on the way.
DISTRO_MODULES = ('mm/hwpoison-inject',)


class VMError(RuntimeError):
    """QEMU could not run, or the kernel/initramfs is unusable."""


class ConsoleLog(str):
    """The console log text (a str), plus .output: what the guest script
    printed, copied by /init to the second serial port (ttyS1), where no
    kernel message can split a line; .log_path and .output_path: the files."""

    def __new__(cls, text, output='', log_path=None, output_path=None):
        obj = super().__new__(cls, text)
        obj.output = output
        obj.log_path = log_path
        obj.output_path = output_path
        return obj


class VMTimeout(VMError):
    """The guest did not power off within the hard timeout; QEMU was killed.
    .text is the ConsoleLog so far."""

    def __init__(self, msg, log_path, text):
        super().__init__(msg)
        self.log_path = log_path
        self.text = text


def output_path(log_path):
    """Where boot() keeps the guest script's clean output: console.log ->
    console.out."""
    log_path = Path(log_path)
    return log_path.with_name(log_path.stem + '.out')


def progress(msg):
    print('vm: ' + msg, flush=True)


# ---------------------------------------------------------------- releases

def _version_key(s):
    return [(0, int(p), '') if p.isdigit() else (1, 0, p)
            for p in re.split(r'(\d+)', s) if p]


FLAVOURS = ('generic', 'rt', 'cloud')
# The kernel series the suite builds for and boots, oldest first: Debian
# 12's own 6.1 and the 6.12 it ships beside it (as Debian 13 and RHEL 10).
SERIES = ('6.1', '6.12')


def flavour(release):
    """'rt' (6.1.0-56-rt-amd64), 'cloud' (-cloud-) or 'generic'."""
    m = re.search(r'-(rt|cloud)-', release)
    return m.group(1) if m else 'generic'


def series(release):
    """'6.1' for 6.1.0-57-amd64, '6.12' for 6.12.117+deb12-amd64."""
    m = re.match(r'(\d+\.\d+)\b', release)
    return m.group(1) if m else None


def has_headers(release):
    """/lib/modules/<release>/build is a kernel build tree (as the Makefile
    tests: a dangling build link does not count)."""
    return (Path('/lib/modules') / release / 'build' / 'Makefile').exists()


def _releases_with_headers():
    return [p.name for p in Path('/lib/modules').glob('*')
            if has_headers(p.name)]


def newest_release(flavour_name=None, series_name=None):
    """The newest kernel release with headers under /lib/modules/*/build,
    or None.  flavour_name='generic' | 'rt' | 'cloud' and series_name=
    '6.1' | '6.12' pick only that flavour / series; without a flavour the
    generic one is preferred (rt/cloud only when nothing else has
    headers)."""
    rels = _releases_with_headers()
    if series_name:
        rels = [r for r in rels if series(r) == series_name]
    if flavour_name:
        rels = [r for r in rels if flavour(r) == flavour_name]
    else:
        rels = [r for r in rels if flavour(r) == 'generic'] or rels
    return max(rels, key=_version_key) if rels else None


# What a build must not inherit from the caller's environment: the kernel
# choice is always passed explicitly (KVER=, KDIR=), and a parent make's
# MAKEFLAGS would carry its own command-line variables along.
_KERNEL_ENV = ('KVER', 'KERNELRELEASE', 'KDIR', 'MAKEFLAGS', 'MFLAGS',
               'MAKELEVEL')


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in _KERNEL_ENV}
    env.update(extra)
    return env


def default_release(repo=REPO):
    """(release, why): the Makefile's choice, from `make kver` (the running
    kernel when its headers are installed, otherwise the newest installed
    generic headers), or (None, why) when there are none."""
    r = subprocess.run(['make', '-s', '--no-print-directory', '-C',
                        str(repo), 'kver'], env=clean_env(),
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, check=False)
    rel, _, why = r.stdout.strip().partition('\t')
    if r.returncode != 0 or not rel:
        return None, 'no kernel headers under /lib/modules/*/build'
    return rel, why


# Where tests/deps.sh unpacks the kernel images the lanes boot (it never
# installs them on the host).
KERNEL_CACHE = Path(os.environ.get('PMT_CACHE', '/var/cache/padata_mt')) / \
    'kernels'


def image_root(release):
    """Where linux-image-<release>'s files are: its copy unpacked by
    tests/deps.sh (<KERNEL_CACHE>/<release>/), else / (the image is
    installed)."""
    d = KERNEL_CACHE / release
    return d if (d / 'boot' / ('vmlinuz-' + release)).exists() else Path('/')


def vmlinuz(release):
    return image_root(release) / 'boot' / ('vmlinuz-' + release)


def check_release(release):
    """Raise VMError with the next step if `release` cannot be booted."""
    k = vmlinuz(release)
    if not k.exists():
        raise VMError('no kernel image for %s (neither %s nor /boot): run '
                      'tests/deps.sh as root (it unpacks linux-image-%s)'
                      % (release, KERNEL_CACHE / release, release))
    if not os.access(k, os.R_OK):
        raise VMError('%s is not readable: run as root' % k)


def dkms_version(repo=REPO):
    """PACKAGE_VERSION from dkms.conf, the project's single version source."""
    m = re.search(r'^PACKAGE_VERSION="([^"]*)"', (Path(repo) / 'dkms.conf')
                  .read_text(), re.M)
    if not m:
        raise VMError('no PACKAGE_VERSION in %s/dkms.conf' % repo)
    return m.group(1)


def guest_suites():
    """Every in-guest suite tests/guest/NN-name.sh, in order."""
    return sorted(p for p in GUEST_DIR.glob('[0-9][0-9]-*.sh'))


# ---------------------------------------------------------------- building

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


# ---------------------------------------------------------------- initramfs

class _Cpio:
    """A newc (SVR4, no CRC) archive writer: root-owned, mtime 0, so the
    initramfs needs neither root nor mknod to build."""

    def __init__(self, path):
        self.f = open(path, 'wb')
        self.ino = 1

    def _entry(self, name, mode, data=b'', rdev=(0, 0)):
        name_b = name.encode() + b'\0'
        hdr = '070701' + ''.join('%08x' % v for v in (
            self.ino, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0,
            len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
        self.ino += 1
        self.f.write(hdr.encode() + name_b)
        self.f.write(b'\0' * (-(110 + len(name_b)) % 4))
        self.f.write(data)
        self.f.write(b'\0' * (-len(data) % 4))

    def add_tree(self, root):
        root = Path(root)
        for d, dirs, files in os.walk(root):
            dirs.sort()
            rel = Path(d).relative_to(root)
            if str(rel) != '.':
                self._entry(str(rel), stat.S_IFDIR | 0o755)
            for f in sorted(files):
                p = Path(d) / f
                st = p.lstat()
                if stat.S_ISLNK(st.st_mode):
                    self._entry(str(rel / f), stat.S_IFLNK | 0o777,
                                os.readlink(p).encode())
                else:
                    self._entry(str(rel / f),
                                stat.S_IFREG | (st.st_mode & 0o777),
                                p.read_bytes())
            for sub in dirs:
                p = Path(d) / sub
                if p.is_symlink():
                    self._entry(str(rel / sub), stat.S_IFLNK | 0o777,
                                os.readlink(p).encode())

    def add_chardev(self, name, major, minor, perm=0o600):
        self._entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def close(self):
        self._entry('TRAILER!!!', 0)
        self.f.write(b'\0' * (-self.f.tell() % 512))
        self.f.close()


def _is_static_elf(path):
    """True if `path` is an ELF file without a PT_INTERP program header."""
    with open(path, 'rb') as f:
        h = f.read(64)
        if h[:4] != b'\x7fELF' or h[4] != 2:
            return False
        phoff = int.from_bytes(h[32:40], 'little')
        phentsize = int.from_bytes(h[54:56], 'little')
        phnum = int.from_bytes(h[56:58], 'little')
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return all(int.from_bytes(ph[i * phentsize:i * phentsize + 4],
                              'little') != 3 for i in range(phnum))


def find_busybox():
    for p in ('/bin/busybox', '/usr/bin/busybox'):
        if os.path.exists(p) and _is_static_elf(p):
            return p
    raise VMError('no static busybox: apt-get install busybox-static '
                  '(or run tests/deps.sh)')


def _depmod():
    for p in (shutil.which('depmod'), '/usr/sbin/depmod', '/sbin/depmod'):
        if p and os.path.exists(p):
            return p
    raise VMError('depmod not found: apt-get install kmod')


def _copy_module(ko, dest_dir):
    """Copy a .ko into dest_dir; a compressed one (.ko.xz, as DKMS installs
    for kernels built with MODULE_COMPRESS_XZ, such as Debian's 6.12) is
    decompressed, so the guest's busybox needs no xz support."""
    ko = Path(ko)
    if ko.name.endswith('.ko.xz'):
        (dest_dir / ko.name[:-len('.xz')]).write_bytes(
            lzma.decompress(ko.read_bytes()))
    else:
        shutil.copy2(ko, dest_dir / ko.name)


def _copy_distro_module(release, name, mdir, module_tree=None):
    """/lib/modules/<release>/kernel/<name>.ko[.xz|.zst|.gz] (or
    <module_tree>/<name>.ko, a kernel build tree's) into the staging tree's
    kernel/ (uncompressed); False if the release lacks it."""
    dst = Path(mdir) / 'kernel' / (name + '.ko')
    srcs = [Path('/lib/modules') / release / 'kernel' / (name + '.ko' + ext)
            for ext in ('', '.xz', '.zst', '.gz')]
    if module_tree:
        srcs.append(Path(module_tree) / (name + '.ko'))
    for p in srcs:
        ext = p.suffix if p.suffix != '.ko' else ''
        if not p.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if ext == '':
            shutil.copy2(p, dst)
        elif ext == '.xz':
            dst.write_bytes(lzma.decompress(p.read_bytes()))
        elif ext == '.gz':
            import gzip
            dst.write_bytes(gzip.decompress(p.read_bytes()))
        else:
            r = subprocess.run(['zstd', '-dcq', str(p)], capture_output=True,
                               check=False)
            if r.returncode != 0:
                return False
            dst.write_bytes(r.stdout)
        return True
    return False


def build_initramfs(release, ko_files, guest_files, outdir, version=None,
                    quiet=False, distro_modules=DISTRO_MODULES,
                    module_tree=None):
    """Pack a busybox initramfs for `release`; return its path.

    ko_files    .ko (or .ko.xz) files, copied (decompressed) to
                /lib/modules/<release>/extra/; modules.dep
                comes from `depmod -b <root> <release>` on the host, so the
                guest's `modprobe memmap_test` pulls padata_mt in.
    guest_files either a list of host files, each copied to /tests/<name>
                (the suites), or a dict {guest path: host path}.  /init
                (tests/guest/init) and /tests/lib.sh are always included.
    outdir      gets root/ (the staging tree) and initramfs.cpio.
    version     written to /etc/pmt/version (default: dkms.conf's).
    distro_modules  the release's own modules to include (DISTRO_MODULES),
                under /lib/modules/<release>/kernel/ (or module_tree, the
                kernel's build tree: a debug kernel's), uncompressed; missing
                ones are left out (listed in /etc/pmt/distro-modules-missing).
    """
    t0 = time.monotonic()
    outdir = Path(outdir)
    root = outdir / 'root'
    if root.exists():
        shutil.rmtree(root)
    for d in ('bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc/pmt', 'tests',
              'proc', 'sys', 'dev', 'tmp', 'run', 'root'):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(find_busybox(), root / 'bin' / 'busybox')
    os.symlink('busybox', root / 'bin' / 'sh')
    shutil.copy2(GUEST_DIR / 'init', root / 'init')
    os.chmod(root / 'init', 0o755)
    shutil.copy2(GUEST_DIR / 'lib.sh', root / 'tests' / 'lib.sh')

    if isinstance(guest_files, dict):
        items = list(guest_files.items())
    else:
        items = [('/tests/' + Path(p).name, p) for p in guest_files]
    for dst, src in items:
        d = root / str(dst).lstrip('/')
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, d)

    (root / 'etc/pmt/version').write_text(
        (version if version is not None else dkms_version()) + '\n')
    (root / 'etc/pmt/release').write_text(release + '\n')

    mdir = root / 'lib' / 'modules' / release
    (mdir / 'extra').mkdir(parents=True)
    host_mdir = image_root(release) / 'lib' / 'modules' / release
    for f in ('modules.builtin', 'modules.builtin.modinfo', 'modules.order'):
        if (host_mdir / f).exists():
            shutil.copy2(host_mdir / f, mdir / f)
    for ko in ko_files:
        _copy_module(ko, mdir / 'extra')
    missing = [m for m in distro_modules
               if not _copy_distro_module(release, m, mdir, module_tree)]
    (root / 'etc/pmt/distro-modules-missing').write_text(
        ''.join(m + '\n' for m in missing))
    r = subprocess.run([_depmod(), '-b', str(root), release],
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise VMError('depmod -b %s %s failed: %s' % (root, release,
                                                      r.stderr.strip()))

    out = outdir / 'initramfs.cpio'
    cpio = _Cpio(out)
    cpio.add_tree(root)
    cpio.add_chardev('dev/console', 5, 1)
    cpio.add_chardev('dev/null', 1, 3, 0o666)
    cpio.close()
    if not quiet:
        progress('initramfs %s (%.1f MiB, %d modules%s) in %.1f s' % (
            out, out.stat().st_size / 2**20, len(ko_files),
            ', distro: %s' % ' '.join(m for m in distro_modules
                                      if m not in missing)
            if len(missing) < len(distro_modules) else '',
            time.monotonic() - t0))
    return out


# ---------------------------------------------------------------- booting

def _mem_mib(mem):
    m = re.fullmatch(r'(\d+)([MG]?)', str(mem).upper().rstrip('B'))
    if not m:
        raise ValueError('memory size %r: use e.g. 4G or 512M' % mem)
    return int(m.group(1)) * (1024 if m.group(2) == 'G' else 1)


def node_cpu_counts(smp, numa_nodes, node_cpus=None):
    """CPUs per NUMA node: `node_cpus` as given (e.g. [2, 1, 1, 0]: uneven
    nodes and a memory-only one; it must sum to `smp`), or `smp` split
    evenly over `numa_nodes` (the first nodes get the remainder)."""
    if node_cpus is not None:
        node_cpus = [int(n) for n in node_cpus]
        if len(node_cpus) < 2 or sum(node_cpus) != smp or \
                min(node_cpus) < 0 or not any(node_cpus):
            raise ValueError('node_cpus %r: one count per node (at least 2 '
                             'nodes), summing to smp=%d' % (node_cpus, smp))
        return node_cpus
    return [smp // numa_nodes + (1 if n < smp % numa_nodes else 0)
            for n in range(numa_nodes)]


def numa_args(smp, mem, numa_nodes, node_cpus=None):
    """-object/-numa options: memory split evenly over `numa_nodes` nodes,
    CPUs in contiguous runs, evenly or as `node_cpus` says (a node may get
    none: memory-only)."""
    if node_cpus is not None:
        numa_nodes = len(node_cpus)
    if not numa_nodes or numa_nodes < 2:
        return []
    total = _mem_mib(mem)
    args = []
    cpu = 0
    for n, ncpu in enumerate(node_cpu_counts(smp, numa_nodes, node_cpus)):
        size = total // numa_nodes + (total % numa_nodes
                                      if n == numa_nodes - 1 else 0)
        args += ['-object', 'memory-backend-ram,id=mem%d,size=%dM' % (n, size)]
        node = 'node,nodeid=%d,memdev=mem%d' % (n, n)
        if ncpu:
            node += ',cpus=%d' % cpu if ncpu == 1 else \
                ',cpus=%d-%d' % (cpu, cpu + ncpu - 1)
        cpu += ncpu
        args += ['-numa', node]
    return args


def smp_arg(smp, numa_nodes, node_cpus=None):
    """One socket per NUMA node (one per CPU if they do not divide, or if
    the nodes are uneven), so no cache domain spans two nodes: otherwise the
    guest WARNs in topology_sane() ("llc-sibling ... not on the same node")
    and panic_on_warn stops it."""
    if node_cpus is not None:
        return '%d,sockets=%d,cores=1,threads=1' % (smp, smp)
    if not numa_nodes or numa_nodes < 2:
        return str(smp)
    sockets = numa_nodes if smp % numa_nodes == 0 else smp
    return '%d,sockets=%d,cores=%d,threads=1' % (smp, sockets, smp // sockets)


# Host environment variables handed to the guest suites: the kernel passes
# NAME=value words of its command line on to /init's environment (a value
# may not hold a space: 55-statefuzz.sh takes commas in PMT_FUZZ_SEED).
GUEST_ENV = ('PMT_FUZZ_SEED', 'PMT_FUZZ_STEPS')


def guest_env_cmdline():
    """NAME=value for each GUEST_ENV variable set on the host."""
    return ' '.join('%s=%s' % (k, os.environ[k].strip().replace(' ', ','))
                    for k in GUEST_ENV if os.environ.get(k, '').strip())


def qemu_command(release, initramfs, log_path, smp=2, mem='4G', numa_nodes=2,
                 cmdline_extra='', cpu_model=None, accel='tcg', kernel=None,
                 node_cpus=None):
    qemu = shutil.which('qemu-system-x86_64')
    if not qemu:
        raise VMError('qemu-system-x86_64 not found: apt-get install '
                      'qemu-system-x86 (or run tests/deps.sh)')
    cmd = [qemu, '-nodefaults', '-no-user-config', '-no-reboot',
           '-display', 'none', '-monitor', 'none',
           '-serial', 'file:%s' % log_path,
           '-serial', 'file:%s' % output_path(log_path),
           '-accel', 'tcg,thread=multi' if accel == 'tcg' else accel,
           '-smp', smp_arg(smp, numa_nodes, node_cpus),
           '-m', '%dM' % _mem_mib(mem)]
    if cpu_model:
        cmd += ['-cpu', cpu_model]
    cmd += numa_args(smp, mem, numa_nodes, node_cpus)
    cmd += ['-kernel', str(kernel or vmlinuz(release)),
            '-initrd', str(initramfs),
            '-append', ' '.join(x for x in (BASE_CMDLINE, cmdline_extra,
                                            guest_env_cmdline()) if x)]
    return cmd


def _run_qemu(cmd, log_path, timeout_s, init_timeout_s=None,
              init_silence_s=None):
    """Run QEMU to completion or kill it: after timeout_s, or, while the
    guest has not printed INIT_MARKER, after init_timeout_s or after
    init_silence_s without a new console byte.
    Returns (timed_out, returncode, stderr); timed_out is False, True or
    'init' (killed before /init)."""
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    Path(log_path).write_bytes(b'')
    output_path(log_path).write_bytes(b'')
    errf = Path(str(log_path) + '.stderr')
    with open(errf, 'wb') as err:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err)
        t0 = time.monotonic()
        timed_out = False
        init_seen = init_timeout_s is None and init_silence_s is None
        size, t_grew = 0, t0
        while True:
            try:
                p.wait(timeout=2)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            dt = now - t0
            if not init_seen:
                with open(log_path, 'rb') as f:
                    data = f.read()
                init_seen = INIT_MARKER.encode() in data
                if len(data) != size:
                    size, t_grew = len(data), now
                if not init_seen and (
                        (init_timeout_s and dt > init_timeout_s) or
                        (init_silence_s and now - t_grew > init_silence_s)):
                    timed_out = 'init'
            if dt > timeout_s:
                timed_out = True
            if timed_out:
                p.kill()
                p.wait()
                break
    return timed_out, p.returncode, errf.read_text(errors='replace')


def _qemu_version():
    try:
        r = subprocess.run(['qemu-system-x86_64', '--version'],
                           capture_output=True, text=True, check=False)
        return r.stdout.split('\n')[0]
    except OSError:
        return '?'


def select_accel(release, initramfs, workdir=None, probe_timeout_s=20,
                 kernel=None):
    """'kvm' if a KVM guest really reaches /init within probe_timeout_s,
    else 'tcg'.  PMT_ACCEL=kvm|tcg overrides; the probe result is cached in
    build/vm/accel.json per (release, host kernel, QEMU version)."""
    forced = os.environ.get('PMT_ACCEL')
    if forced in ('kvm', 'tcg'):
        return forced
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        return 'tcg'
    workdir = Path(workdir or BUILD_DIR / 'vm')
    workdir.mkdir(parents=True, exist_ok=True)
    cache = workdir / 'accel.json'
    key = '%s|%s|%s' % (kernel or release, os.uname().release,
                        _qemu_version())
    try:
        known = json.loads(cache.read_text())
    except (OSError, ValueError):
        known = {}
    if key in known:
        return known[key]
    t0 = time.monotonic()
    log = workdir / 'kvm-probe.log'
    cmd = qemu_command(release, initramfs, log, smp=1, mem='1G',
                       numa_nodes=0, cmdline_extra='pmt.run=probe',
                       accel='kvm', kernel=kernel)
    timed_out, rc, err = _run_qemu(cmd, log, probe_timeout_s)
    ok = not timed_out and INIT_MARKER in log.read_text(errors='replace')
    accel = 'kvm' if ok else 'tcg'
    why = ('guest reached /init' if ok else
           'guest hung before /init' if timed_out else
           'QEMU exited %s: %s' % (rc, (err.strip().split('\n') or [''])[0]))
    progress('KVM probe: %s in %.1f s -> %s (cached in %s)' % (
        why, time.monotonic() - t0, accel, cache))
    known[key] = accel
    cache.write_text(json.dumps(known, indent=1) + '\n')
    return accel


def boot(release, initramfs, log_path, smp=2, mem='4G', numa_nodes=2,
         timeout_s=600, cmdline_extra='', cpu_model=None, run=None,
         accel=None, quiet=False, kernel=None, init_timeout_s=None,
         init_silence_s=None, retries=1, node_cpus=None):
    """Boot /boot/vmlinuz-<release> with `initramfs`; return the console log.

    The console (ttyS0) goes to `log_path`; the returned ConsoleLog (a str)
    also carries .output, the guest script's own output as copied to ttyS1
    (file: output_path(log_path), e.g. console.out).  run='suites' | 'probe'
    | a guest script path adds pmt.run=<run> (see tests/guest/init);
    cmdline_extra is appended to BASE_CMDLINE.  accel=None probes KVM
    (select_accel).
    kernel: an image other than /boot/vmlinuz-<release> (e.g. a debug
    kernel's bzImage); `release` then only names the module directory.
    node_cpus: CPUs per NUMA node, e.g. [2, 1, 1, 0] (uneven nodes and a
    memory-only one); sets smp and numa_nodes (given ones are ignored).
    init_timeout_s, init_silence_s: a guest that has not reached /init
    after init_timeout_s, or printed nothing for init_silence_s before it,
    hung in the kernel's own boot, before any module of ours (seen under
    TCG: a debug kernel stuck in its RCU-tasks self-test); it is killed and
    booted again, up to `retries` times, each hang's log kept as
    <log>.hangN.  The returned ConsoleLog's .boot_retries says how many.
    Raises VMTimeout (QEMU killed, .text holds the log so far) if the guest
    has not powered off after timeout_s, VMError if QEMU fails.
    """
    if kernel is None:
        check_release(release)
    elif not os.access(kernel, os.R_OK):
        raise VMError('kernel image %s is missing or unreadable' % kernel)
    log_path = Path(log_path)
    if run:
        cmdline_extra = ('pmt.run=%s %s' % (run, cmdline_extra)).strip()
    if node_cpus is not None:
        smp, numa_nodes = sum(node_cpus), len(node_cpus)
        node_cpu_counts(smp, numa_nodes, node_cpus)     # checks it
    if accel is None:
        accel = select_accel(release, initramfs, kernel=kernel)
    cmd = qemu_command(release, initramfs, log_path, smp, mem, numa_nodes,
                       cmdline_extra, cpu_model, accel, kernel, node_cpus)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    (log_path.parent / (log_path.name + '.cmd')).write_text(
        ' '.join("'%s'" % a if ' ' in a else a for a in cmd) + '\n')
    if not quiet:
        progress('booting %s (%s, %d vCPUs, %s, %s, cpu %s), console log %s'
                 % (kernel or release, accel, smp, mem,
                    'NUMA nodes of %s CPUs' % '+'.join(map(str, node_cpus))
                    if node_cpus else
                    '%d NUMA nodes' % numa_nodes if numa_nodes and
                    numa_nodes > 1 else 'no NUMA',
                    cpu_model or 'default', log_path))
    t0 = time.monotonic()
    hangs = 0
    while True:
        timed_out, rc, err = _run_qemu(cmd, log_path, timeout_s,
                                       init_timeout_s, init_silence_s)
        if timed_out != 'init' or hangs >= retries:
            break
        hangs += 1
        last = [x for x in log_path.read_text(errors='replace')
                .split('\n') if x.strip()][-1:] or ['(no console output)']
        keep = log_path.with_name(log_path.name + '.hang%d' % hangs)
        shutil.copy2(log_path, keep)
        progress('guest hung before /init (%.0f s, last console line: %s); '
                 'log kept as %s; booting again (%d of %d)'
                 % (time.monotonic() - t0, last[0].strip()[:100], keep,
                    hangs, retries))
    dt = time.monotonic() - t0
    text = log_path.read_text(errors='replace') if log_path.exists() else ''
    outp = output_path(log_path)
    out = outp.read_text(errors='replace') if outp.exists() else ''
    text = ConsoleLog(text.replace('\r\n', '\n'),
                      out.replace('\r\n', '\n'), log_path, outp)
    text.boot_retries = hangs
    if timed_out == 'init':
        tail = '\n'.join(text.rstrip('\n').split('\n')[-15:])
        msg = ('guest did not reach /init (limit %s s, or %s s without '
               'output), %d time(s): a hang in the kernel\'s own boot; '
               'console log %s\nlast console lines:\n%s'
               % (init_timeout_s, init_silence_s, hangs + 1, log_path, tail))
        if not quiet:
            progress('guest hung before /init, %d time(s)' % (hangs + 1))
        raise VMTimeout(msg, log_path, text)
    if timed_out:
        tail = '\n'.join(text.rstrip('\n').split('\n')[-15:])
        msg = ('guest did not power off within %d s, QEMU killed (a hang, or '
               'raise the timeout); console log %s\nlast console lines:\n%s'
               % (timeout_s, log_path, tail))
        if not quiet:
            progress('guest TIMED OUT after %.1f s' % dt)
        raise VMTimeout(msg, log_path, text)
    if rc != 0 or not text:
        raise VMError('QEMU exited with status %s after %.1f s: %s\n'
                      'command: %s' % (rc, dt, err.strip() or
                                       '(no console output)', ' '.join(cmd)))
    if not quiet:
        m = DONE_RE.search(text)
        progress('guest done in %.1f s (%s)' % (
            dt, 'rc=%s tainted=%s' % m.groups() if m else
            'no "pmt: guest done" line: panic or early death'))
    return text


def guest_done(text):
    """(rc, tainted) from the guest's last line, or None if it never got
    there (panic, hang, init died)."""
    m = DONE_RE.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


if __name__ == '__main__':
    # Smoke test: python3 tests/lib/vm.py  -> build, boot, print the log.
    rel = newest_release()
    if not rel:
        sys.exit('no kernel headers under /lib/modules/*/build: '
                 'run tests/deps.sh')
    b = build_modules(rel, BUILD_DIR / 'vm-src')
    if not b.ok:
        sys.exit(b.output)
    img = build_initramfs(rel, b.ko_files, guest_suites(), BUILD_DIR / 'vm')
    print(boot(rel, img, BUILD_DIR / 'vm' / 'console.log'))
