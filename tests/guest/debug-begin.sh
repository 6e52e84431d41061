# shellcheck shell=sh
# Debug-kernel lane, before the suites: lockdep and kmemleak are live, so a
# silent run means something.  No kmemleak baseline: kmemleak reports an
# object only after two scans found it unreferenced and unchanged, and the
# debug kernel's boot leaves no suspects (checked: two scans after boot
# report nothing), so the final scans (debug-end.sh) report only what the
# suites leaked; a boot-time suspect would show there with a kernel-only
# backtrace.  Run by run.py's debug lane only (no NN- prefix).

ktap_set_plan 2

if [ -e /proc/lockdep_stats ]; then
	ktap_test_result lockdep_live_at_start pmt_lockdep_live
else
	ktap_test_skip lockdep_live_at_start "no /proc/lockdep_stats: kernel without lockdep"
fi

kml=/sys/kernel/debug/kmemleak
if [ -e $kml ]; then
	ktap_test_result kmemleak_enabled_at_start cat $kml
else
	ktap_test_skip kmemleak_enabled_at_start "no $kml: kernel without kmemleak"
fi
