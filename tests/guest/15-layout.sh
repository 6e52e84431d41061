# shellcheck shell=sh
# The validated struct page layout (memmap_test/layout.c).  Every lane's
# build must match the row written for its kernel, named below by release
# (a row that stops matching its kernel shows here, not as a silent
# refusal).  Two test builds the stock lanes put in /tests/variants/: one
# without the running kernel's row (PMT_LAYOUT_OMIT=1) still loads and
# hotplugs, and reinit, async, sync and a bench's reinit refuse with
# EOPNOTSUPP and a message naming the running kernel and the rows; one with
# that row's refcounts wrong (PMT_LAYOUT_CORRUPT=1) is refused by the check
# of the kernel-written pages against the row.  verify, unplug and rmmod
# work after each refusal.

omit=/tests/variants/memmap_test-nolayout.ko
corrupt=/tests/variants/memmap_test-corrupt.ko

ktap_set_plan 20

# The row each kernel this suite boots must match.
expected_row() {
	case "$(uname -r)" in
	6.1.*-rt-amd64) echo "6.1 Debian rt" ;;
	6.1.*-amd64) echo "6.1 Debian generic/cloud" ;;
	6.12.*-rt-amd64) echo "6.12 Debian rt" ;;
	6.12.*-amd64) echo "6.12 Debian generic/cloud" ;;
	6.1.*) echo "6.1 debug (defconfig)" ;;
	6.12.*) echo "6.12 debug (defconfig)" ;;
	*) echo "no row is expected for $(uname -r)" ;;
	esac
}

modprobe memmap_test
mt "hotplug size=256M threads=2"
ktap_test_result build_has_a_row mt "reinit threads=2"
row=$(mt_kv layout_row)
pmt_eq build_row_is_the_kernels "$(expected_row)" "$row"
mt unplug
rmmod memmap_test

# Each half needs its variant; without it (rt, cloud, debug lanes) its tests
# are skipped, not passed (the counts must match the tests: ktap_set_plan checks).
omit_tests=11
corrupt_tests=6
if [ ! -f "$omit" ]; then
	i=0
	while [ $i -lt $omit_tests ]; do
		i=$((i + 1))
		ktap_test_skip "omit_$i" "no PMT_LAYOUT_OMIT=1 build in this lane"
	done
else
	ktap_test_result omit_build_loads insmod "$omit"
	ktap_test_result omit_build_hotplugs mt "hotplug size=256M threads=2"
	ktap_test_result omit_reinit_refused mt_expect_errno "Operation not supported" "reinit threads=2"
	pmt_eq omit_reinit_row_none none "$(mt_kv layout_row)"
	msg=$(mt_kv message)
	ktap_print_msg "message: $msg"
	names_kernel() {
		case "$msg" in
		*"kernel $(uname -r) "*"has no validated struct page layout; validated: "*) ;;
		*) echo "message does not name $(uname -r): $msg"; return 1 ;;
		esac
		# The other rows are listed; the omitted one is not.
		case "$msg" in
		*"$row"*) echo "the omitted row '$row' is listed"; return 1 ;;
		esac
	}
	ktap_test_result omit_message_names_kernel_and_rows names_kernel
	ktap_test_result omit_async_refused mt_expect_errno "Operation not supported" "async threads=2"
	ktap_test_result omit_sync_refused mt_expect_errno "Operation not supported" "sync count=1"
	ktap_test_result omit_verify_works mt "verify threads=2"
	ktap_test_result omit_unplug mt unplug
	ktap_test_result omit_bench_reinit_refused mt_expect_errno "Operation not supported" "bench size=256M threads=1 repeats=1"
	pmt_eq omit_bench_leaves_no_region 0 "$(mt_iomem_ours)"
	rmmod memmap_test
fi

if [ ! -f "$corrupt" ]; then
	i=0
	while [ $i -lt $corrupt_tests ]; do
		i=$((i + 1))
		ktap_test_skip "corrupt_$i" "no PMT_LAYOUT_CORRUPT=1 build in this lane"
	done
else
	ktap_test_result corrupt_build_loads insmod "$corrupt"
	ktap_test_result corrupt_build_hotplugs mt "hotplug size=256M threads=2"
	ktap_test_result corrupt_reinit_refused mt_expect_errno "Operation not supported" "reinit threads=2"
	msg=$(mt_kv message)
	ktap_print_msg "message: $msg"
	holds_not() {
		case "$msg" in
		*"layout row \"$row\" does not hold"*"in word 6 (_mapcount)"*) ;;
		*) echo "not the row check's refusal of word 6: $msg"; return 1 ;;
		esac
	}
	ktap_test_result corrupt_refusal_names_the_word holds_not
	ktap_test_result corrupt_unplug mt unplug
	ktap_test_result corrupt_rmmod rmmod memmap_test
fi
ktap_test_result normal_build_back modprobe memmap_test
rmmod memmap_test
