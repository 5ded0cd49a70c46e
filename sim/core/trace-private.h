/* trace-private.h - what the trace's log (trace.c) and its string pool
 * (trace_pool.c) share.
 *
 * The pool keeps one copy of every distinct string a run's records carry,
 * and names each by a 32-bit handle that says where the copy is: the log's
 * slots hold handles, never pointers.
 */
#pragma once

#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

/* A string handle: the block's index, then the offset in it. */
#define MS_TRACE_STRING_OFFSET_BITS 16u
#define MS_TRACE_STRING_BLOCK ((gsize) 1 << MS_TRACE_STRING_OFFSET_BITS)
#define MS_TRACE_STRING_MAX_BLOCKS ((gsize) 1 << (32u - MS_TRACE_STRING_OFFSET_BITS))

/* Strings a bucket of the pool's index holds. */
#define MS_TRACE_POOL_WAYS 6u

/* A bucket of the pool's index, 32 bytes aligned to their size, so that a
 * lookup reads one cache line of the index: a byte of hash (a tag) for
 * each string it holds, how many it holds in the top byte, then their
 * handles.  Tags of places not yet taken are 0. */
typedef struct {
    guint64 tags;
    guint32 handles[MS_TRACE_POOL_WAYS];
} MsTracePoolBucket;

G_STATIC_ASSERT(sizeof(MsTracePoolBucket) == 32);

typedef struct {
    /* The copies, one after the other in blocks of MS_TRACE_STRING_BLOCK
     * bytes (a longer string has a block of its own); handle 0 is NULL, as
     * block 0 is. */
    char **blocks;
    gsize *block_ends;          /* bytes of each block the copies take */
    guint n_blocks, blocks_size;
    gsize n_strings;            /* (NULL not counted) */
    /* The index: buckets, a power of two of them, probed one after the
     * other from the one the hash says. */
    MsTracePoolBucket *buckets;
    gsize n_buckets;
} MsTracePool;

void ms_trace_pool_init(MsTracePool *pool);
void ms_trace_pool_clear(MsTracePool *pool);
/* The handle of the pool's copy of s, len bytes long (s[len] is its NUL),
 * made on first sight. */
guint32 ms_trace_pool_insert(MsTracePool *pool, const char *s, gsize len);

/* The text of handle h (NULL for 0).  Added as integers: block 0 is NULL,
 * and C gives no meaning to NULL plus an offset, even 0. */
static inline const char *ms_trace_pool_string(const MsTracePool *pool, guint32 h)
{
    return (const char *) ((uintptr_t) pool->blocks[h >> MS_TRACE_STRING_OFFSET_BITS] +
                           (h & (MS_TRACE_STRING_BLOCK - 1u)));
}

G_END_DECLS
