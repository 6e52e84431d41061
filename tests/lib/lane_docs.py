"""The docs lane: what docs/ documents against what the code defines, so
neither can change alone.

- docs/memmap_test.md "## Commands": one row per entry of the command
  table mt_cmds[] in memmap_test/cmds.c, with its required keys, its
  other allowed keys and whether it runs beside an async pass, and the
  usage lines the control file prints (made from that table and the key
  table as debugfs.c makes them);
- "## Keys": one row per entry of the key table mt_keys[] in
  memmap_test/parse.c, in its order;
- "## Files": the files memmap_test/debugfs.c creates, with their modes;
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


class DocError(Exception):
    pass


def section(text, heading):
    """The text under `## heading` up to the next `## `, or DocError."""
    text = text.replace('\r\n', '\n')
    m = re.search(r'^##[ \t]+%s[ \t]*\n(.*?)(?=^##[ \t]|\Z)'
                  % re.escape(heading), text, re.M | re.S)
    if not m:
        raise DocError('no "## %s" section' % heading)
    return m.group(1)


def md_table(text, heading):
    """The body rows (lists of cells) of the first table after `## heading`."""
    rows = []
    for line in section(text, heading).split('\n'):
        line = line.strip()
        if not line.startswith('|'):
            if rows:
                break
            continue
        if not line.endswith('|') or line.endswith('\\|'):
            line += '|'
        cells = [c.strip().replace('\\|', '|') for c in
                 re.split(r'(?<!\\)\|', line)[1:-1]]
        if all(re.fullmatch(r':?-+:?', c) for c in cells):
            continue
        rows.append(cells)
    if not rows:
        raise DocError('no table under "## %s"' % heading)
    return rows[1:]


def names(cell):
    """`a`, `b` -> ['a', 'b']; '-' -> []."""
    return [] if cell.strip() == '-' else re.findall(r'`([^`]+)`', cell)


def c_keys(root):
    """[(id, name, meta)] of mt_keys[] in parse.c, in order."""
    src = (root / 'memmap_test' / 'parse.c').read_text()
    keys = re.findall(r'^\s*MT_KEY\(\s*(\w+)\s*,\s*"(\w+)"\s*,\s*"([^"]*)"',
                      src, re.M)
    if not keys:
        raise DocError('memmap_test/parse.c: no MT_KEY() rows found')
    return keys


def c_cmds(root, keyname):
    """[{name, required, allowed, beside, list, note}] of mt_cmds[]."""
    src = (root / 'memmap_test' / 'cmds.c').read_text()
    m = re.search(r'const struct mt_cmd mt_cmds\[MT_CMD_NR\]\s*=\s*\{(.*?)\n\};',
                  src, re.S)
    if not m:
        raise DocError('memmap_test/cmds.c: no mt_cmds[] table found')
    out = []
    for body in re.split(r'\[MT_CMD_\w+\]\s*=\s*\{', m.group(1))[1:]:
        def field(f):
            x = re.search(r'\.%s\s*=\s*([^,]*?)\s*,' % f, body, re.S)
            return x.group(1) if x else ''

        def keyset(f):
            ids = re.findall(r'K\((\w+)\)', field(f))
            unknown = [k for k in ids if k not in keyname]
            if unknown:
                raise DocError('memmap_test/cmds.c names K(%s), not a key '
                               'of parse.c\'s mt_keys[]' % ', '.join(unknown))
            return [keyname[k] for k in ids]
        name = re.search(r'\.name\s*=\s*"(\w+)"', body)
        if not name:
            raise DocError('memmap_test/cmds.c: a command without .name')
        note = re.search(r'\.note\s*=\s*"([^"]*)"', body)
        out.append({'name': name.group(1), 'required': keyset('required'),
                    'allowed': keyset('allowed'),
                    'beside': field('beside_async') == 'true',
                    'list': field('threads_list') == 'true',
                    'note': note.group(1) if note else None})
    return out


def usage(cmd, keys):
    """The control file's usage line of `cmd`, as debugfs.c makes it."""
    line = cmd['name']
    for req in (True, False):
        for kid, name, meta in keys:
            if name not in cmd['allowed'] or (name in cmd['required']) != req:
                continue
            if name == 'threads' and cmd['list']:
                meta = 'N,N,...'
            line += (' %s=%s' if req else ' [%s=%s]') % (name, meta)
    if cmd['note']:
        line += '   ' + cmd['note']
    return line


def checks(root=REPO):
    """[(name, ok, message)] of every comparison."""
    res = []
    doc = (root / 'docs' / 'memmap_test.md').read_text()
    keys = c_keys(root)
    keyname = {k[0]: k[1] for k in keys}
    cmds = c_cmds(root, keyname)

    rows = [r for r in md_table(doc, 'Commands') if r]
    dnames = [r[0].strip('`') for r in rows]
    res.append(('docs/memmap_test.md: the Commands table has every command '
                'of mt_cmds[] once, in order, and no other',
                [c['name'] for c in cmds] == dnames,
                'code %s, docs %s' % ([c['name'] for c in cmds], dnames)))
    documented = {r[0].strip('`'): r for r in rows}
    for c in cmds:
        r = documented.get(c['name'])
        if not r:
            continue
        want = (sorted(c['required']),
                sorted(set(c['allowed']) - set(c['required'])),
                'yes' if c['beside'] else 'no')
        got = ((sorted(names(r[1])), sorted(names(r[2])), r[3])
               if len(r) == 4 else ('a row of %d cells' % len(r),))
        res.append(('docs/memmap_test.md: command %s: required, optional '
                    'keys, beside async' % c['name'], want == got,
                    'code %s, docs %s' % (want, got)))
    block = section(doc, 'Commands')
    for c in cmds:
        line = usage(c, keys)
        res.append(('docs/memmap_test.md: the usage line of %s as control '
                    'prints it' % c['name'],
                    re.search(r'^    %s$' % re.escape(line), block, re.M)
                    is not None, 'no indented line "%s"' % line))

    dkeys = [r[0].strip('`') for r in md_table(doc, 'Keys') if r]
    res.append(('docs/memmap_test.md: the Keys table is mt_keys[], in its '
                'order', dkeys == [k[1] for k in keys],
                'code %s, docs %s' % ([k[1] for k in keys], dkeys)))

    src = (root / 'memmap_test' / 'debugfs.c').read_text()
    files = re.findall(r'debugfs_create_file\(\s*"(\w+)"\s*,\s*(0\d+)', src)
    dfiles = [(r[0].strip('`'), r[1]) for r in md_table(doc, 'Files')
              if len(r) >= 2]
    res.append(('docs/memmap_test.md: the Files table is what debugfs.c '
                'creates, with its modes', files == dfiles,
                'code %s, docs %s' % (files, dfiles)))

    alldocs = '\n'.join(p.read_text() for p in (root / 'docs').glob('*.md'))
    for d in ('padata_mt', 'memmap_test'):
        for f in sorted((root / d).glob('*.c')):
            for p in re.findall(r'^\s*module_param\w*\(\s*(\w+)\s*,',
                                f.read_text(), re.M):
                res.append(('docs/ name module parameter %s (%s)'
                            % (p, f.relative_to(root)),
                            re.search(r'\b%s\b' % p, alldocs) is not None,
                            'not found in docs/*.md'))
    return res + layer_checks(root)


def layer_checks(root):
    """The memmap_test layers of docs/developing.md against the includes."""
    res = []
    doc = (root / 'docs' / 'developing.md').read_text()
    order = re.findall(r'^\| `(\w+)\.c` \|', memmap_section(doc), re.M)
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


def memmap_section(doc):
    m = re.search(r'^## memmap_test/.*?\n(.*?)(?=^## |\Z)',
                  doc.replace('\r\n', '\n'), re.M | re.S)
    if not m:
        raise DocError('docs/developing.md: no "## memmap_test/" section')
    return m.group(1)


def safe_checks(root=REPO):
    """checks(), a parse failure reported as one failed check."""
    try:
        return checks(root)
    except (DocError, OSError) as e:
        return [('docs lane: read docs/ and memmap_test/', False, str(e))]


def lane_docs(ctx, lane):
    for name, ok, msg in safe_checks():
        lane.check(name, ok, msg)


if __name__ == '__main__':
    bad = 0
    for name, ok, msg in safe_checks():
        print('%-6s %s%s' % ('ok' if ok else 'FAIL', name,
                              '' if ok else ': ' + msg))
        bad += not ok
    sys.exit(1 if bad else 0)
