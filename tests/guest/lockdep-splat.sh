# shellcheck shell=sh
# Debug-kernel lane, a boot of its own.  Each call site of padata_mt_run()
# is a lockdep class of its own, annotated on every path, so that a caller
# holding a mutex that a helper's thread_fn takes (a deadlock
# padata_mt_run() would hide) is reported, and an unrelated caller is not.
# In this order, so the negative test cannot pass because lockdep is off:
# 1. padata_mt_selftest lockdep_splat=1: thread_fn takes a mutex at sites A
#    (helper), A1 (one chunk), A2 (one thread); the caller holds it around
#    sites B, B1 (one chunk), B2 (one thread).  No report: lockdep still on.
# 2. /proc/lockdep has the six dependencies, one per path: each path
#    annotates (site -> mutex for thread_fn, mutex -> site for the caller).
# 3. lockdep_inversion: one site whose helper takes a second mutex, then a
#    one-chunk job of that site with the caller holding it.  Lockdep must
#    report that, inside an expect-splat window; the host
#    (tests/lib/klog.py) requires the report there and still fails on any
#    other.  The report turns lockdep off, hence the boot of its own.

ktap_set_plan 9

res=/sys/kernel/debug/padata_mt_selftest/results
inv=/sys/kernel/debug/padata_mt_selftest/lockdep_inversion

if [ ! -e /proc/lockdep_stats ]; then
	ktap_skip_all "kernel without lockdep"
fi

ktap_test_result lockdep_live_before pmt_lockdep_live
ktap_test_result padata_mt_loads modprobe padata_mt
if modprobe padata_mt_selftest lockdep_splat=1; then
	grep '^# ' "$res"
	if grep -q '^ok [0-9]* lockdep_unrelated_sites_not_reported$' "$res"; then
		ktap_test_pass lockdep_unrelated_sites_not_reported
	else
		ktap_test_fail lockdep_unrelated_sites_not_reported "$(cat "$res")"
	fi
else
	ktap_test_fail lockdep_unrelated_sites_not_reported "modprobe padata_mt_selftest lockdep_splat=1 failed"
fi
ktap_test_result lockdep_still_live_after_unrelated pmt_lockdep_live

# lockdep_edge FROM TO: /proc/lockdep lists TO among FROM's direct
# dependencies (" -> [key] TO" under FROM's class line).
lockdep_edge() {
	awk -v from="$1" -v to="$2" '
		/^[^ ]/ { sub(/^.*: /, ""); cur = $0; next }
		/^ -> / { sub(/^ -> \[[^]]*\] /, ""); if (cur == from && $0 == to) found = 1 }
		END { exit !found }' /proc/lockdep && return 0
	echo "no dependency $1 -> $2 in /proc/lockdep; its lines for them:"
	grep -F -e "$1" -e "$2" /proc/lockdep | head -n 20
	return 1
}
helper_side() {
	lockdep_edge 'padata_mt_run(&unrel_a)' st_unrel_mutex &&
		lockdep_edge 'padata_mt_run(&unrel_a1)' st_unrel_mutex &&
		lockdep_edge 'padata_mt_run(&unrel_a2)' st_unrel_mutex
}
caller_side() {
	lockdep_edge st_unrel_mutex 'padata_mt_run(&unrel_b)' &&
		lockdep_edge st_unrel_mutex 'padata_mt_run(&unrel_b1)' &&
		lockdep_edge st_unrel_mutex 'padata_mt_run(&unrel_b2)'
}
ktap_test_result thread_fn_under_site_class_every_path helper_side
ktap_test_result caller_acquires_site_class_every_path caller_side

pmt_expect_splat_begin lockdep caller_lock_inversion
echo go >$inv
st=$?
pmt_expect_splat_end lockdep caller_lock_inversion
r=$(cat $inv)
echo "$r"
pmt_eq lockdep_reports_caller_lock_inversion \
	"0 debug_locks_before=1 debug_locks_after=0 ret1=0 helper_chunks1=1 ret2=0" \
	"$st $(echo "$r" | sed 's/helper_chunks1=[1-9][0-9]*/helper_chunks1=1/')"

# The report names both sides: the site's class and the caller's mutex.
report_names_both() {
	dmesg | grep -A 40 'possible circular locking dependency detected' >/tmp/splat
	if grep -q 'padata_mt_run(&inversion)' /tmp/splat &&
		grep -q 'st_inversion_mutex' /tmp/splat; then
		return 0
	fi
	cat /tmp/splat
	return 1
}
ktap_test_result report_names_the_site_and_the_mutex report_names_both
ktap_test_result modules_unload sh -c 'rmmod padata_mt_selftest && rmmod padata_mt'
