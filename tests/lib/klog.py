"""Judge a guest console log: its KTAP results (parsed by ktap.py) and the
kernel's own messages.

    import klog
    rep = klog.evaluate(console_text)
    rep.passed, rep.failed, rep.skipped   # leaf tests (+ problems as failures)
    rep.problems                          # plan/structure/guest problems
    rep.error_lines                       # (line number, text) kernel reports
    rep.ktap_lines                        # the KTAP output, for printing

A leaf is a result line without a nested subtest block (ktap.py).  The log
fails on any "not ok", a missing or short plan at any level, a guest that
never printed "pmt: guest done" (panic, hang), a taint other than O/E, and
any kernel report (WARNING:, BUG:, Oops, Call Trace, lockdep, KASAN,
kmemleak, hung task, soft lockup, panic) anywhere in the log.

Expected reports.  A guest test that provokes a report on purpose brackets
it with kernel-log markers (tests/guest/lib.sh pmt_expect_splat_begin/_end,
written to /dev/kmsg so they keep their place among kernel messages):

    pmt: expect-splat begin KIND NAME
    ... the report ...
    pmt: expect-splat end KIND NAME

Inside such a window only the report lines of KIND are excused; anything
else (a KASAN report, a BUG, a second kind of report) still fails.  KINDs:
  lockdep    "possible circular locking dependency detected" and its one
             "Call Trace"; the report is REQUIRED: the host names the window
             in evaluate(expect_splats={NAME: 'lockdep'}), and a missing
             report (or a window the host did not ask for) fails the run
  allocfail  the "Call Trace" of allocation-failure reports ("page
             allocation failure:", "vmalloc error:", "vmemmap alloc
             failure", "FAULT_INJECTION: forcing a failure") that fault
             injection provokes; optional: windows need not be named and
             may contain no report
  addpages   the kernel's own WARN_ON_ONCE in x86 add_pages() when
             __add_pages() fails (arch/x86/mm/init_64.c, 6.1), e.g. on an
             injected allocation failure under memremap_pages(); optional.
             The guest turns panic_on_warn off inside such a window; the
             W taint it leaves is then allowed.
KIND may list several kinds, comma-separated (allocfail,addpages).
Python 3 stdlib only.

    python3 tests/lib/klog.py CONSOLE_LOG    (or tests/lib/ktap.py)
"""

import re
import sys
from pathlib import Path

import ktap
from qemu import DONE_RE

# Kernel reports: any of these anywhere in the log fails the run.
ERROR_PATTERNS = [
    r'WARNING:', r'BUG:', r'\bOops\b', r'Call Trace', r'Kernel panic',
    r'possible circular locking', r'possible recursive locking',
    r'inconsistent lock state', r'suspicious RCU usage',
    r'KASAN', r'UBSAN:', r'unreferenced object', r'hung task',
    r'blocked for more than', r'soft lockup', r'hard LOCKUP',
    r'general protection fault', r'Unable to handle kernel',
    r'kernel BUG at', r'list_(add|del) corruption',
]
ERROR_RE = re.compile('|'.join(ERROR_PATTERNS))

# Expected reports (see the module docstring).
SPLAT_MARK_RE = re.compile(r'pmt: expect-splat (begin|end) (\S+) (\S+)\s*$')
SPLAT_KINDS = {
    # kind: (report headers, required)
    'lockdep': (re.compile(r'possible circular locking dependency '
                           r'detected'), True),
    'allocfail': (re.compile(r'page allocation failure:|vmalloc error:|'
                             r'vmemmap alloc failure|FAULT_INJECTION: '
                             r'forcing a failure'), False),
    'addpages': (re.compile(r'WARNING: CPU: \d+ PID: \d+ at '
                            r'arch/x86/mm/init_64\.c:\d+ add_pages\+'),
                 False),
}
# Kinds whose report is a WARN: the kernel is then tainted W (bit 9).
SPLAT_WARN_KINDS = ('addpages',)
TAINT_WARN = 1 << 9
# Lines of a report that ERROR_RE flags but that belong to the report
# itself: its stack dump.
SPLAT_TRACE_RE = re.compile(r'Call Trace')
TAINT_FLAGS = 'PFSRMBUDAWCIOELKXTN'
# Out-of-tree (O) and unsigned (E) modules are what this project loads.
TAINT_ALLOWED = (1 << 12) | (1 << 13)


class Splat:
    """One expect-splat window: kind, name, line span, reports seen."""

    def __init__(self, kind, name, begin):
        self.kind = kind
        self.kinds = kind.split(',')
        self.headers = re.compile('|'.join(
            '(?:%s)' % SPLAT_KINDS[k][0].pattern for k in self.kinds))
        self.required = any(SPLAT_KINDS[k][1] for k in self.kinds)
        self.warns = 0            # excused reports that were WARNs
        self.name = name
        self.begin = begin
        self.end = None
        self.reports = 0
        self.excused = []         # (line number, line) it excused


class LogReport(ktap.Report):
    """ktap.Report plus what the kernel's messages say."""

    def __init__(self):
        super().__init__()
        self.splats = []          # Splat windows found
        self.error_lines = []     # (line number, text) kernel reports
        self.done = None          # (rc, tainted) or None


def scan_errors(text, ktap_linenos=(), splats=None):
    """(line number, line) for every kernel report in the log, except the
    lines of expected reports inside expect-splat windows.  `splats`, if a
    list, receives a Splat per window (with .reports counted); a problem
    with the windows themselves (unknown kind, unbalanced markers) is
    returned as an error line too."""
    skip = set(ktap_linenos)
    out = []
    window = None             # the open Splat
    armed = 0                 # report headers seen, stack dump not yet
    for lineno, line in enumerate(text.split('\n'), 1):
        line = line.rstrip('\r')
        m = SPLAT_MARK_RE.search(line)
        if m:
            what, kind, name = m.groups()
            if what == 'begin':
                if window is not None:
                    out.append((lineno, 'expect-splat window %r begins '
                                'inside %r: %s' % (name, window.name, line)))
                if not all(k in SPLAT_KINDS for k in kind.split(',')):
                    out.append((lineno, 'expect-splat: unknown kind %r: %s'
                                % (kind, line)))
                    window = None
                    continue
                window = Splat(kind, name, lineno)
                armed = 0
                if splats is not None:
                    splats.append(window)
            elif window is None or window.name != name or \
                    window.kind != kind:
                out.append((lineno, 'expect-splat end without its begin: '
                            + line))
            else:
                window.end = lineno
                window = None
            continue
        if lineno in skip:
            continue
        if window is not None:
            if window.headers.search(line):
                window.reports += 1
                armed += 1
                if any(SPLAT_KINDS[k][0].search(line)
                       for k in SPLAT_WARN_KINDS if k in window.kinds):
                    window.warns += 1
                if ERROR_RE.search(line):
                    window.excused.append((lineno, line))
                continue
            if armed and SPLAT_TRACE_RE.search(line) and \
                    not ERROR_RE.search(SPLAT_TRACE_RE.sub('', line)):
                armed -= 1
                window.excused.append((lineno, line))
                continue
        if ERROR_RE.search(line):
            out.append((lineno, line))
    if window is not None:
        # Never closed (the guest died in it): nothing is excused.
        out = sorted(out + window.excused)
    return out


def check_splats(splats, expect_splats):
    """Problems with the expect-splat windows: a window never closed, a
    required kind the host did not ask for, an expected report missing."""
    problems = []
    expect_splats = dict(expect_splats or {})
    for w in splats:
        if w.end is None:
            problems.append('expect-splat window %s %s (line %d) never '
                            'ended: its reports were not excused'
                            % (w.kind, w.name, w.begin))
        if w.required and expect_splats.get(w.name) != w.kind:
            problems.append('expect-splat window %s %s (line %d): the host '
                            'did not expect it' % (w.kind, w.name, w.begin))
    for name, kind in expect_splats.items():
        seen = [w for w in splats if w.name == name and w.kind == kind]
        if not seen:
            problems.append('expected %s report %r: its expect-splat window '
                            'never appeared' % (kind, name))
        elif not any(w.reports for w in seen):
            problems.append('expected %s report %r did not appear in its '
                            'window (lines %d-%s)' % (
                                kind, name, seen[0].begin,
                                seen[0].end or 'end'))
    return problems


def taint_letters(value):
    return ''.join(TAINT_FLAGS[i] for i in range(len(TAINT_FLAGS))
                   if value & (1 << i))


def evaluate(text, require_done=True, output=None, expect_splats=None):
    """Judge a console log; see the module docstring.  Every problem and a
    log with kernel reports each count as one failure.

    expect_splats: {window name: kind} of reports that must appear (kinds
    whose report is required, e.g. 'lockdep'), each inside its window.

    KTAP is read from `output` (default: text.output of a qemu.ConsoleLog, the
    guest script's copy on ttyS1, where no kernel message can split a line)
    when it has any, else from the console text itself.  Kernel reports and
    the "guest done" line always come from the console text."""
    rep = LogReport()
    rep.output_path = getattr(text, 'output_path', None)
    if output is None:
        output = getattr(text, 'output', None)
    source = output if output and ktap.VERSION_IN_RE.search(output) else text
    rep.source = 'script output (ttyS1)' if source is output else 'console'
    tops, rep.ktap_lines, problems = ktap.parse(source)
    rep.lists = tops
    rep.problems += problems
    if not tops:
        rep.problems.append('no KTAP output ("KTAP version 1" never printed)')
    for i, tl in enumerate(tops):
        ktap.count(tl, [] if len(tops) == 1 else ['ktap%d' % (i + 1)], rep)
    # KTAP lines are ours, not the kernel's: a test named "no_oops" is fine.
    ktap_linenos = set()
    for lineno, line in enumerate(text.split('\n'), 1):
        if ktap.is_ktap_line(line):
            ktap_linenos.add(lineno)
    rep.error_lines = scan_errors(text, ktap_linenos, rep.splats)
    rep.problems += check_splats(rep.splats, expect_splats)
    m = DONE_RE.search(text)
    if m:
        rep.done = (int(m.group(1)), int(m.group(2)))
        allowed = TAINT_ALLOWED
        if any(w.warns and w.end is not None for w in rep.splats):
            allowed |= TAINT_WARN     # an expected WARN (addpages) taints W
        bad = rep.done[1] & ~allowed
        if bad:
            rep.problems.append('kernel tainted %d (%s): only O and E are '
                                'expected' % (rep.done[1],
                                              taint_letters(rep.done[1])))
    elif require_done:
        rep.problems.append('the guest never printed "pmt: guest done": it '
                            'panicked, hung or its /init died')
    rep.failed += len(rep.problems) + (1 if rep.error_lines else 0)
    return rep


def explain(rep, log_path=None, max_lines=40):
    """Human-readable lines saying why a report failed."""
    out = []
    where = 'script output line' if getattr(rep, 'source', '') \
        .startswith('script') else 'log line'
    for path, r in rep.failures:
        out.append('not ok: %s (%s %d)' % (path, where, r.lineno))
        out += ['    ' + d for d in r.diag[-10:]]
    for p in rep.problems:
        out.append('problem: ' + p)
    if rep.error_lines:
        out.append('kernel reports in the guest log:')
        out += ['  %6d: %s' % e for e in rep.error_lines[:max_lines]]
        if len(rep.error_lines) > max_lines:
            out.append('  ... %d more' % (len(rep.error_lines) - max_lines))
    if log_path and out:
        out.append('full console log: %s' % log_path)
        out_path = getattr(rep, 'output_path', None)
        if out_path and rep.source.startswith('script'):
            out.append('script output: %s' % out_path)
    return out


def main(argv):
    """CONSOLE_LOG [.out beside it]: print the KTAP, why it failed, the
    summary; 0 if it passed."""
    if len(argv) != 2:
        sys.exit('usage: %s CONSOLE_LOG  (reads CONSOLE.out too if there)'
                 % Path(argv[0]).name)
    log = argv[1]
    console = open(log, errors='replace').read()
    outp = re.sub(r'\.log$', '', log) + '.out'
    try:
        script_out = open(outp, errors='replace').read()
    except OSError:
        script_out = None
    rep = evaluate(console, output=script_out)
    print('\n'.join(rep.ktap_lines))
    print('\n'.join(explain(rep, log)))
    print(rep.summary())
    return 0 if rep.ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
