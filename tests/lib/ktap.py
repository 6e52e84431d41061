"""Parse KTAP from a guest console log and judge the whole log.

    import ktap
    rep = ktap.evaluate(console_text)
    rep.passed, rep.failed, rep.skipped   # leaf tests (+ problems as failures)
    rep.problems                          # plan/structure/guest problems
    rep.error_lines                       # (line number, text) kernel reports
    rep.ktap_lines                        # the KTAP output, for printing

A leaf is a result line without a nested subtest block.  The log fails on any
"not ok", a missing or short plan at any level, a guest that never printed
"pmt: guest done" (panic, hang), a taint other than O/E, and any kernel
report (WARNING:, BUG:, Oops, Call Trace, lockdep, KASAN, kmemleak, hung
task, soft lockup, panic) anywhere in the log.  Python 3 stdlib only.
"""

import re

VERSION_RE = re.compile(r'^(KTAP version 1|TAP version 1[34])\s*$')
PLAN_RE = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(?:SKIP|skip)\S*\s*(.*))?$')
RESULT_RE = re.compile(
    r'^(ok|not ok)\s+(\d+)(?:\s+-)?\s*([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$')
SUBTEST_RE = re.compile(r'^#\s*Subtest:\s*(.*)$')
VERSION_IN_RE = re.compile(r'^(KTAP version 1|TAP version 1[34])\s*$', re.M)

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

DONE_RE = re.compile(r'^pmt: guest done rc=(\d+) tainted=(\d+)', re.M)
TAINT_FLAGS = 'PFSRMBUDAWCIOELKXTN'
# Out-of-tree (O) and unsigned (E) modules are what this project loads.
TAINT_ALLOWED = (1 << 12) | (1 << 13)


class Result:
    def __init__(self, ok, number, name, directive, reason, depth, lineno):
        self.ok = ok
        self.number = number
        self.name = name
        self.directive = (directive or '').upper()
        self.reason = reason or ''
        self.depth = depth
        self.lineno = lineno
        self.children = None      # a TestList when a subtest block precedes
        self.diag = []            # '# ...' lines seen before this result

    @property
    def skipped(self):
        return self.directive.startswith('SKIP')


class TestList:
    def __init__(self, depth, lineno):
        self.depth = depth
        self.lineno = lineno
        self.name = None
        self.plan = None
        self.plan_skip = None
        self.results = []


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.problems = []
        self.error_lines = []
        self.failures = []        # (path, Result) of failed leaves
        self.ktap_lines = []
        self.done = None          # (rc, tainted) or None
        self.lists = []           # top-level TestLists

    @property
    def ok(self):
        return self.failed == 0

    def summary(self):
        s = '%d passed, %d failed' % (self.passed, self.failed)
        return s + (', %d skipped' % self.skipped if self.skipped else '')


def _split(line):
    body = line.rstrip('\r\n')
    stripped = body.lstrip(' ')
    indent = len(body) - len(stripped)
    return indent, stripped


def parse(text):
    """Return (top-level TestLists, ktap lines, structural problems)."""
    tops = []
    stack = []            # stack[d] = open TestList at depth d
    diag = {}             # depth -> pending diagnostic lines
    lines = []
    problems = []
    for lineno, line in enumerate(text.split('\n'), 1):
        indent, s = _split(line)
        if indent % 4:
            continue
        d = indent // 4
        if VERSION_RE.match(s):
            if d == 0:
                stack = [TestList(0, lineno)]
                tops.append(stack[0])
            elif d <= len(stack):
                del stack[d:]
                stack.append(TestList(d, lineno))
            else:
                continue
            lines.append(line.rstrip('\r'))
            continue
        if d >= len(stack):
            continue
        m = SUBTEST_RE.match(s)
        if m:
            stack[d].name = m.group(1).strip()
            lines.append(line.rstrip('\r'))
            continue
        m = PLAN_RE.match(s)
        if m:
            tl = stack[d]
            if tl.plan is not None:
                problems.append('line %d: second plan in one test list'
                                % lineno)
            tl.plan = int(m.group(1))
            tl.plan_skip = m.group(2)
            lines.append(line.rstrip('\r'))
            continue
        m = RESULT_RE.match(s)
        if m:
            r = Result(m.group(1) == 'ok', int(m.group(2)), m.group(3),
                       m.group(4), m.group(5), d, lineno)
            r.diag = diag.pop(d, [])
            if len(stack) > d + 1:
                r.diag += diag.pop(d + 1, [])
                r.children = stack[d + 1]
                del stack[d + 1:]
            stack[d].results.append(r)
            lines.append(line.rstrip('\r'))
            continue
        if s.startswith('#'):
            diag.setdefault(d, []).append(s)
            lines.append(line.rstrip('\r'))
    # Subtest blocks still open at the end never got their result line.
    for tl in stack[1:]:
        problems.append('subtest %r (line %d) has no result line: the guest '
                        'died or stopped during it' % (tl.name, tl.lineno))
        parent = stack[tl.depth - 1]
        r = Result(False, len(parent.results) + 1, tl.name or '?', None,
                   None, tl.depth - 1, tl.lineno)
        r.children = tl
        r.synthetic = True
        parent.results.append(r)
    return tops, lines, problems


def _walk(tl, path, rep, died=False):
    where = '/'.join(path) or 'top level'
    if died and (tl.plan is None or tl.plan > len(tl.results)):
        pass    # already reported: the guest died inside this block
    elif tl.plan is None:
        rep.problems.append('%s: missing plan (1..N)' % where)
    elif tl.plan != len(tl.results):
        rep.problems.append('%s: planned %d tests, got %d' % (
            where, tl.plan, len(tl.results)))
    for i, r in enumerate(tl.results, 1):
        if r.number != i and not getattr(r, 'synthetic', False):
            rep.problems.append('%s: test %r numbered %d, expected %d' % (
                where, r.name, r.number, i))
        sub = path + [r.name or str(r.number)]
        if r.children is not None and r.children.results:
            before = (rep.failed, len(rep.problems))
            _walk(r.children, sub, rep, getattr(r, 'synthetic', False))
            child_failed = (rep.failed, len(rep.problems)) != before
            if not r.ok and not child_failed and \
                    not getattr(r, 'synthetic', False):
                rep.problems.append('%s: not ok without a failing subtest %s'
                                    % ('/'.join(sub), '(' + '; '.join(
                                        r.diag) + ')' if r.diag else ''))
            elif r.ok and rep.failed > before[0]:
                rep.problems.append('%s: ok although a subtest failed'
                                    % '/'.join(sub))
            continue
        if r.children is not None and r.children.plan is None and \
                not getattr(r, 'synthetic', False):
            rep.problems.append('%s: missing plan (1..N)' % '/'.join(sub))
        if r.skipped or (r.ok and r.children is not None and
                         r.children.plan_skip is not None):
            rep.skipped += 1
        elif r.ok and r.directive != 'TODO':
            rep.passed += 1
        elif r.directive == 'TODO':
            rep.skipped += 1
        else:
            rep.failed += 1
            rep.failures.append(('/'.join(sub), r))


def scan_errors(text, ktap_linenos=()):
    """(line number, line) for every kernel report in the log."""
    skip = set(ktap_linenos)
    out = []
    for lineno, line in enumerate(text.split('\n'), 1):
        if lineno not in skip and ERROR_RE.search(line):
            out.append((lineno, line.rstrip('\r')))
    return out


def taint_letters(value):
    return ''.join(TAINT_FLAGS[i] for i in range(len(TAINT_FLAGS))
                   if value & (1 << i))


def evaluate(text, require_done=True, output=None):
    """Judge a console log; see the module docstring.  Every problem and a
    log with kernel reports each count as one failure.

    KTAP is read from `output` (default: text.output of a vm.ConsoleLog, the
    guest script's copy on ttyS1, where no kernel message can split a line)
    when it has any, else from the console text itself.  Kernel reports and
    the "guest done" line always come from the console text."""
    rep = Report()
    rep.output_path = getattr(text, 'output_path', None)
    if output is None:
        output = getattr(text, 'output', None)
    source = output if output and VERSION_IN_RE.search(output) else text
    rep.source = 'script output (ttyS1)' if source is output else 'console'
    tops, rep.ktap_lines, problems = parse(source)
    rep.lists = tops
    rep.problems += problems
    if not tops:
        rep.problems.append('no KTAP output ("KTAP version 1" never printed)')
    for i, tl in enumerate(tops):
        _walk(tl, [] if len(tops) == 1 else ['ktap%d' % (i + 1)], rep)
    # KTAP lines are ours, not the kernel's: a test named "no_oops" is fine.
    ktap_linenos = set()
    for lineno, line in enumerate(text.split('\n'), 1):
        indent, s = _split(line)
        if indent % 4 == 0 and (VERSION_RE.match(s) or PLAN_RE.match(s) or
                                RESULT_RE.match(s) or s.startswith('# ')):
            ktap_linenos.add(lineno)
    rep.error_lines = scan_errors(text, ktap_linenos)
    m = DONE_RE.search(text)
    if m:
        rep.done = (int(m.group(1)), int(m.group(2)))
        bad = rep.done[1] & ~TAINT_ALLOWED
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


if __name__ == '__main__':
    import sys
    if len(sys.argv) != 2:
        sys.exit('usage: ktap.py CONSOLE_LOG  (reads CONSOLE.out too if '
                 'there)')
    log = sys.argv[1]
    console = open(log, errors='replace').read()
    outp = re.sub(r'\.log$', '', log) + '.out'
    try:
        script_out = open(outp, errors='replace').read()
    except OSError:
        script_out = None
    rep = evaluate(console, output=script_out)
    print('\n'.join(rep.ktap_lines))
    print('\n'.join(explain(rep, sys.argv[1])))
    print(rep.summary())
    sys.exit(0 if rep.ok else 1)
