"""The host side of every lane and of the demo: where the tree and its build
output are, which kernels are installed (releases, flavours, series, their
headers and the images tests/deps.sh unpacks), the project's version, and
the guest suites.  The other pieces of the VM runner build on it:
build.py (copy the tree, make), initramfs.py (the busybox initramfs),
qemu.py (boot it).  Python 3 stdlib only.
"""

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO / 'build'
GUEST_DIR = REPO / 'tests' / 'guest'


class VMError(RuntimeError):
    """QEMU could not run, or the kernel/initramfs is unusable."""


def progress(msg):
    print('vm: ' + msg, flush=True)


# ---------------------------------------------------------------- releases

def version_key(s):
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
    return max(rels, key=version_key) if rels else None


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
