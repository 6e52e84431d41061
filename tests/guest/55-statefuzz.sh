# shellcheck shell=sh
# shellcheck disable=SC2154 # the K_<key> variables are set by fz_read's eval
# A stateful fuzzer over memmap_test (issue 14): seeded random walks over
# VALID command sequences -- every command and every test-only knob
# (hotplug with threads/pieces/nid/base=/fail_piece=, unplug, reinit with
# poison/skip=/twopass/store=/flip=, verify, async with poison/delay_ms=, sync
# with pfn/count, memset, bench), interleaved with rmmod/modprobe, writers
# killed mid-command, max_memmap_pct writes and reads of every file
# (control, table, async, padata_mt's stats, /proc/kpageflags and
# kpagecount at the region's pfns -- which show no ZONE_DEVICE page, so
# only the read's success is checked --, memory_failure() through
# hwpoison-inject).  Parameters aim at the edges (0, 1, the first and last
# page of a piece and of a section, the last page, maxima) as well as at
# random.  A model predicts every result; after every step the invariants
# hold: /proc/iomem is the boot's plus our region when the model has one,
# free memory is within 32 MiB of the start (less the plugged memmap), the
# module refcounts are what the model says, high_memory and the DMA mask
# are unchanged, the taint is unchanged, verify is clean after every
# completed reinit, and a digest mismatch comes only where skip= or flip=
# asked for one (and names the page they chose).  A mismatch with the model
# is reported with its seed and step and the walk goes on from the state
# the module reports; the guest dying (a kernel oops panics it) ends it.
#
# Seeds: PMT_FUZZ_SEED="s1 s2 ..." (default: the CI set below); steps per
# seed: PMT_FUZZ_STEPS (default 100, a tenth of that on a debug kernel:
# one with kmemleak or lockdep, i.e. /sys/kernel/debug/kmemleak or
# /proc/lockdep, runs about ten times slower under TCG).  Every step is
# printed before it runs ("# fz SEED:STEP ..."), so the last line before a
# panic names the step that caused it; rerun one seed with
# PMT_FUZZ_SEED=<seed> (the walk depends on the seed alone).

CI_SEEDS="1401 1402"
SEEDS=$(echo "${PMT_FUZZ_SEED:-$CI_SEEDS}" | tr , " ")
if pmt_debug_kernel; then
	fz_debug=1
	STEPS=${PMT_FUZZ_STEPS:-10}
else
	fz_debug=0
	STEPS=${PMT_FUZZ_STEPS:-100}
fi
nseeds=$(echo $SEEDS | wc -w)
ktap_set_plan $((nseeds + 3))

C=$MT_CONTROL
A=/sys/kernel/debug/memmap_test/async
T=/sys/kernel/debug/memmap_test/table
stats=/sys/kernel/debug/padata_mt/stats
hwp=/sys/kernel/debug/hwpoison/corrupt-pfn
pct=/sys/module/memmap_test/parameters/max_memmap_pct
ncpu=$(nproc)
sec=32768
node1=0
[ -d /sys/devices/system/node/node1 ] && node1=1

# --- the random stream: a 63-bit LCG in shell arithmetic, no fork ---------
fz_rnd() {
	fz_s=$(((fz_s * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff))
	R=$(((fz_s >> 20) % $1))
}

# --- talking to the module ------------------------------------------------
# fz_w CMD...: one write; fz_rc its status, fz_err the shell's message; the
# keys of its results in K_<key> (one awk).
fz_keys="result write_result region_plugged region_start_pfn region_pages region_sections region_pieces mismatch_pfn bad_pages first_bad_pfn verify_sections_skipped sync_digest_match digest_match message"
fz_read() {
	for k in $fz_keys; do eval "K_$k="; done
	eval "$(awk -F= -v keys=" $fz_keys " '
		index(keys, " " $1 " ") && NF >= 2 && $0 !~ /^#/ {
			v = substr($0, length($1) + 2); gsub(/[^A-Za-z0-9_.,:x -]/, "", v)
			print "K_" $1 "=\"" v "\"" }' $C)"
}
fz_w() {
	fz_cmd="$*"
	fz_err=$( { echo "$*" >$C; } 2>&1)
	fz_rc=$?
	fz_read
}

# fz_log TEXT: one line per step, with the guest's uptime.
fz_log() {
	read -r fz_up _ </proc/uptime
	echo "# fz $fz_seed:$fz_i [$fz_up] $*"
}

fz_bad=0
fz_fail() {
	fz_bad=$((fz_bad + 1))
	fz_log "MODEL MISMATCH: $*"
	fz_log "  after '$fz_cmd' -> rc $fz_rc '$fz_err' result=$K_result message=$K_message"
	echo "$fz_seed:$fz_i $*" >>"$T_STATE/fz.bad"
}

# fz_expect ERRNO: the last write's result must be ERRNO (0 or -N).
fz_expect() {
	if [ "$K_result" != "$1" ]; then
		fz_fail "expected result=$1"
		return 1
	fi
	if [ "$1" = 0 ] && [ $fz_rc != 0 ]; then
		fz_fail "result=0 but write() failed"
		return 1
	fi
	if [ "$1" != 0 ] && [ $fz_rc = 0 ]; then
		fz_fail "result=$1 but write() succeeded"
		return 1
	fi
	return 0
}

# --- the model -------------------------------------------------------------
# m_loaded, m_plugged, m_start m_pages m_sections m_pieces (region), m_bad:
# the page indices that may be left poisoned in DONE sections, m_exact: 1 if
# all of m_bad are bad for sure (0 after a killed reinit).
m_reset_region() {
	m_plugged=0
	m_bad=
	m_exact=1
}
m_adopt() {
	fz_read
	if [ "$K_region_plugged" = 1 ]; then
		m_plugged=1
		m_start=$((K_region_start_pfn))
		m_pages=$K_region_pages
		m_sections=$K_region_sections
		m_pieces=$K_region_pieces
	else
		m_reset_region
	fi
}

# An index of a page of the region, at an edge or at random.
fz_index() {
	fz_rnd 12
	case $R in
	0) I=0 ;;
	1) I=1 ;;
	2) I=$((m_pages - 1)) ;;
	3 | 4 | 5 | 6) fz_rnd "$m_pieces"; I=$((R * m_sections / m_pieces * sec)) ;;
	7) fz_rnd "$m_pieces"; I=$((R * m_sections / m_pieces * sec - 1)) ;;
	8) fz_rnd "$m_sections"; I=$((R * sec)) ;;
	9) fz_rnd "$m_sections"; I=$((R * sec + sec - 1)) ;;
	*) fz_rnd "$m_pages"; I=$R ;;
	esac
	[ $I -ge 0 ] || I=0
}
fz_threads() {
	fz_rnd 3
	case $R in
	0) TH= ; TN=$ncpu ;;
	*) fz_rnd "$ncpu"; TN=$((R + 1)); TH="threads=$TN" ;;
	esac
}

# --- the invariants after every step --------------------------------------
fz_inv() {
	n=$(grep -c memmap_test /proc/iomem)
	[ "$n" = "$m_plugged" ] || fz_fail "iomem has $n memmap_test ranges, the model $m_plugged"
	[ "$(grep -v memmap_test /proc/iomem)" = "$iomem0" ] ||
		fz_fail "/proc/iomem changed outside memmap_test"
	read -r r </sys/module/padata_mt/refcnt
	[ "$r" = $((pref0 + m_loaded)) ] || fz_fail "padata_mt refcnt $r, want $((pref0 + m_loaded))"
	if [ $m_loaded = 1 ]; then
		read -r r </sys/module/memmap_test/refcnt
		[ "$r" = 0 ] || fz_fail "memmap_test refcnt $r with no file open"
		if [ -n "$hm0" ]; then
			g=$(sed -n 's/^\(high_memory_pfn\|dma_required_mask\)=//p' $C | tr '\n' ' ')
			[ "$g" = "$hm0" ] || fz_fail "high_memory_pfn/dma_required_mask '$g', at the start '$hm0'"
		fi
	fi
	memmap=0
	[ $m_plugged = 1 ] && memmap=$((m_pages * 64 / 1024))
	f=$(pmt_memfree_kb)
	[ $((free0 - f - memmap)) -lt 32768 ] ||
		fz_fail "free memory $f kB: $((free0 - f)) kB below the start, the model's memmap $memmap kB"
	read -r r </proc/sys/kernel/tainted
	[ "$r" = "$taint0" ] || fz_fail "taint $r, at the start $taint0"
}

# verify after a completed reinit: every page clean, no section skipped.
fz_verify_clean() {
	fz_w verify
	[ "$K_result" = 0 ] && [ "$K_bad_pages" = 0 ] && [ "$K_verify_sections_skipped" = 0 ] ||
		fz_fail "verify after a completed reinit: bad_pages=$K_bad_pages skipped=$K_verify_sections_skipped"
}

# Of page indices $*, is any in sections [s0, s1)?  (sets HIT)
fz_any_in() {
	HIT=0
	for b in $m_bad; do
		[ $((b / sec)) -ge "$1" ] && [ $((b / sec)) -lt "$2" ] && HIT=1
	done
}

# --- the actions ------------------------------------------------------------
a_modprobe() {
	fz_cmd=modprobe
	fz_log "modprobe memmap_test"
	modprobe memmap_test || fz_fail "modprobe memmap_test failed"
	m_loaded=1
	m_reset_region
	echo 50 >$pct
}
a_rmmod() {
	fz_cmd=rmmod
	fz_log "rmmod memmap_test (plugged=$m_plugged)"
	rmmod memmap_test || fz_fail "rmmod memmap_test failed"
	m_loaded=0
	m_reset_region
}

a_hotplug() {
	fz_rnd 6
	set -- 128M 256M 384M 512M 1G 2G
	shift $R
	size=$1
	secs=$(( $(echo "$size" | sed 's/M$//; s/G$/*1024/') / 128))
	fz_threads
	args="size=$size $TH"
	np=1
	if [ "$TN" -gt 1 ]; then
		np=$((4 * TN))
		[ $np -le $secs ] || np=$secs
		fz_rnd 4
		how=$R
		case $how in
		1) np=1 ;;
		2) np=$secs ;;
		3) fz_rnd $secs; np=$((R + 1)) ;;
		esac
		[ $how = 0 ] || args="$args pieces=$np"
	fi
	fz_rnd 3
	if [ $R = 0 ]; then
		args="$args nid=0"
	elif [ $R = 1 ] && [ $node1 = 1 ]; then
		args="$args nid=1"
	fi
	fz_rnd 5
	if [ $R = 0 ] && [ "$pm_lo" != 0 ] && [ $secs -le $pm_secs ]; then
		fz_rnd $((pm_secs - secs + 1))
		args="$args base=$(printf '%#x' $((pm_lo + R * 134217728)))"
	fi
	fail=
	fz_rnd 8
	if [ $R = 0 ]; then
		fz_rnd $np
		fail=$R
		args="$args fail_piece=$fail"
	fi
	fz_log "hotplug $args"
	fz_w hotplug $args
	if [ $m_plugged = 1 ]; then
		fz_expect -17
	elif [ -n "$fail" ]; then
		fz_expect -5
	elif fz_expect 0; then
		m_adopt
		[ "$m_pieces" = "$np" ] || fz_fail "pieces $m_pieces, want $np"
	fi
	m_adopt
}

a_unplug() {
	fz_threads
	fz_log "unplug $TH"
	fz_w unplug $TH
	if [ $m_plugged = 1 ]; then fz_expect 0; else fz_expect -2; fi
	m_adopt
}

a_reinit() {
	fz_threads
	args="$TH"
	skip=
	flips=
	fz_rnd 3
	poison=$((R > 0))
	[ $poison = 1 ] && args="$args poison=1"
	if [ $m_plugged = 1 ] && [ $poison = 1 ] && { fz_rnd 3; [ $R -gt 0 ]; }; then
		fz_index
		skip=$I
		args="$args skip=$skip"
	elif { fz_rnd 4; [ $R = 0 ]; }; then
		args="$args twopass=1"
	fi
	# Every store kind writes what the kernel wrote: the oracle is unchanged.
	case "$args" in *twopass=1*) ;; *)
		fz_rnd 4
		case $R in
		0) args="$args store=copy" ;; 1) args="$args store=nt" ;;
		2) args="$args store=compute" ;;
		esac ;;
	esac
	if [ $m_plugged = 1 ] && [ $has_flip = 1 ] && { fz_rnd 5; [ $R = 0 ]; }; then
		fz_rnd 4
		nf=$((R + 1))
		fl=
		while [ $nf -gt 0 ]; do
			fz_index
			fi_=$I
			fz_rnd 5
			case $R in
			0) bit=0 ;; 1) bit=63 ;; 2) bit=511 ;; 3) fz_rnd 8; bit=$((64 * R + 63)) ;;
			*) fz_rnd 512; bit=$R ;;
			esac
			case ",$fl," in *",$fi_:$bit,"*) ;; *)
				fl="${fl:+$fl,}$fi_:$bit"
				flips="$flips $fi_" ;;
			esac
			nf=$((nf - 1))
		done
		args="$args flip=$fl"
	fi
	fz_log "reinit $args"
	fz_w reinit $args
	if [ $m_plugged = 0 ]; then
		fz_expect -2
		return
	fi
	want=
	for x in $skip $flips; do
		[ -z "$want" ] || [ "$x" -lt "$want" ] && want=$x
	done
	if [ -n "$want" ]; then
		if fz_expect -5 && [ "$((K_mismatch_pfn))" != $((m_start + want)) ]; then
			fz_fail "mismatch_pfn $K_mismatch_pfn, want $(printf '%#x' $((m_start + want))) (skip=$skip flips=$flips)"
		fi
	else
		fz_expect 0 && fz_verify_clean
	fi
	m_bad=$skip
	m_exact=1
}

a_verify() {
	fz_threads
	fz_log "verify $TH"
	fz_w verify $TH
	if [ $m_plugged = 0 ]; then
		fz_expect -2
		return
	fi
	nb=$(echo $m_bad | wc -w)
	if [ $m_exact = 1 ] && [ "$async_idle" = 1 ]; then
		if [ $nb = 0 ]; then fz_expect 0; else fz_expect -5; fi
		[ "$K_bad_pages" = "$nb" ] || fz_fail "bad_pages=$K_bad_pages, the model $nb ($m_bad)"
	elif [ "${K_bad_pages:-0}" -gt "$nb" ]; then
		fz_fail "bad_pages=$K_bad_pages, the model at most $nb ($m_bad)"
	fi
	if [ -n "$K_first_bad_pfn" ] && [ "$K_first_bad_pfn" != none ]; then
		case " $m_bad " in
		*" $((K_first_bad_pfn - m_start)) "*) ;;
		*) fz_fail "first_bad_pfn $K_first_bad_pfn is none of the model's ($m_bad)" ;;
		esac
	fi
}

a_async() {
	fz_threads
	args="$TH"
	fz_rnd 2
	[ $R = 1 ] && args="$args poison=1"
	fz_rnd 6
	set -- 0 0 1 3 20 1000
	shift $R
	[ "$1" = 0 ] || args="$args delay_ms=$1"
	fz_log "async $args"
	fz_w async $args
	if [ $m_plugged = 0 ]; then
		fz_expect -2
		return
	fi
	fz_expect 0
	# Every section is NOT_STARTED now: a skip= page is no longer in a
	# DONE section, and the pass or a sync will initialise it.
	m_bad=
	m_exact=1
	async_idle=0
}

a_sync() {
	fz_threads
	args="$TH"
	pfn=
	count=
	over=0
	if [ $m_plugged = 1 ]; then
		fz_rnd 4
		how=$R
		case $how in
		1 | 2) fz_index; pfn=$I ;;
		esac
		if [ $how -ge 2 ]; then
			lo=${pfn:-0}
			left=$((m_pages - lo))
			fz_rnd 6
			case $R in
			0) count=1 ;;
			1) count=$left ;;
			2) count=$sec ;;
			3) count=$((left + 1)); over=1 ;;
			*) fz_rnd $left; count=$((R + 1)) ;;
			esac
			[ $count -le $left ] || over=1
		fi
		[ -n "$pfn" ] && args="$args pfn=$(printf '%#x' $((m_start + pfn)))"
		[ -n "$count" ] && args="$args count=$count"
	fi
	fz_log "sync $args"
	fz_w sync $args
	if [ $m_plugged = 0 ]; then
		fz_expect -2
		return
	fi
	if [ $over = 1 ]; then
		fz_expect -22
		return
	fi
	lo=${pfn:-0}
	n=${count:-$((m_pages - lo))}
	fz_any_in $((lo / sec)) $(((lo + n + sec - 1) / sec))
	if [ $HIT = 0 ]; then
		fz_expect 0
	elif [ $m_exact = 1 ]; then
		fz_expect -5
	elif [ "$K_result" != 0 ] && [ "$K_result" != -5 ]; then
		fz_fail "sync over a maybe-poisoned page: result $K_result"
	fi
}

a_memset() {
	fz_threads
	fz_rnd 3
	case $R in
	0) sz= ;; 1) sz=size=2M ;; *) sz=size=8M ;;
	esac
	fz_log "memset $TH $sz"
	fz_w memset $TH $sz
	if [ -z "$sz" ] && [ $m_plugged = 0 ]; then fz_expect -22; else fz_expect 0; fi
}

a_bench() {
	fz_rnd 3
	case $R in
	0) args="size=128M threads=1,$ncpu repeats=1" ;;
	1) args="size=256M threads=$ncpu repeats=1 pieces=2" ;;
	*) args="size=128M threads=1 repeats=2" ;;
	esac
	fz_log "bench $args"
	fz_w bench $args
	if [ $m_plugged = 1 ]; then
		fz_expect -17
	else
		fz_expect 0
		[ "$K_digest_match" = 1 ] || fz_fail "bench digest_match=$K_digest_match"
	fi
	m_adopt
}

# A writer killed while its command runs: the command is cancelled and
# undone or finished, never half done; the model takes the module's word
# for which, and what may be left poisoned.
a_kill() {
	if [ $m_plugged = 0 ]; then
		fz_rnd 2
		if [ $R = 0 ]; then
			cmd="hotplug size=2G threads=$ncpu pieces=16"
		else
			cmd="bench size=128M threads=1,$ncpu repeats=1"
		fi
	else
		fz_rnd 3
		case $R in
		0) cmd="reinit threads=$ncpu poison=1" ;;
		1) cmd="reinit threads=$ncpu poison=1 twopass=1" ;;
		*) fz_index; cmd="reinit threads=1 poison=1 skip=$I" ;;
		esac
	fi
	fz_log "kill during '$cmd'"
	fz_cmd="kill during $cmd"
	mt_kill_during "$cmd"
	fz_rc=$?
	fz_read
	case $cmd in
	reinit*)
		# A completed reinit leaves exactly its skip= page; a cancelled
		# one may leave it and the older ones, or not.
		new=${cmd##*skip=}
		[ "$new" = "$cmd" ] && new=
		case $K_result in
		0 | -5)
			m_bad=$new
			m_exact=1
			[ "$K_result" = 0 ] && fz_verify_clean
			;;
		-125)
			m_bad="$m_bad $new"
			m_exact=0
			;;
		*) fz_fail "killed $cmd: result $K_result" ;;
		esac
		;;
	*)
		[ "$K_result" = 0 ] || [ "$K_result" = -125 ] ||
			fz_fail "killed $cmd: result $K_result"
		m_adopt
		;;
	esac
	async_idle=0
}

a_read() {
	fz_cmd="read"
	fz_rnd 7
	how=$R
	case $how in
	0) fz_log "read control, table"
		cat $C $T >/dev/null || fz_fail "read control/table" ;;
	1) fz_log "read async"
		r=$(sed -n 's/^async_running=//p' $A)
		res=$(sed -n 's/^async_result=//p' $A)
		if [ "$r" = 0 ] && [ -n "$res" ]; then
			case $res in 0 | -125) ;; *) fz_fail "async_result=$res" ;; esac
			if [ "$res" = 0 ] && ! grep -q '^digest_match=1$' $A; then
				fz_fail "a completed pass without digest_match=1"
			fi
		fi ;;
	2) fz_log "read padata_mt stats"
		[ ! -e $stats ] || cat $stats >/dev/null || fz_fail "read $stats" ;;
	3 | 4 | 5)
		if [ $m_plugged = 0 ]; then
			fz_log "read control (no region)"
			cat $C >/dev/null || fz_fail "read control"
			return 0
		fi
		fz_index
		p=$((m_start + I))
		if [ $how = 3 ] && [ -w $hwp ]; then
			fz_log "memory_failure(pfn $p)"
			e=$( { echo $p >$hwp; } 2>&1) && fz_fail "memory_failure($p) succeeded"
			case "$e" in *'Device or resource busy'*) ;; *) fz_fail "memory_failure($p): $e" ;; esac
		else
			fz_log "read /proc/kpageflags, kpagecount at pfn $p"
			dd if=/proc/kpageflags bs=8 skip=$p count=1 2>/dev/null | wc -c >/dev/null &&
				dd if=/proc/kpagecount bs=8 skip=$p count=1 2>/dev/null | wc -c >/dev/null ||
				fz_fail "read /proc/kpageflags at $p"
		fi ;;
	*) fz_log "write a bare newline"
		fz_w ""
		case "$fz_err" in
		*'Invalid argument'*) ;;
		*) fz_fail "a bare newline: '$fz_err'" ;;
		esac ;;
	esac
}

a_param() {
	fz_cmd=param
	fz_rnd 4
	case $R in
	0) v=0 ;; 1) v=91 ;; 2) v=x ;; *) fz_rnd 41; v=$((50 + R)) ;;
	esac
	fz_log "max_memmap_pct=$v"
	if echo $v >$pct 2>/dev/null; then
		case $v in 0 | 91 | x) fz_fail "max_memmap_pct=$v accepted" ;; esac
	else
		case $v in 0 | 91 | x) ;; *) fz_fail "max_memmap_pct=$v refused" ;; esac
	fi
	read -r got <$pct
	case $v in
	0 | 91 | x) ;;
	*) [ "$got" = "$v" ] || fz_fail "max_memmap_pct reads $got after $v" ;;
	esac
}

fz_step() {
	if [ $m_loaded = 0 ]; then
		a_modprobe
		return
	fi
	# The weights depend on the state, every command in each: mostly
	# hotplug without a region; the region's commands with one; and once a
	# knob has left a poisoned page, mostly what reads or tears down the
	# region (unplug, rmmod, the readers), less of what repairs it.
	#        hotplug unplug reinit verify async sync memset bench rmmod kill read
	fz_rnd 100
	if [ $m_plugged = 0 ]; then
		set -- 45 47 50 52 54 56 60 64 68 74 96
	elif [ -z "$m_bad" ]; then
		set -- 3 13 40 48 55 65 68 69 73 81 96
	else
		set -- 3 18 30 40 44 54 57 58 64 72 96
	fi
	if [ $R -lt $1 ]; then a_hotplug
	elif [ $R -lt $2 ]; then a_unplug
	elif [ $R -lt $3 ]; then a_reinit
	elif [ $R -lt $4 ]; then a_verify
	elif [ $R -lt $5 ]; then a_async
	elif [ $R -lt $6 ]; then a_sync
	elif [ $R -lt $7 ]; then a_memset
	elif [ $R -lt $8 ]; then a_bench
	elif [ $R -lt $9 ]; then a_rmmod
	elif [ $R -lt ${10} ]; then a_kill
	elif [ $R -lt ${11} ]; then a_read
	else a_param
	fi
	# Commands other than sync and verify end a background pass; sync
	# and verify after one cannot know whether it still runs.
	case $fz_cmd in
	sync* | verify*) ;;
	*) [ $m_loaded = 1 ] && [ "$(sed -n 's/^async_running=//p' $A)" = 0 ] && async_idle=1 ;;
	esac
}

# --- setup ------------------------------------------------------------------
rmmod memmap_test 2>/dev/null
ktap_test_result fz_modules_load sh -c 'modprobe padata_mt && modprobe memmap_test'
has_flip=0
grep -q 'flip=INDEX:BIT' $C && has_flip=1
hwpoison=0
if ! grep -qx mm/hwpoison-inject /etc/pmt/distro-modules-missing 2>/dev/null &&
	modprobe hwpoison-inject 2>/dev/null; then
	hwpoison=1
fi
read -r pref0 </sys/module/padata_mt/refcnt
pref0=$((pref0 - 1))
iomem0=$(grep -v memmap_test /proc/iomem)
read -r taint0 </proc/sys/kernel/tainted
hm0=$(sed -n 's/^\(high_memory_pfn\|dma_required_mask\)=//p' $C | tr '\n' ' ')
free0=$(pmt_memfree_kb)
legacy=$(sed -n 's/^\([0-9a-f]*\)-[0-9a-f]* : Persistent Memory (legacy)$/\1/p' /proc/iomem | head -n 1)
legacy_end=$(sed -n 's/^[0-9a-f]*-\([0-9a-f]*\) : Persistent Memory (legacy)$/\1/p' /proc/iomem | head -n 1)
pm_lo=0
pm_secs=0
if [ -n "$legacy" ]; then
	pm_lo=$((0x$legacy))
	pm_secs=$(((0x$legacy_end + 1 - pm_lo) / 134217728))
fi
ktap_print_msg "seeds: $SEEDS; $STEPS steps each$([ $fz_debug = 1 ] && echo ' (debug kernel: kmemleak or lockdep)'); flip= knob: $has_flip; memory_failure() injection: $hwpoison; legacy pmem at $(printf '%#x' $pm_lo)"

# --- the walks --------------------------------------------------------------
for fz_seed in $SEEDS; do
	fz_s=$fz_seed
	fz_i=0
	fz_bad0=$fz_bad
	m_loaded=1
	m_reset_region
	async_idle=1
	t0=$(cat /proc/uptime)
	t0=${t0%% *}
	echo 50 >$pct
	while [ $fz_i -lt "$STEPS" ]; do
		fz_i=$((fz_i + 1))
		fz_step
		fz_inv
	done
	# End of the walk: unplug (the skip=/poison leftovers go through
	# memunmap_pages() here if nowhere else), then the module is reloaded.
	fz_i=end
	if [ $m_loaded = 1 ]; then
		echo "# fz $fz_seed:end unplug, rmmod"
		fz_w unplug
		[ $m_plugged = 1 ] && { fz_expect 0; m_reset_region; }
		rmmod memmap_test || fz_fail "rmmod at the end"
	fi
	m_loaded=0
	fz_inv
	modprobe memmap_test
	t1=$(cat /proc/uptime)
	t1=${t1%% *}
	ktap_print_msg "seed $fz_seed: $STEPS steps, $((fz_bad - fz_bad0)) model mismatches, $(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s"
	pmt_eq "walk_seed_${fz_seed}_matches_the_model" $fz_bad0 $fz_bad
done

# --- teardown -----------------------------------------------------------------
[ $hwpoison = 1 ] && rmmod hwpoison-inject
ktap_test_result fz_memmap_test_unloads rmmod memmap_test
nothing_left() {
	[ "$(mt_iomem_ours)" = 0 ] && [ "$(grep -v memmap_test /proc/iomem)" = "$iomem0" ] &&
		[ "$(cat /sys/module/padata_mt/refcnt)" = "$pref0" ]
}
ktap_test_result fz_nothing_left nothing_left
if [ -s "$T_STATE/fz.bad" ]; then
	ktap_print_msg "model mismatches (seed:step what):"
	ktap_print_msg "$(head -n 40 "$T_STATE/fz.bad")"
fi
