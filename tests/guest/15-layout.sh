# shellcheck shell=sh
# The validated struct page layout (memmap_test/layout.c).  The lane's own
# build must match a row: reinit names it.  A test build without the
# running kernel's row (PMT_LAYOUT_OMIT=1, /tests/variants/) still loads and
# hotplugs, and reinit, async and sync refuse with EOPNOTSUPP and a message
# naming the running kernel and the validated rows; verify, unplug and
# rmmod still work.

variant=/tests/variants/memmap_test-nolayout.ko
[ -f "$variant" ] || t_skip_all "this lane has no PMT_LAYOUT_OMIT=1 build ($variant)"

t_plan 15

modprobe memmap_test
mt "hotplug size=256M threads=2"
t_check build_has_a_row mt "reinit threads=2"
row=$(kv layout_row)
t_check build_row_named test -n "$row" -a "$row" != none
t_diag "layout row: $row"
mt unplug
rmmod memmap_test

t_check omit_build_loads insmod "$variant"
t_check omit_build_hotplugs mt "hotplug size=256M threads=2"
t_check omit_reinit_refused expect_errno "Operation not supported" "reinit threads=2"
t_eq omit_reinit_row_none none "$(kv layout_row)"
msg=$(kv message)
t_diag "message: $msg"
names_kernel() {
	case "$msg" in
	*"kernel $(uname -r) "*"has no validated struct page layout; validated: "*) ;;
	*) echo "message does not name $(uname -r): $msg"; return 1 ;;
	esac
	# The rows of the other series are listed; the omitted one is not.
	case "$msg" in
	*"$row"*) echo "the omitted row '$row' is listed"; return 1 ;;
	esac
}
t_check omit_message_names_kernel_and_rows names_kernel
t_check omit_async_refused expect_errno "Operation not supported" "async threads=2"
t_check omit_sync_refused expect_errno "Operation not supported" "sync count=1"
t_check omit_verify_works mt "verify threads=2"
t_check omit_unplug mt unplug
t_check omit_bench_reinit_refused expect_errno "Operation not supported" "bench size=256M threads=1 repeats=1"
t_eq omit_bench_leaves_no_region 0 "$(iomem_ours)"
t_check omit_rmmod rmmod memmap_test
t_check normal_build_back modprobe memmap_test
rmmod memmap_test
