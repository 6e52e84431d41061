"""Boot a distro kernel (or a debug kernel's bzImage) with an initramfs in
QEMU, and read back what the guest printed.

Importable by any host script (tests/run.py, tests/demo.py):

    import sys; sys.path.insert(0, 'tests/lib')
    import build, host, initramfs, qemu
    rel = host.newest_release()
    b = build.build_modules(rel, host.BUILD_DIR / 'demo-src')
    initrd = initramfs.build_initramfs(
        rel, b.ko_files, {'/tests/demo.sh': 'tests/guest/demo.sh'},
        host.BUILD_DIR / 'demo')
    text = qemu.boot(rel, initrd, host.BUILD_DIR / 'demo' / 'console.log',
                     run='/tests/demo.sh')

The guest /init (tests/guest/init) mounts proc, sysfs, devtmpfs, debugfs and
tracefs, runs the script named by pmt.run= on the kernel command line
(default: the KTAP suites /tests/NN-*.sh through tests/guest/lib.sh), prints
"pmt: guest done rc=N tainted=N" and powers the guest off.  Python 3 stdlib
only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from host import BUILD_DIR, VMError, check_release, progress, vmlinuz

BASE_CMDLINE = ('console=ttyS0 panic=-1 panic_on_warn=1 softlockup_panic=1 '
                'hung_task_panic=1 oops=panic')
INIT_MARKER = 'pmt: init reached'
DONE_RE = re.compile(r'^pmt: guest done rc=(\d+) tainted=(\d+)', re.M)


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
    # Smoke test: python3 tests/lib/qemu.py  -> build, boot, print the log.
    import build
    import host
    import initramfs
    rel = host.newest_release()
    if not rel:
        sys.exit('no kernel headers under /lib/modules/*/build: '
                 'run tests/deps.sh')
    b = build.build_modules(rel, BUILD_DIR / 'vm-src')
    if not b.ok:
        sys.exit(b.output)
    img = initramfs.build_initramfs(rel, b.ko_files, host.guest_suites(),
                                    BUILD_DIR / 'vm')
    print(boot(rel, img, BUILD_DIR / 'vm' / 'console.log'))
