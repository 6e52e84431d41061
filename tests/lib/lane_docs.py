"""The docs lane: what docs/memmap_test.md and docs/engine.md document
against what the code defines, so neither can change alone.

- docs/memmap_test.md "## Commands": one row per entry of the command
  table mt_cmds[] in memmap_test/cmds.c, with its required keys, its
  other allowed keys and whether it runs beside an async pass;
- "## Keys": one row per entry of the key table mt_keys[] in
  memmap_test/parse.c, in its order;
- "## Files": the files memmap_test/debugfs.c creates;
- every module parameter of padata_mt/ and memmap_test/ is named in docs/;
- docs/developing.md's memmap_test table lists every memmap_test/*.c, top
  to bottom, and no file (nor its header) includes the header of a file
  above it: the arrows point one way.

Run alone: python3 tests/lib/lane_docs.py (exit status 1 on a mismatch).
"""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def md_table(text, heading):
    """The rows (lists of cells) of the first table after `## heading`."""
    m = re.search(r'^## %s\n(.*?)(?=^## |\Z)' % re.escape(heading), text,
                  re.M | re.S)
    if not m:
        return None
    rows = []
    for line in m.group(1).split('\n'):
        if not line.startswith('|'):
            if rows:
                break
            continue
        cells = [c.strip().replace('\\|', '|') for c in
                 re.split(r'(?<!\\)\|', line.strip())[1:-1]]
        if all(re.fullmatch(r'-+', c) for c in cells):
            continue
        rows.append(cells)
    return rows[1:] if rows else []


def names(cell):
    """`a`, `b` -> ['a', 'b']; '-' -> []."""
    return [] if cell == '-' else re.findall(r'`([^`]+)`', cell)


def c_keys(root):
    """[(MT_K_ id suffix, name)] of mt_keys[] in parse.c, in order."""
    src = (root / 'memmap_test' / 'parse.c').read_text()
    return re.findall(r'^\tMT_KEY\((\w+), "(\w+)"', src, re.M)


def c_cmds(root, keyname):
    """[(name, required, allowed, beside_async)] of mt_cmds[] in cmds.c."""
    src = (root / 'memmap_test' / 'cmds.c').read_text()
    m = re.search(r'const struct mt_cmd mt_cmds\[MT_CMD_NR\] = \{(.*?)\n\};',
                  src, re.S)
    out = []
    for body in re.findall(r'\[MT_CMD_\w+\] = \{(.*?)\n\t\},',
                           m.group(1) if m else '', re.S):
        def field(f):
            x = re.search(r'\.%s = ([^,]*),' % f, body, re.S)
            return x.group(1) if x else ''

        def keyset(f):
            return [keyname[k] for k in re.findall(r'K\((\w+)\)', field(f))]
        out.append((re.search(r'\.name = "(\w+)"', body).group(1),
                    keyset('required'), keyset('allowed'),
                    field('beside_async').strip() == 'true'))
    return out


def checks(root=REPO):
    """[(name, ok, message)] of every comparison."""
    res = []
    doc = (root / 'docs' / 'memmap_test.md').read_text()
    keys = c_keys(root)
    keyname = dict(keys)
    cmds = c_cmds(root, keyname)
    res.append(('memmap_test/cmds.c and parse.c parse', bool(cmds and keys),
                'found %d commands, %d keys' % (len(cmds), len(keys))))

    rows = md_table(doc, 'Commands') or []
    documented = {r[0].strip('`'): r for r in rows if len(r) == 4}
    res.append(('docs/memmap_test.md: the Commands table has every command '
                'of mt_cmds[] and no other',
                [c[0] for c in cmds] == list(documented),
                'code %s, docs %s' % ([c[0] for c in cmds],
                                      list(documented))))
    for name, req, allowed, beside in cmds:
        r = documented.get(name)
        if not r:
            continue
        want = (sorted(req), sorted(set(allowed) - set(req)),
                'yes' if beside else 'no')
        got = (sorted(names(r[1])), sorted(names(r[2])), r[3])
        res.append(('docs/memmap_test.md: command %s: required, optional '
                    'keys, beside async' % name, want == got,
                    'code %s, docs %s' % (want, got)))

    rows = md_table(doc, 'Keys') or []
    dkeys = [r[0].strip('`') for r in rows if r]
    res.append(('docs/memmap_test.md: the Keys table is mt_keys[], in its '
                'order', dkeys == [k[1] for k in keys],
                'code %s, docs %s' % ([k[1] for k in keys], dkeys)))

    src = (root / 'memmap_test' / 'debugfs.c').read_text()
    files = re.findall(r'debugfs_create_file\("(\w+)", (0\d+)', src)
    rows = md_table(doc, 'Files') or []
    dfiles = [(r[0].strip('`'), r[1]) for r in rows if len(r) >= 2]
    res.append(('docs/memmap_test.md: the Files table is what debugfs.c '
                'creates, with its modes', files == dfiles,
                'code %s, docs %s' % (files, dfiles)))

    alldocs = '\n'.join(p.read_text() for p in (root / 'docs').glob('*.md'))
    for d in ('padata_mt', 'memmap_test'):
        for f in sorted((root / d).glob('*.c')):
            for p in re.findall(r'^module_param\w*\((\w+),', f.read_text(),
                                re.M):
                res.append(('docs/ name module parameter %s (%s)'
                            % (p, f.relative_to(root)),
                            re.search(r'\b%s\b' % p, alldocs) is not None,
                            'not found in docs/*.md'))
    return res + layer_checks(root)


def layer_checks(root):
    """The memmap_test layers of docs/developing.md against the includes."""
    res = []
    doc = (root / 'docs' / 'developing.md').read_text()
    m = re.search(r'^## memmap_test/.*?\n(.*?)(?=^## |\Z)', doc, re.M | re.S)
    order = re.findall(r'^\| `(\w+)\.c` \|', m.group(1) if m else '', re.M)
    src = root / 'memmap_test'
    files = sorted(f.stem for f in src.glob('*.c'))
    res.append(('docs/developing.md lists every memmap_test/*.c once',
                sorted(order) == files and len(set(order)) == len(order),
                'docs %s, tree %s' % (order, files)))
    rank = {f: i for i, f in enumerate(order)}
    for f in sorted(src.glob('*.[ch]')):
        if f.stem not in rank:
            continue
        up = [h for h in re.findall(r'^#include "(\w+)\.h"', f.read_text(),
                                    re.M)
              if h in rank and rank[h] < rank[f.stem]]
        res.append(('memmap_test/%s includes no header of a layer above it'
                    % f.name, not up, 'includes %s' % ', '.join(
                        h + '.h' for h in up)))
    return res


def lane_docs(ctx, lane):
    for name, ok, msg in checks():
        lane.check(name, ok, msg)


if __name__ == '__main__':
    bad = 0
    for name, ok, msg in checks():
        print('%-6s %s%s' % ('ok' if ok else 'FAIL', name,
                              '' if ok else ': ' + msg))
        bad += not ok
    sys.exit(1 if bad else 0)
