#!/usr/bin/env python3
"""Defects put back on purpose: each mutant is a find-and-replace in one
source file that brings back one defect, with the lane and the tests that
must catch it: D* in padata_mt/core.c (the engine defects issue 13 fixed),
M* in memmap_test (the struct page and pageblock init of issue 15).

    python3 tests/mutants.py --list          the mutants
    python3 tests/mutants.py --check         every mutant still applies
                                             (the mutants lane runs this)
    python3 tests/mutants.py D1 [D4 ...]     for each: a clone of HEAD with
                                             the mutant, its lane run there;
                                             caught if the lane fails and
                                             each named test is "not ok"

Verdicts: caught; NOT CAUGHT (a named test passed: a test that does not
catch its defect); LANE BROKE (a named test never reported: a build
failure or a guest that died first; its clone is kept for the logs);
DOES NOT APPLY (a mutant to rewrite after a change to its file).
Each run takes a lane's time (topology about 90 s, debug about 12 min
with a cached kernel).  Python 3 stdlib only.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORE = 'padata_mt/core.c'
# The file a mutant edits, where it is not CORE.
FILE_OF = {
    'M1': 'memmap_test/pageinit.c',
    'M2': 'memmap_test/store.h',
    'M3': 'memmap_test/digest.c',
}

# name: (defect, [(old, new), ...], run.py arguments, the tests that must
# be "not ok"; an entry may allow a kernel report in the guest log instead,
# as (test, regex))
MUTANTS = {
    'D1': ('a helper that finds no CPU stays, homeless, and owns the '
           'NUMA_NO_NODE range; no leftover pass: a range is skipped', [
        ('''	/* Out of CPUs: the rest go back. */
	unplaced = *link;
	*link = NULL;
	pmt_pool_put(unplaced);
''', '''	unplaced = *link;
	for (h = unplaced; h; h = h->next) {
		h->cpu = p.self;
		h->home = NUMA_NO_NODE;
	}
'''),
        ('''		h->steal = !task->ranges || !node_isset(h->home, has_range);''',
         '''		h->steal = h->home != NUMA_NO_NODE &&
			   (!task->ranges || !node_isset(h->home, has_range));'''),
        ('''		job->ranges[i].owned = nid != NUMA_NO_NODE &&
				       node_isset(nid, p.placed);''',
         '''		job->ranges[i].owned = nid == NUMA_NO_NODE ? !!unplaced :
				       node_isset(nid, p.placed);'''),
        ('''	if (!atomic_read(&job.error) && !pmt_exhausted(&job))
		pmt_run_chunks(&job, NUMA_NO_NODE, true, &mine, true);
''', ''),
    ], ['--lanes', 'topology-6.12'], ['setup_hotplug_race_exactly_once']),
    'D2': ('one lockdep map for every call site', [
        ('''int __padata_mt_run(const struct padata_mt_task *task,
		    struct lockdep_map *site)
{''', '''#ifdef CONFIG_DEBUG_LOCK_ALLOC
static struct lock_class_key pmt_one_key;
static struct lockdep_map pmt_one_map =
	STATIC_LOCKDEP_MAP_INIT("padata_mt_job", &pmt_one_key);
#endif

int __padata_mt_run(const struct padata_mt_task *task,
		    struct lockdep_map *site)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	site = site ? &pmt_one_map : NULL;
#endif'''),
    ], ['--lanes', 'debug-6.12', '--suites', '20-engine'],
        ['lockdep_unrelated_sites_not_reported']),
    'D4': ("placement takes CPUs the caller may not use", [
        ('cpumask_next_and(cpu, cpumask_of_node(nid), p->job->allowed);',
         'cpumask_next_and(cpu, cpumask_of_node(nid), cpu_online_mask);'),
    ], ['--lanes', 'topology-6.12'],
        ['restricted_caller_helpers_on_allowed_cpus']),
    'D4b': ("a job nested in a helper gets the worker's CPUs, not its outer "
            "caller's", [
        ('job.allowed = outer ? outer->job->allowed : current->cpus_ptr;',
         'job.allowed = current->cpus_ptr;\n\t(void)outer;'),
    ], ['--lanes', 'topology-6.12'],
        ['nested_job_from_helper_gets_callers_cpus']),
    'D5': ('helpers on system_wq, which rmmod does not drain', [
        ('queue_work_on(h->cpu, pmt_wq, &h->work);',
         'queue_work_on(h->cpu, system_wq, &h->work);'),
    ], ['--lanes', 'topology-6.12'],
        [('rmmod_waits_for_finishing_helper',
          r'BUG: unable to handle page fault')]),
    'D7': ('helpers never look at the stop: more than one chunk each after '
           'an error or a cancel', [
        ('''	while (!pmt_should_stop(job, caller) &&
	       pmt_pick(job, home, steal, &idx, &start, &end)) {''',
         '''	while ((!caller || !pmt_should_stop(job, caller)) &&
	       pmt_pick(job, home, steal, &idx, &start, &end)) {'''),
    ], ['--lanes', 'stock-6.12', '--suites', '20-engine'],
        ['cancel_at_most_one_chunk_per_other_thread']),
    'D8': ('a helper duration from two clock readings is not clamped: '
           'busy_ns wraps when the start reading is ahead', [
        ('	return t1 > t0 ? t1 - t0 : 0;', '	return t1 - t0;'),
    ], ['--lanes', 'stock-6.12', '--suites', '20-engine'],
        ['busy_ns_never_wraps']),
    'M1': ('reinit writes the struct pages but not the pageblocks\' '
           'migratetype', [
        ('''		mt_set_pageblocks(pfn, n, r->migratetype);
		if (ps->opt.skip_block''', '''		if (ps->opt.skip_block'''),
    ], ['--lanes', 'stock-6.12', '--suites', '30-memmap'],
        ['reinit_poison_digest_equals_kernel',
         'pageblock_migratetype_checked_and_rewritten']),
    'M2': ('the template store leaves one word of every page unwritten', [
        ('''		mt_store(w + 6, t6, nt);
''', '''		(void)t6;
'''),
    ], ['--lanes', 'stock-6.12', '--suites', '30-memmap'],
        ['reinit_poison_digest_equals_kernel',
         'reinit_each_store_equals_kernel']),
    'M3': ('the digest leaves the pageblock flags out', [
        ('''	xxh64_update(&st, mt_section_usemap(r->start_pfn + idx),
		     MT_USEMAP_WORDS * sizeof(unsigned long));
''', ''),
    ], ['--lanes', 'stock-6.12', '--suites', '30-memmap'],
        ['pageblock_migratetype_checked_and_rewritten']),
}


def mutate(text, edits):
    """@text with every (old, new) of @edits applied once, or None if an
    old is not found exactly once."""
    for old, new in edits:
        if text.count(old) != 1:
            return None
        text = text.replace(old, new)
    return text


def check(root=REPO):
    """[(name, ok, message)]: each mutant applies to its file in root."""
    return [('mutant %s applies to %s' % (name, FILE_OF.get(name, CORE)),
             mutate((root / FILE_OF.get(name, CORE)).read_text(), m[1])
             is not None,
             'a pattern is not found exactly once: rewrite it '
             '(tests/mutants.py)')
            for name, m in MUTANTS.items()]


def verdict(must_fail, out, rc):
    """caught, NOT CAUGHT or LANE BROKE for a lane's output @out and exit
    status @rc (see the module's docstring)."""
    failed = set(re.findall(r'^\s*not ok \d+ (\S+)', out, re.M))
    passed = set(re.findall(r'^\s*ok \d+ (\S+)', out, re.M))
    result = 'caught' if rc else 'NOT CAUGHT'
    for entry in must_fail:
        test, report = entry if isinstance(entry, tuple) else (entry, None)
        if test in failed:
            continue
        if test in passed:
            return 'NOT CAUGHT'
        if report and re.search(report, out):
            continue	# the guest died of the defect in that test
        result = 'LANE BROKE'
    return result


def run(name):
    """Run mutant @name's lane on a mutated clone; its verdict."""
    defect, edits, lane_args, must_fail = MUTANTS[name]
    tmp = Path(tempfile.mkdtemp(prefix='pmt-mutant-%s-' % name))
    keep = False
    try:
        subprocess.run(['git', 'clone', '-q', str(REPO), str(tmp)],
                       check=True)
        src = tmp / FILE_OF.get(name, CORE)
        text = mutate(src.read_text(), edits)
        if text is None:
            return 'DOES NOT APPLY'
        src.write_text(text)
        print('%s: %s; running run.py %s' % (name, defect,
                                             ' '.join(lane_args)),
              flush=True)
        p = subprocess.run([sys.executable, 'tests/run.py'] + lane_args,
                           cwd=tmp, capture_output=True, text=True)
        out = p.stdout + p.stderr
        failed = re.findall(r'^\s*not ok \d+ (\S+)', out, re.M)
        summary = out.strip().splitlines()[-1] if out.strip() else '?'
        print('%s: lane said "%s"; not ok: %s' % (
            name, summary, ', '.join(sorted(set(failed))) or 'nothing'))
        v = verdict(must_fail, out, p.returncode)
        if v != 'caught':
            keep = True
            print('%s: %s; the clone and its logs: %s' % (name, v, tmp))
        return v
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('names', nargs='*', help='mutants to run (D1, ...)')
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--check', action='store_true')
    args = ap.parse_args()
    if args.list:
        for name, (defect, _, lane_args, must_fail) in MUTANTS.items():
            tests = [e[0] if isinstance(e, tuple) else e for e in must_fail]
            print('%-4s %s\n     run.py %s; must fail: %s' % (
                name, defect, ' '.join(lane_args), ', '.join(tests)))
        return 0
    if args.check or not args.names:
        res = check()
        for n, ok, msg in res:
            print('%-6s %s%s' % ('ok' if ok else 'FAIL', n,
                                  '' if ok else ': ' + msg))
        return 0 if all(ok for _, ok, _ in res) else 1
    unknown = [n for n in args.names if n not in MUTANTS]
    if unknown:
        ap.error('unknown mutant(s) %s; --list shows them'
                 % ', '.join(unknown))
    verdicts = {n: run(n) for n in args.names}
    for n, v in verdicts.items():
        print('%-4s %s' % (n, v))
    good = sum(v == 'caught' for v in verdicts.values())
    print('%d passed, %d failed' % (good, len(verdicts) - good))
    return 0 if good == len(verdicts) else 1


if __name__ == '__main__':
    sys.exit(main())
