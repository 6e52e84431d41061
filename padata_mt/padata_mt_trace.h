/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the padata_mt engine: events/padata_mt/ in tracefs.
 *
 *   padata_mt_job_start  a multithreaded job starts (threads = caller + helpers)
 *   padata_mt_job_end    it returns (ret = padata_mt_run()'s return value)
 *   padata_mt_chunk      one thread_fn call finished
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM padata_mt

#if !defined(_PADATA_MT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _PADATA_MT_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(padata_mt_job_start,
	TP_PROTO(const void *task, unsigned long size, int threads, int helpers),
	TP_ARGS(task, size, threads, helpers),
	TP_STRUCT__entry(
		__field(const void *, task)
		__field(unsigned long, size)
		__field(int, threads)
		__field(int, helpers)
	),
	TP_fast_assign(
		__entry->task = task;
		__entry->size = size;
		__entry->threads = threads;
		__entry->helpers = helpers;
	),
	TP_printk("task=%p size=%lu threads=%d helpers=%d",
		  __entry->task, __entry->size, __entry->threads,
		  __entry->helpers)
);

TRACE_EVENT(padata_mt_job_end,
	TP_PROTO(const void *task, int ret, u64 ns),
	TP_ARGS(task, ret, ns),
	TP_STRUCT__entry(
		__field(const void *, task)
		__field(int, ret)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->task = task;
		__entry->ret = ret;
		__entry->ns = ns;
	),
	TP_printk("task=%p ret=%d ns=%llu",
		  __entry->task, __entry->ret, __entry->ns)
);

/*
 * One chunk, when it has run: @ns its thread_fn's duration (0 if the event
 * was enabled while it ran), so that its start is the event's time - ns.
 */
TRACE_EVENT(padata_mt_chunk,
	TP_PROTO(const void *task, unsigned long start, unsigned long end,
		 int ret, u64 ns),
	TP_ARGS(task, start, end, ret, ns),
	TP_STRUCT__entry(
		__field(const void *, task)
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(int, ret)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->task = task;
		__entry->start = start;
		__entry->end = end;
		__entry->ret = ret;
		__entry->ns = ns;
	),
	TP_printk("task=%p start=%lu end=%lu ret=%d ns=%llu",
		  __entry->task, __entry->start, __entry->end, __entry->ret,
		  __entry->ns)
);

#endif /* _PADATA_MT_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE padata_mt_trace
#include <trace/define_trace.h>
