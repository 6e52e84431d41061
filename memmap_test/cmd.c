// SPDX-License-Identifier: GPL-2.0
/*
 * memmap_test: the debugfs front and its strict command parser.
 *
 * /sys/kernel/debug/memmap_test/control (0600): one write() is one command,
 * "cmd key=value ...", an optional trailing newline.  A read prints the
 * syntax as "# " lines, then the state and the last results as key=value
 * lines with the unit in the key.  table (0400): the last bench table.
 *
 * Anything malformed (unknown command or key, a duplicate key, a missing
 * '=', a value out of range or with trailing garbage, a size without a unit,
 * an overflow, a non-printable byte) is refused with -EINVAL and one
 * ratelimited pr_warn line saying why.  A command while another runs gets
 * -EBUSY at once.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/overflow.h>
#include <linux/ratelimit.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "memmap_test.h"

enum mt_key_id {
	MT_K_SIZE,
	MT_K_BASE,
	MT_K_THREADS,
	MT_K_PIECES,
	MT_K_NID,
	MT_K_REPEATS,
	MT_K_POISON,
	MT_K_SKIP,
	MT_K_FAIL_PIECE,
	MT_K_PFN,
	MT_K_COUNT,
	MT_K_TWOPASS,
	MT_K_DELAY_MS,
	MT_K_FLIP,
	MT_K_NR,
};

static const char * const mt_key_names[MT_K_NR] = {
	[MT_K_SIZE] = "size",
	[MT_K_BASE] = "base",
	[MT_K_THREADS] = "threads",
	[MT_K_PIECES] = "pieces",
	[MT_K_NID] = "nid",
	[MT_K_REPEATS] = "repeats",
	[MT_K_POISON] = "poison",
	[MT_K_SKIP] = "skip",
	[MT_K_FAIL_PIECE] = "fail_piece",
	[MT_K_PFN] = "pfn",
	[MT_K_COUNT] = "count",
	[MT_K_TWOPASS] = "twopass",
	[MT_K_DELAY_MS] = "delay_ms",
	[MT_K_FLIP] = "flip",
};

/* Test-only: longest time a background pass holds one section. */
#define MT_MAX_DELAY_MS		1000

#define K(k) BIT(MT_K_##k)

static const struct {
	const char *name;
	unsigned long allowed;
	unsigned long required;
} mt_cmds[MT_CMD_NR] = {
	[MT_CMD_HOTPLUG] = { "hotplug",
		K(SIZE) | K(BASE) | K(THREADS) | K(PIECES) | K(NID) |
		K(FAIL_PIECE), K(SIZE) },
	[MT_CMD_UNPLUG] = { "unplug", K(THREADS), 0 },
	[MT_CMD_REINIT] = { "reinit",
		K(THREADS) | K(POISON) | K(SKIP) | K(TWOPASS) | K(FLIP), 0 },
	[MT_CMD_VERIFY] = { "verify", K(THREADS), 0 },
	[MT_CMD_MEMSET] = { "memset", K(THREADS) | K(SIZE), 0 },
	[MT_CMD_BENCH] = { "bench",
		K(SIZE) | K(THREADS) | K(REPEATS) | K(PIECES) | K(NID),
		K(SIZE) },
	[MT_CMD_ASYNC] = { "async", K(THREADS) | K(POISON) | K(DELAY_MS), 0 },
	[MT_CMD_SYNC] = { "sync", K(THREADS) | K(PFN) | K(COUNT), 0 },
};

static const char * const mt_usage[] = {
	"memmap_test " PADATA_MT_VERSION ": write one command per write(); read for the state and the last results",
	"commands:",
	"  hotplug size=SIZE [base=ADDR] [threads=N] [pieces=N] [nid=N] [fail_piece=K]",
	"  unplug [threads=N]",
	"  reinit [threads=N] [poison=0|1] [skip=INDEX] [twopass=0|1] [flip=INDEX:BIT,...]",
	"  verify [threads=N]",
	"  memset [threads=N] [size=SIZE]",
	"  bench size=SIZE [threads=N,N,...] [repeats=N] [pieces=N] [nid=N]",
	"  async [threads=N] [poison=0|1] [delay_ms=N]   (background reinit; returns at once)",
	"  sync [pfn=PFN] [count=N] [threads=N]   (returns when those struct pages are initialised)",
	"every command but sync and verify cancels a running async pass first; the pass: read async",
	"SIZE: a number with a unit K, M, G or T (powers of 1024), e.g. 64G; region sizes and base",
	"  must be multiples of the memory section size (section_size_bytes below); others are refused",
	"numbers: decimal or 0x hex; threads=1 plugs with one memremap_pages() (the stock path)",
	"base=ADDR: only inside legacy persistent memory (memmap=nn!ss) or soft-reserved memory",
	"test-only: fail_piece=K (piece K fails with EIO), skip=INDEX (page INDEX of the region",
	"  is left poisoned; needs poison=1), flip=INDEX:BIT (the digest check after the reinit",
	"  sees bit BIT, 0-511, of page INDEX's struct page flipped; the memmap is not touched;",
	"  at most 4) and delay_ms=N (async holds each section N ms)",
	"errors: EINVAL malformed, EBUSY another command runs, EEXIST/ENOENT region state,",
	"  E2BIG memmap above max_memmap_pct, EOPNOTSUPP struct page layout not validated",
	"  or a plug that would raise max_pfn for good (a kernel without 7170130e4c72),",
	"  EIO digest mismatch (see mismatch_* keys), EINTR writer killed (job cancelled)",
	"results: key=value, units in the key (_ns, _bytes, _pages); see README.md",
};

static DEFINE_MUTEX(mt_cmd_mutex);	/* one command at a time */
static bool mt_busy;			/* a command runs (busy=) */
static DEFINE_MUTEX(mt_res_lock);	/* mt_last, mt_table */
static struct mt_out *mt_last;
static struct mt_out *mt_table;

const char *mt_cmd_name(enum mt_cmd_id cmd)
{
	return cmd < MT_CMD_NR ? mt_cmds[cmd].name : "?";
}

struct mt_out *mt_out_alloc(void)
{
	struct mt_out *o = kzalloc(sizeof(*o), GFP_KERNEL);

	if (!o)
		return NULL;
	o->buf = vmalloc(MT_OUT_SIZE);
	if (!o->buf) {
		kfree(o);
		return NULL;
	}
	o->size = MT_OUT_SIZE;
	return o;
}

void mt_out_free(struct mt_out *o)
{
	if (!o)
		return;
	vfree(o->buf);
	kfree(o);
}

void mt_kv(struct mt_out *o, const char *fmt, ...)
{
	va_list args;

	if (!o || o->len + 1 >= o->size)
		return;
	va_start(args, fmt);
	o->len += vscnprintf(o->buf + o->len, o->size - o->len, fmt, args);
	va_end(args);
}

/*
 * A failed command: one pr_warn line and a message= key, both saying why.
 * Returns @err.
 */
int mt_fail(struct mt_out *o, int err, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_warn_ratelimited(MT_NAME ": %pV (%d)\n", &vaf, err);
	mt_kv(o, "message=%pV\n", &vaf);
	va_end(args);
	return err;
}

void mt_publish_table(struct mt_out *table)
{
	struct mt_out *old;

	mutex_lock(&mt_res_lock);
	old = mt_table;
	mt_table = table;
	mutex_unlock(&mt_res_lock);
	mt_out_free(old);
}

static void mt_publish_last(struct mt_out *o)
{
	struct mt_out *old;

	mutex_lock(&mt_res_lock);
	old = mt_last;
	mt_last = o;
	mutex_unlock(&mt_res_lock);
	mt_out_free(old);
}

/* --- the parser ------------------------------------------------------ */

/*
 * A refused command: one ratelimited pr_warn line and the message= key of
 * the write's results, both saying why.  Returns -EINVAL.
 */
static __printf(2, 3) int mt_bad(struct mt_out *o, const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (__ratelimit(&rs))
		pr_warn(MT_NAME ": rejected command: %pV\n", &vaf);
	mt_kv(o, "message=%pV\n", &vaf);
	va_end(args);
	return -EINVAL;
}

/* Decimal, or hex after one 0x: digits only, no sign, no overflow. */
static int mt_parse_u64(struct mt_out *o, const char *key, const char *s,
			u64 *v)
{
	const char *p = s, *q;
	unsigned int base = 10;
	int ret;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		base = 16;
	}
	/* kstrtoull() would take a second 0x after the first. */
	for (q = p; *q; q++)
		if (base == 10 ? !isdigit(*q) : !isxdigit(*q))
			break;
	if (q == p || *q)
		return mt_bad(o, "%s: '%s' is not a number", key, s);
	ret = kstrtoull(p, base, v);
	if (ret == -ERANGE)
		return mt_bad(o, "%s: number too large", key);
	if (ret)
		return mt_bad(o, "%s: '%s' is not a number", key, s);
	return 0;
}

static int mt_parse_uint(struct mt_out *o, const char *key, const char *s,
			 unsigned int min, unsigned int max, unsigned int *v)
{
	u64 x;
	int ret = mt_parse_u64(o, key, s, &x);

	if (ret)
		return ret;
	if (x < min || x > max)
		return mt_bad(o, "%s=%llu out of range %u..%u", key, x, min,
			      max);
	*v = x;
	return 0;
}

/* A number followed by exactly one unit: K, M, G or T. */
static int mt_parse_size(struct mt_out *o, const char *key, const char *s,
			 u64 *v)
{
	static const char units[] = "KMGT";
	char num[24];
	size_t len = strlen(s);
	const char *u;
	u64 x;
	int ret;

	if (!len || len >= sizeof(num))
		return mt_bad(o, "%s: '%s' is not a size", key, s);
	u = strchr(units, s[len - 1]);
	if (!u)
		return mt_bad(o, "%s: '%s' needs a unit K, M, G or T", key, s);
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	ret = mt_parse_u64(o, key, num, &x);
	if (ret)
		return ret;
	if (check_shl_overflow(x, 10 * (unsigned int)(u - units + 1), v))
		return mt_bad(o, "%s: '%s' overflows", key, s);
	if (!*v)
		return mt_bad(o, "%s: size 0", key);
	return 0;
}

static int mt_parse_threads(struct mt_out *o, struct mt_args *a, char *s,
			    bool list)
{
	unsigned int max = num_possible_cpus();
	char *tok;
	int ret;

	a->nr_threads = 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		unsigned int t;

		if (!list && a->nr_threads)
			return mt_bad(o, "threads: one count only (lists are for bench)");
		if (a->nr_threads == MT_MAX_SWEEP)
			return mt_bad(o, "threads: more than %d counts",
				      MT_MAX_SWEEP);
		ret = mt_parse_uint(o, "threads", tok, 1, max, &t);
		if (ret)
			return ret;
		if (a->nr_threads && t <= a->threads[a->nr_threads - 1])
			return mt_bad(o, "threads: counts must increase");
		a->threads[a->nr_threads++] = t;
	}
	return 0;
}

/* flip=INDEX:BIT[,INDEX:BIT...]: at most MT_MAX_FLIPS, no pair twice. */
static int mt_parse_flips(struct mt_out *o, struct mt_args *a, char *s)
{
	char *tok;
	int ret;

	a->nr_flips = 0;
	while ((tok = strsep(&s, ",")) != NULL) {
		char *bit = strchr(tok, ':');
		struct mt_flip *f = &a->flips[a->nr_flips];
		unsigned int i;

		if (a->nr_flips == MT_MAX_FLIPS)
			return mt_bad(o, "flip: more than %d bits", MT_MAX_FLIPS);
		if (!bit)
			return mt_bad(o, "flip: '%.32s' is not INDEX:BIT", tok);
		*bit++ = '\0';
		ret = mt_parse_u64(o, "flip", tok, &f->index);
		if (!ret)
			ret = mt_parse_uint(o, "flip", bit, 0,
					    8 * sizeof(struct page) - 1,
					    &f->bit);
		if (ret)
			return ret;
		for (i = 0; i < a->nr_flips; i++)
			if (a->flips[i].index == f->index &&
			    a->flips[i].bit == f->bit)
				return mt_bad(o, "flip: %llu:%u twice",
					      f->index, f->bit);
		a->nr_flips++;
	}
	return 0;
}

static int mt_parse_key(struct mt_out *o, struct mt_args *a,
			enum mt_key_id k, char *val)
{
	const char *name = mt_key_names[k];
	unsigned int x;
	int ret;

	switch (k) {
	case MT_K_SIZE:
		return mt_parse_size(o, name, val, &a->size);
	case MT_K_BASE:
		a->has_base = true;
		return mt_parse_u64(o, name, val, &a->base);
	case MT_K_THREADS:
		return mt_parse_threads(o, a, val, a->cmd == MT_CMD_BENCH);
	case MT_K_PIECES:
		return mt_parse_uint(o, name, val, 1, MT_MAX_PIECES,
				     &a->pieces);
	case MT_K_NID:
		ret = mt_parse_uint(o, name, val, 0, nr_node_ids - 1, &x);
		if (ret)
			return ret;
		if (!node_online(x))
			return mt_bad(o, "nid=%u is not an online node", x);
		a->nid = x;
		return 0;
	case MT_K_REPEATS:
		return mt_parse_uint(o, name, val, 1, MT_MAX_REPEATS,
				     &a->repeats);
	case MT_K_POISON:
		ret = mt_parse_uint(o, name, val, 0, 1, &x);
		a->poison = x;
		return ret;
	case MT_K_SKIP:
		a->has_skip = true;
		return mt_parse_u64(o, name, val, &a->skip);
	case MT_K_FAIL_PIECE:
		a->has_fail_piece = true;
		return mt_parse_uint(o, name, val, 0, MT_MAX_PIECES - 1,
				     &a->fail_piece);
	case MT_K_PFN:
		a->has_pfn = true;
		return mt_parse_u64(o, name, val, &a->pfn);
	case MT_K_COUNT:
		a->has_count = true;
		ret = mt_parse_u64(o, name, val, &a->count);
		if (!ret && !a->count)
			return mt_bad(o, "count=0");
		return ret;
	case MT_K_TWOPASS:
		ret = mt_parse_uint(o, name, val, 0, 1, &x);
		a->twopass = x;
		return ret;
	case MT_K_DELAY_MS:
		return mt_parse_uint(o, name, val, 0, MT_MAX_DELAY_MS,
				     &a->delay_ms);
	case MT_K_FLIP:
		return mt_parse_flips(o, a, val);
	default:
		return mt_bad(o, "internal: key %d", k);
	}
}

/*
 * @buf: NUL-terminated, @len bytes before the NUL.  a->cmd is MT_CMD_NR
 * until the command word is known.
 */
static int mt_parse(char *buf, size_t len, struct mt_args *a,
		    struct mt_out *o)
{
	unsigned long seen = 0;
	char *s = buf, *tok;
	size_t i;
	int c, ret;

	memset(a, 0, sizeof(*a));
	a->cmd = MT_CMD_NR;
	a->nid = NUMA_NO_NODE;

	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	for (i = 0; i < len; i++) {
		if (buf[i] == '\t')
			buf[i] = ' ';
		else if (buf[i] < 0x20 || buf[i] > 0x7e)
			return mt_bad(o, "byte 0x%02x at offset %zu is not printable",
				      (u8)buf[i], i);
	}

	tok = strsep(&s, " ");
	while (tok && !*tok)
		tok = strsep(&s, " ");
	if (!tok)
		return mt_bad(o, "empty command");
	for (c = 0; c < MT_CMD_NR; c++)
		if (!strcmp(tok, mt_cmds[c].name))
			break;
	if (c == MT_CMD_NR)
		return mt_bad(o, "unknown command '%.32s'", tok);
	a->cmd = c;

	while ((tok = strsep(&s, " ")) != NULL) {
		char *val;
		int k;

		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return mt_bad(o, "%s: '%.32s' is not key=value",
				      mt_cmds[c].name, tok);
		*val++ = '\0';
		for (k = 0; k < MT_K_NR; k++)
			if (!strcmp(tok, mt_key_names[k]))
				break;
		if (k == MT_K_NR || !(mt_cmds[c].allowed & BIT(k)))
			return mt_bad(o, "%s: unknown key '%.32s'",
				      mt_cmds[c].name, tok);
		if (seen & BIT(k))
			return mt_bad(o, "%s: duplicate key '%s'",
				      mt_cmds[c].name, tok);
		seen |= BIT(k);
		if (!*val)
			return mt_bad(o, "%s: empty value", tok);
		ret = mt_parse_key(o, a, k, val);
		if (ret)
			return ret;
	}
	if ((seen & mt_cmds[c].required) != mt_cmds[c].required)
		return mt_bad(o, "%s: size= is required", mt_cmds[c].name);
	if (a->has_skip && !a->poison)
		return mt_bad(o, "reinit: skip= needs poison=1");
	if (a->has_skip && a->twopass)
		return mt_bad(o, "reinit: skip= is for the one-pass reinit");
	return 0;
}

/* --- debugfs files --------------------------------------------------- */

/*
 * A write that runs no command leaves its own results too: what it was,
 * why it was refused, and the region state when no command is running
 * (while one runs, its results replace these when it ends).  Returns @err.
 */
static int mt_refuse(struct mt_out *o, const struct mt_args *a, int err)
{
	bool idle = mutex_trylock(&mt_cmd_mutex);

	mt_kv(o, "command=%s\nresult=%d\n",
	      a && a->cmd < MT_CMD_NR ? mt_cmd_name(a->cmd) : "none", err);
	if (idle)
		mt_region_kv(mt_region, o);
	/* Before the unlock: a command that starts next publishes after. */
	mt_publish_last(o);
	if (idle)
		mutex_unlock(&mt_cmd_mutex);
	return err;
}

/* Every write publishes its results, so a read never shows an older one's. */
static ssize_t mt_control_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct mt_job *job = NULL;
	char *buf = NULL;
	struct mt_out *o;
	int ret;

	o = mt_out_alloc();
	if (!o)
		return -ENOMEM;
	if (!len)
		return mt_refuse(o, NULL, mt_bad(o, "empty write"));
	if (len >= MT_CMD_MAX)
		return mt_refuse(o, NULL, mt_bad(o, "command longer than %d bytes",
						 MT_CMD_MAX - 1));
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		buf = NULL;
		goto err;
	}
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job) {
		ret = -ENOMEM;
		goto err;
	}
	ret = mt_parse(buf, len, &job->args, o);
	if (ret) {
		mt_refuse(o, &job->args, ret);
		goto out;
	}
	if (!mutex_trylock(&mt_cmd_mutex)) {
		pr_warn_ratelimited(MT_NAME ": %s refused: another command is running\n",
				    mt_cmd_name(job->args.cmd));
		mt_kv(o, "message=another command is running\n");
		ret = mt_refuse(o, &job->args, -EBUSY);
		goto out;
	}
	job->out = o;
	WRITE_ONCE(mt_busy, true);
	ret = mt_run_job(job);
	WRITE_ONCE(mt_busy, false);
	/* What write() returned: result= unless the writer was killed. */
	mt_kv(o, "write_result=%d\n", ret);
	mt_publish_last(o);
	mutex_unlock(&mt_cmd_mutex);
	goto out;
err:
	mt_refuse(o, NULL, ret);	/* EFAULT, ENOMEM: results all the same */
out:
	kfree(job);
	kfree(buf);
	return ret ? ret : len;
}

static int mt_control_show(struct seq_file *m, void *unused)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mt_usage); i++)
		seq_printf(m, "# %s\n", mt_usage[i]);
	seq_printf(m, "busy=%d\n", READ_ONCE(mt_busy));
	seq_printf(m, "async_running=%d\n", mt_async_running());
	seq_printf(m, "max_memmap_pct=%u\n", READ_ONCE(max_memmap_pct));
	seq_printf(m, "section_size_bytes=%lu\n",
		   PAGES_PER_SECTION << PAGE_SHIFT);
	seq_printf(m, "struct_page_bytes=%zu\n", sizeof(struct page));
	seq_printf(m, "high_memory_pfn=%#lx\n", mt_high_memory_pfn());
	seq_printf(m, "dma_required_mask=%#llx\n", mt_dma_required_mask());
	mt_page_layout_show(m);
	mutex_lock(&mt_res_lock);
	if (mt_last)
		seq_write(m, mt_last->buf, mt_last->len);
	mutex_unlock(&mt_res_lock);
	return 0;
}

static int mt_control_open(struct inode *inode, struct file *file)
{
	return single_open(file, mt_control_show, NULL);
}

static const struct file_operations mt_control_fops = {
	.owner = THIS_MODULE,
	.open = mt_control_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = mt_control_write,
	.release = single_release,
};

static int mt_table_show(struct seq_file *m, void *unused)
{
	mutex_lock(&mt_res_lock);
	if (mt_table)
		seq_write(m, mt_table->buf, mt_table->len);
	else
		seq_puts(m, "# no bench has run yet\n");
	mutex_unlock(&mt_res_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_table);

static int mt_async_show(struct seq_file *m, void *unused)
{
	mt_async_status(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mt_async);

int mt_debugfs_init(struct dentry **dir)
{
	struct dentry *d = debugfs_create_dir(MT_NAME, NULL);

	if (IS_ERR(d))
		return PTR_ERR(d);
	debugfs_create_file("control", 0600, d, NULL, &mt_control_fops);
	debugfs_create_file("table", 0400, d, NULL, &mt_table_fops);
	debugfs_create_file("async", 0400, d, NULL, &mt_async_fops);
	*dir = d;
	return 0;
}

void mt_debugfs_exit(void)
{
	mt_out_free(mt_last);
	mt_out_free(mt_table);
	mt_last = NULL;
	mt_table = NULL;
}
