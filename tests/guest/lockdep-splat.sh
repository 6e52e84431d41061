# shellcheck shell=sh
# Debug-kernel lane, a boot of its own: a caller holding a mutex that a
# helper's thread_fn takes is a deadlock padata_mt_run() would hide; the
# engine's lockdep map must make lockdep report it.  padata_mt_selftest
# lockdep_splat=1 provokes exactly that report (without the deadlock) inside
# an expect-splat window; the host (tests/lib/ktap.py) requires the report
# there and still fails on any other.  A report turns lockdep off for the
# rest of the boot, hence a boot of its own.

t_plan 5

res=/sys/kernel/debug/padata_mt_selftest/results

if [ ! -e /proc/lockdep_stats ]; then
	t_skip_all "kernel without lockdep"
fi

t_check lockdep_live_before t_lockdep_live
t_check padata_mt_loads modprobe padata_mt
t_expect_splat_begin lockdep caller_lock_inversion
modprobe padata_mt_selftest lockdep_splat=1
st=$?
t_expect_splat_end lockdep caller_lock_inversion
if [ $st != 0 ]; then
	t_fail lockdep_reports_caller_lock_inversion "modprobe padata_mt_selftest lockdep_splat=1 failed"
else
	grep '^# ' "$res"
	if grep -q '^ok [0-9]* lockdep_reports_caller_lock_inversion$' "$res"; then
		t_ok lockdep_reports_caller_lock_inversion
	else
		t_fail lockdep_reports_caller_lock_inversion "$(cat "$res")"
	fi
fi
# The report names both sides: the engine's map and the caller's mutex.
report_names_both() {
	dmesg | grep -A 40 'possible circular locking dependency detected' >/tmp/splat
	if grep -q 'padata_mt_run' /tmp/splat && grep -q 'st_inversion_mutex' /tmp/splat; then
		return 0
	fi
	cat /tmp/splat
	return 1
}
t_check report_names_padata_mt_run_and_the_mutex report_names_both
t_check modules_unload sh -c 'rmmod padata_mt_selftest && rmmod padata_mt'
