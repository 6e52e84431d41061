# shellcheck shell=sh
# KTAP helpers for the in-guest test suites (busybox ash).
#
# A suite is a file /tests/NN-name.sh, sourced after this library:
#
#	ktap_set_plan 3
#	ktap_test_result padata_mt_loads modprobe padata_mt
#	pmt_check_fails rmmod_refused rmmod padata_mt
#	pmt_eq version "$PMT_VERSION" "$(cat /sys/module/padata_mt/version)"
#
# Every test prints one KTAP result line; the numbers come from a state file,
# so results given from a subshell still count.  The runner
# (sh /tests/lib.sh --run-suites) wraps each suite in a nested KTAP block and
# marks it "not ok" when a test failed, when it ran fewer or more tests than
# its plan said, when it has no plan, or when it exited non-zero (a suite that
# dies mid-way still shows as a failure).
#
# The ktap_* functions carry the names of the kernel's
# tools/testing/selftests/kselftest/ktap_helpers.sh and print the same lines;
# where they do more, it says so below.  The pmt_* ones have no twin there.
#	ktap_set_plan N           declare N tests; call first, exactly once
#	ktap_skip_all REASON      the whole suite does not apply ("1..0 # SKIP
#	                          REASON"); unlike the kernel's, exits the suite
#	ktap_test_pass NAME       a passing test
#	ktap_test_fail NAME [WHY...]  a failing test, WHY as diagnostics
#	ktap_test_skip NAME REASON... a skipped test ("ok N NAME # SKIP REASON";
#	                          the kernel's prints no reason)
#	ktap_test_result NAME CMD...  ok if CMD exits 0; else its output as
#	                          diagnostics
#	ktap_print_msg TEXT...    "# TEXT" lines (multi-line text is split)
#	pmt_check_fails NAME CMD... ok if CMD exits non-zero (an expected refusal)
#	pmt_eq NAME EXPECTED ACTUAL ok if the two strings are equal
#	pmt_subtest NAME FILE     a test module's KTAP document, nested, then
#	                          result NAME: ok if it ran as planned, no "not ok"
#	pmt_wait_for FILE VALUE [TRIES]  poll until FILE reads VALUE
#	pmt_module_loaded NAME    status 0 if module NAME is in /proc/modules
#	pmt_expect_splat_begin KIND NAME / pmt_expect_splat_end KIND NAME
#	                          bracket a kernel report provoked on purpose
#	                          (KIND lockdep or allocfail; see
#	                          tests/lib/klog.py): markers in the kernel log
#	pmt_lockdep_live          status 0 if lockdep is on (debug_locks 1)
#	pmt_memfree_kb            MemFree plus the per-CPU free lists, in kB
#	pmt_debug_kernel          status 0 on a debug kernel (kmemleak or lockdep
#	                          built in), which runs about ten times slower
# Variables: PMT_VERSION (dkms.conf PACKAGE_VERSION), PMT_RELEASE (the
# kernel release the modules were built for), T_STATE (this suite's state).
#
# memmap_test's debugfs control file ($MT_CONTROL), for the suites that
# drive it (the mt_* helpers):
#	mt CMD...                 write one command; the write's exit status
#	mt_err CMD...             the write must fail: prints the shell's error
#	                          message (strerror, e.g. "Invalid argument")
#	mt_expect_errno STRERROR CMD...  the write fails with that errno
#	mt_kv KEY                 that key's value in the last write's results
#	                          (every write leaves its own, a refused one too)
#	mt_iomem_ours             how many memmap_test ranges /proc/iomem has
#	mt_kill_during CMD...     write CMD from a background shell and SIGKILL
#	                          it once the command runs (busy=1, at most
#	                          10 s); status 0 if the kill landed while it
#	                          ran (write_result=-4), 1 if it ended first
#
# CMD runs in the suite's own shell (shell functions work, variables they set
# persist), stdin from /dev/null, output kept in $T_STATE/out.

# shellcheck disable=SC2034 # for the suites
PMT_VERSION=$(cat /etc/pmt/version 2>/dev/null)
# shellcheck disable=SC2034
PMT_RELEASE=$(cat /etc/pmt/release 2>/dev/null)
T_STATE=${T_STATE:-/tmp/ktap.$$}
mkdir -p "$T_STATE"

pmt__count() {
	if [ -f "$T_STATE/results" ]; then
		wc -l <"$T_STATE/results"
	else
		echo 0
	fi
}

# __ktap_test ok|fail|skip NAME [REASON]: the result line, numbered from
# the state file
__ktap_test() {
	t__n=$(($(pmt__count) + 1))
	t__name=$2
	case "$t__name" in
	*'#'* | '') t__name=$(echo "x$t__name" | sed 's/^x//; s/#/_/g; s/^$/unnamed/') ;;
	esac
	echo "$1" >>"$T_STATE/results"
	case "$1" in
	ok) echo "ok $t__n $t__name" ;;
	fail) echo "not ok $t__n $t__name" ;;
	skip) echo "ok $t__n $t__name # SKIP $3" ;;
	esac
}

ktap_print_msg() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

ktap_set_plan() {
	echo "$1" >"$T_STATE/plan"
	echo "1..$1"
}

ktap_skip_all() {
	echo 0 >"$T_STATE/plan"
	echo "$*" >"$T_STATE/skip_all"
	echo "1..0 # SKIP $*"
	exit 0
}

ktap_test_pass() {
	__ktap_test ok "$1"
}

ktap_test_fail() {
	t__f=$1
	shift
	[ $# -gt 0 ] && ktap_print_msg "$*"
	__ktap_test fail "$t__f"
}

ktap_test_skip() {
	t__s=$1
	shift
	__ktap_test skip "$t__s" "$*"
}

ktap_test_result() {
	t__c=$1
	shift
	if "$@" </dev/null >"$T_STATE/out" 2>&1; then
		__ktap_test ok "$t__c"
	else
		t__st=$?
		ktap_print_msg "\$ $* -> exit status $t__st"
		[ -s "$T_STATE/out" ] && sed 's/^/#   /' "$T_STATE/out"
		__ktap_test fail "$t__c"
	fi
}

pmt_check_fails() {
	t__c=$1
	shift
	if "$@" </dev/null >"$T_STATE/out" 2>&1; then
		ktap_print_msg "\$ $* -> exit status 0, expected a failure"
		[ -s "$T_STATE/out" ] && sed 's/^/#   /' "$T_STATE/out"
		__ktap_test fail "$t__c"
	else
		__ktap_test ok "$t__c"
	fi
}

pmt_eq() {
	if [ "$2" = "$3" ]; then
		__ktap_test ok "$1"
	else
		ktap_print_msg "expected '$2', got '$3'"
		__ktap_test fail "$1"
	fi
}

pmt_module_loaded() {
	grep -q "^$1 " /proc/modules
}

# pmt_subtest NAME FILE: FILE (a test module's KTAP document: version,
# plan, results) as a block nested in the suite, then the suite's result
# NAME for it: ok if FILE has a plan, as many results as it plans, and no
# "not ok".  tests/lib/ktap.py counts the block's results, not NAME.
pmt_subtest() {
	pmt__indent <"$2"
	ts_plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$2")
	ts_n=$(grep -c '^\(not \)\?ok ' "$2")
	ts_failed=$(grep -c '^not ok ' "$2")
	if [ -z "$ts_plan" ] || [ "$ts_plan" != "$ts_n" ]; then
		ktap_test_fail "$1" "$2: ${ts_n} results, plan ${ts_plan:-missing}"
	elif [ "$ts_failed" -gt 0 ]; then
		ktap_test_fail "$1" "$2: $ts_failed failed"
	else
		ktap_test_pass "$1"
	fi
}

# pmt_wait_for FILE VALUE [TRIES]: until FILE reads VALUE, polling every
# 50 ms, at most TRIES times (default 400: 20 s); says what it read last.
pmt_wait_for() {
	tw_i=0
	while [ "$(cat "$1")" != "$2" ]; do
		[ $tw_i -lt "${3:-400}" ] || { echo "$1 never read $2 (reads $(cat "$1"))"; return 1; }
		sleep 0.05
		tw_i=$((tw_i + 1))
	done
}

pmt_debug_kernel() {
	[ -e /sys/kernel/debug/kmemleak ] || [ -e /proc/lockdep ]
}

pmt_lockdep_live() {
	grep -E '^ *debug_locks: +1$' /proc/lockdep_stats ||
		{ grep debug_locks /proc/lockdep_stats; return 1; }
}

# MemFree leaves out the pages on the per-CPU free lists (/proc/zoneinfo
# "count:"); freed 2 MiB vmemmap blocks can sit there by the dozen.
pmt_memfree_kb() {
	m_free=$(sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo)
	m_pcp=$(awk '$1 == "count:" { n += $2 } END { print n + 0 }' /proc/zoneinfo)
	echo $((m_free + m_pcp * 4))
}

MT_CONTROL=/sys/kernel/debug/memmap_test/control

mt() {
	echo "$*" >$MT_CONTROL
}

mt_err() {
	if m_out=$( { echo "$*" >$MT_CONTROL; } 2>&1); then
		echo "'$*' succeeded"
		return 1
	fi
	echo "$m_out"
}

mt_expect_errno() {
	e_want=$1
	shift
	e_got=$(mt_err "$@") || { echo "$e_got"; return 1; }
	case "$e_got" in
	*"$e_want"*) return 0 ;;
	esac
	echo "'$*': expected '$e_want', got '$e_got'"
	return 1
}

mt_kv() {
	sed -n "s/^$1=//p" $MT_CONTROL | tail -n 1
}

mt_iomem_ours() {
	grep -c memmap_test /proc/iomem
}

mt_kill_during() {
	(echo "$*" >$MT_CONTROL) 2>/dev/null &
	k_pid=$!
	k_i=0
	while [ "$(mt_kv busy)" != 1 ] && kill -0 $k_pid 2>/dev/null &&
		[ $k_i -lt 200 ]; do
		sleep 0.05
		k_i=$((k_i + 1))
	done
	kill -9 $k_pid 2>/dev/null
	wait $k_pid
	[ "$(mt_kv write_result)" = -4 ]
}

# The markers go through /dev/kmsg, so they keep their place among the
# kernel's messages (the script's own output may reach the console later);
# level 4 shows them on the quiet console too.  No rate limit on them.
pmt__kmsg() {
	echo on >/proc/sys/kernel/printk_devkmsg 2>/dev/null
	echo "<4>$*" >/dev/kmsg
}

pmt_expect_splat_begin() {
	pmt__kmsg "pmt: expect-splat begin $1 $2"
}

pmt_expect_splat_end() {
	pmt__kmsg "pmt: expect-splat end $1 $2"
}

# Indent a suite's output line by line as it comes (sed would hold it in its
# buffer, and a suite that hangs would show nothing of what it printed).
pmt__indent() {
	while IFS= read -r t__l || [ -n "$t__l" ]; do
		echo "    $t__l"
	done
}

pmt__uptime() {
	t__u=$(cat /proc/uptime)
	echo "${t__u%% *}"
}

# pmt_run_suites [NN-name...]: every /tests/NN-*.sh (or the ones named),
# one nested KTAP block each.  Returns 1 if any suite failed.
pmt_run_suites() {
	if [ $# -gt 0 ]; then
		k_suites=
		for k_s in "$@"; do
			k_suites="$k_suites /tests/${k_s%.sh}.sh"
		done
	else
		k_suites=$(ls /tests/[0-9][0-9]-*.sh 2>/dev/null)
	fi
	# shellcheck disable=SC2086 # split into words on purpose
	k_total=$(echo $k_suites | wc -w)
	echo "KTAP version 1"
	echo "1..$k_total"
	k_i=0
	k_rc=0
	for k_s in $k_suites; do
		k_i=$((k_i + 1))
		k_name=$(basename "$k_s" .sh)
		k_st=/tmp/ktap-state/$k_name
		rm -rf "$k_st"
		mkdir -p "$k_st"
		k_t0=$(pmt__uptime)
		echo "    KTAP version 1"
		echo "    # Subtest: $k_name"
		{
			if [ -f "$k_s" ]; then
				T_STATE=$k_st sh -c '. /tests/lib.sh && . "$1"' "$k_name" "$k_s" </dev/null 2>&1
				echo $? >"$k_st/rc"
			else
				echo "# no such suite: $k_s"
				echo 127 >"$k_st/rc"
			fi
		} | pmt__indent
		k_plan=$(cat "$k_st/plan" 2>/dev/null)
		k_rcode=$(cat "$k_st/rc" 2>/dev/null)
		k_ran=0
		k_failed=0
		if [ -f "$k_st/results" ]; then
			k_ran=$(wc -l <"$k_st/results")
			k_failed=$(grep -c '^fail$' "$k_st/results")
		fi
		k_bad=$k_failed
		if [ -z "$k_plan" ]; then
			echo "    # $k_name: no plan (ktap_set_plan N must come first)"
			k_bad=$((k_bad + 1))
		elif [ "$k_plan" != "$k_ran" ]; then
			echo "    # $k_name: planned $k_plan tests, ran $k_ran"
			k_bad=$((k_bad + 1))
		fi
		if [ "$k_rcode" != 0 ]; then
			echo "    # $k_name: suite exited with status ${k_rcode:-unknown}"
			k_bad=$((k_bad + 1))
		fi
		k_t1=$(pmt__uptime)
		echo "    # $k_name: $k_ran tests, $k_failed failed, $(echo "$k_t0 $k_t1" | awk '{printf "%.2f", $2 - $1}') s"
		if [ "$k_bad" != 0 ]; then
			echo "not ok $k_i $k_name"
			k_rc=1
		elif [ -f "$k_st/skip_all" ]; then
			echo "ok $k_i $k_name # SKIP $(cat "$k_st/skip_all")"
		else
			echo "ok $k_i $k_name"
		fi
	done
	return $k_rc
}

if [ "${0##*/}" = lib.sh ] && [ "${1:-}" = --run-suites ]; then
	shift
	pmt_run_suites "$@"
	exit $?
fi
