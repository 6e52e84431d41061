"""Pack a busybox initramfs: /init (tests/guest/init), tests/guest/lib.sh,
the guest scripts, our modules and a few of the distro kernel's, with a
modules.dep from the host's depmod.  Root-owned newc cpio, written without
root or mknod.  Python 3 stdlib only.
"""

import lzma
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

from host import GUEST_DIR, VMError, dkms_version, image_root, progress

# The distro kernel's own modules some suites load, by path under
# /lib/modules/<release>/kernel/ without the .ko suffix; build_initramfs()
# copies those the release has (a flavour or a debug kernel may lack one:
# the suite then skips) and decompresses .ko.xz/.ko.zst/.ko.gz on the way.
DISTRO_MODULES = ('mm/hwpoison-inject',)


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
