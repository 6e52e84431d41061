"""Parse KTAP (the kernel's test output format) and count its results.

    import ktap
    tops, lines, problems = ktap.parse(text)    # top-level TestLists
    rep = ktap.Report()
    for tl in tops:
        ktap.count(tl, [], rep)     # rep.passed/failed/skipped, .problems
    ktap.find_leaf(tops, 'name')   # a leaf Result anywhere, or None

A leaf is a result line without a nested subtest block.  Counting fails a
"not ok" leaf and records as problems a missing or short plan at any level,
a misnumbered result, and a parent whose result disagrees with its
subtests.  Judging a whole guest console log (kernel reports, expected
reports, taint, "guest done") is klog.py's job: klog.evaluate().
Python 3 stdlib only.

    python3 tests/lib/ktap.py CONSOLE_LOG    (klog.py's command line)
"""

import re

VERSION_RE = re.compile(r'^(KTAP version 1|TAP version 1[34])\s*$')
PLAN_RE = re.compile(r'^1\.\.(\d+)\s*(?:#\s*(?:SKIP|skip)\S*\s*(.*))?$')
RESULT_RE = re.compile(
    r'^(ok|not ok)\s+(\d+)(?:\s+-)?\s*([^#]*?)\s*(?:#\s*(\S+)\s*(.*))?$')
SUBTEST_RE = re.compile(r'^#\s*Subtest:\s*(.*)$')
VERSION_IN_RE = re.compile(r'^(KTAP version 1|TAP version 1[34])\s*$', re.M)

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
    """Counts of leaf results, and what is wrong with the KTAP structure."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.problems = []
        self.failures = []        # (path, Result) of failed leaves
        self.ktap_lines = []
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


def count(tl, path, rep, died=False):
    """Count the leaves of TestList `tl` (at `path`, a list of names) into
    `rep`; `died`: the guest died inside this block (already a problem)."""
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
            count(r.children, sub, rep, getattr(r, 'synthetic', False))
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


def is_ktap_line(line):
    """True for a line of KTAP at any depth: version, plan, result or
    diagnostic."""
    indent, s = _split(line)
    return indent % 4 == 0 and bool(VERSION_RE.match(s) or PLAN_RE.match(s)
                                    or RESULT_RE.match(s) or
                                    s.startswith('# '))


def find_leaf(lists, name):
    """The leaf result called `name` in any of the TestLists, or None."""
    def walk(tl):
        for r in tl.results:
            if r.name == name and (r.children is None or
                                   not r.children.results):
                return r
            if r.children is not None:
                found = walk(r.children)
                if found:
                    return found
        return None
    for tl in lists:
        found = walk(tl)
        if found:
            return found
    return None


if __name__ == '__main__':
    import sys
    import klog
    sys.exit(klog.main(sys.argv))
