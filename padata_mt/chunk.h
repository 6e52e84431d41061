/* SPDX-License-Identifier: GPL-2.0 */
/*
 * padata_mt chunk arithmetic: how a job's range is cut into chunks.  Used
 * by the engine (core.c) and, so that it measures the engine's sequence
 * rather than a copy of it, by the benchmark's model of the engine
 * (tests/modules/bn_model.c).  Not part of the API.
 *
 * A range's chunk sequence is a pure function of its bounds and of
 * &struct pmt_chunking: undo replays it without recording any chunk.
 */
#ifndef _PADATA_MT_CHUNK_H
#define _PADATA_MT_CHUNK_H

#include <linux/atomic.h>
#include <linux/minmax.h>
#include <linux/types.h>

/* The first chunk of a job is 1/(threads * this) of it; later ones shrink. */
#define PMT_CHUNKS_PER_THREAD	4
/* A background job's (PADATA_MT_PRIO_BACKGROUND) are this much finer. */
#define PMT_BACKGROUND_SPLIT	16

/* A job of @size units fits in one chunk: the engine runs it inline. */
static inline bool pmt_one_chunk(unsigned long size, unsigned long min_chunk)
{
	return size <= max(min_chunk, 1UL);
}

/*
 * The threads a job of @size units gets, the caller's included: @cpus (the
 * online CPUs the caller may use), capped by @max_threads when it is
 * positive, and at most one per unit of max(@min_chunk, @align).
 */
static inline unsigned int pmt_job_threads(unsigned long size,
					   unsigned long min_chunk,
					   unsigned long align, int max_threads,
					   unsigned int cpus)
{
	unsigned long unit = max3(min_chunk, align, 1UL);
	unsigned long threads = cpus;

	if (max_threads > 0)
		threads = min_t(unsigned long, threads, max_threads);
	return min(threads, max(size / unit, 1UL));
}

/**
 * struct pmt_chunking - how a job cuts its ranges into chunks
 * @divisor: threads * PMT_CHUNKS_PER_THREAD (pmt_chunking_init()'s
 *           @threads: a background job's core.c multiplies by
 *           PMT_BACKGROUND_SPLIT): a chunk is what is left of its range
 *           divided by this, at least @min_chunk
 * @min_chunk: the task's min_chunk, at least 1
 * @align: the task's align, at least 1
 */
struct pmt_chunking {
	unsigned long divisor;
	unsigned long min_chunk;
	unsigned long align;
};

/**
 * pmt_chunking_init() - the chunking of a job
 * @c: filled in
 * @min_chunk: the task's min_chunk (0 means 1)
 * @align: the task's align (0 means 1)
 * @threads: the job's threads, caller included, at least 1; finer chunks
 *           for more (a background job passes threads * PMT_BACKGROUND_SPLIT)
 */
static inline void pmt_chunking_init(struct pmt_chunking *c,
				     unsigned long min_chunk,
				     unsigned long align, unsigned int threads)
{
	c->divisor = (unsigned long)threads * PMT_CHUNKS_PER_THREAD;
	c->min_chunk = max(min_chunk, 1UL);
	c->align = max(align, 1UL);
}

/**
 * pmt_chunk_end() - the end of the chunk that starts at @pos
 * @c: the job's chunking
 * @pos: the chunk's first unit, below @end
 * @end: the end of the range the chunk belongs to
 *
 * Guided: what is left divided by @c->divisor, at least @c->min_chunk,
 * ending on a multiple of @c->align unless it ends the range.
 *
 * Return: the chunk's end, above @pos and at most @end.
 */
static inline unsigned long pmt_chunk_end(const struct pmt_chunking *c,
					  unsigned long pos, unsigned long end)
{
	unsigned long left = end - pos;
	unsigned long chunk = max(left / c->divisor, c->min_chunk);
	unsigned long next, rem;

	if (chunk >= left)
		return end;
	next = pos + chunk;
	if (c->align > 1) {
		rem = next % c->align;
		if (!rem)
			return next;
		/* Down to a boundary keeps chunks near the target size... */
		if (next - rem > pos && next - rem - pos >= c->min_chunk)
			return next - rem;
		/* ...up to one keeps min_chunk. */
		if (c->align - rem >= end - next)
			return end;
		next += c->align - rem;
	}
	return next;
}

/**
 * pmt_chunk_claim() - claim the next chunk of a range, lock-free
 * @c: the job's chunking
 * @cursor: the range's first unit not yet claimed
 * @end: the end of the range
 * @start: set to the chunk's first unit
 * @cend: set to the chunk's end
 *
 * One cmpxchg per chunk; a participant that loses the race recomputes
 * from the cursor it lost to.
 *
 * Return: true with [*@start, *@cend) claimed, false when the range is
 * all claimed.
 */
static inline bool pmt_chunk_claim(const struct pmt_chunking *c,
				   atomic_long_t *cursor, unsigned long end,
				   unsigned long *start, unsigned long *cend)
{
	long pos = atomic_long_read(cursor);

	do {
		if ((unsigned long)pos >= end)
			return false;
		*cend = pmt_chunk_end(c, pos, end);
	} while (!atomic_long_try_cmpxchg(cursor, &pos, (long)*cend));
	*start = pos;
	return true;
}

#endif /* _PADATA_MT_CHUNK_H */
