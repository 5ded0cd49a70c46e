/* trace-private.h - what the trace's log (trace.c) and its string pool
 * (trace_pool.c) share.
 *
 * The pool keeps one copy of every distinct string a run's records carry,
 * and names each by a 32-bit handle that says where the copy is: the log's
 * slots hold handles, never pointers.
 */
#pragma once

#include <stdint.h>
#include <string.h>
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
    /* For each block, whether its copies are outside the index: the
     * events' sentences, which a run repeats too seldom to be worth
     * looking up (ms_trace_pool_room()), are kept in blocks of their own
     * that the index never holds. */
    guint8 *unindexed;
    guint n_blocks, blocks_size;
    guint last;                 /* the block new indexed copies go to, or 0 */
    guint last_unindexed;       /* the block of sentences being filled, or 0 */
    gsize n_strings;            /* (NULL not counted) */
    /* The index: buckets, a power of two of them, probed one after the
     * other from the one the hash says. */
    MsTracePoolBucket *buckets;
    gsize n_buckets;
} MsTracePool;

/* A word of a string, read from wherever it lies. */
static inline guint64 ms_trace_load64(const char *s)
{
    guint64 w;
    memcpy(&w, s, 8);
    return w;
}

static inline guint64 ms_trace_load32(const char *s)
{
    guint32 w;
    memcpy(&w, s, 4);
    return w;
}

/* Whether the n bytes at a and at b are the same, compared sixteen bytes a
 * step, the tail as words that overlap what came before: no call, and no
 * loop of bytes for the lines of a few dozen bytes most strings are.  (Here
 * rather than in trace_pool.c, so that tests can reach it.) */
G_ALWAYS_INLINE static inline gboolean ms_trace_same_bytes(const char *a, const char *b, gsize n)
{
    if (n >= 16) {
        gsize i = 0;
        for (; i + 16 < n; i += 16)
            if (((ms_trace_load64(a + i) ^ ms_trace_load64(b + i)) |
                 (ms_trace_load64(a + i + 8) ^ ms_trace_load64(b + i + 8))) != 0)
                return FALSE;
        return ((ms_trace_load64(a + n - 16) ^ ms_trace_load64(b + n - 16)) |
                (ms_trace_load64(a + n - 8) ^ ms_trace_load64(b + n - 8))) == 0;
    }
    if (n >= 8)
        return ((ms_trace_load64(a) ^ ms_trace_load64(b)) |
                (ms_trace_load64(a + n - 8) ^ ms_trace_load64(b + n - 8))) == 0;
    if (n >= 4)
        return ((ms_trace_load32(a) ^ ms_trace_load32(b)) |
                (ms_trace_load32(a + n - 4) ^ ms_trace_load32(b + n - 4))) == 0;
    for (gsize i = 0; i < n; i++)
        if (a[i] != b[i])
            return FALSE;
    return TRUE;
}

void ms_trace_pool_init(MsTracePool *pool);
void ms_trace_pool_clear(MsTracePool *pool);
/* The handle of the pool's copy of s, len bytes long (s[len] is its NUL),
 * made on first sight. */
guint32 ms_trace_pool_insert(MsTracePool *pool, const char *s, gsize len);

/* Room for a string of up to size - 1 bytes and its NUL (size at most
 * MS_TRACE_STRING_BLOCK) after the copies outside the index, for a caller
 * to write it there; it stays the caller's until the next call of this
 * function, and becomes the pool's with ms_trace_pool_commit(). */
char *ms_trace_pool_room(MsTracePool *pool, gsize size);

/* The handle of the string of len bytes (len + 1 with its NUL, within the
 * size asked for) just written into the room: kept as it is, without a
 * look for an earlier copy, and never found by ms_trace_pool_insert(). */
static inline guint32 ms_trace_pool_commit(MsTracePool *pool, gsize len)
{
    guint b = pool->last_unindexed;
    gsize at = pool->block_ends[b];
    pool->block_ends[b] = at + len + 1;
    return (guint32) b << MS_TRACE_STRING_OFFSET_BITS | (guint32) at;
}

/* The text of handle h (NULL for 0).  Added as integers: block 0 is NULL,
 * and C gives no meaning to NULL plus an offset, even 0. */
static inline const char *ms_trace_pool_string(const MsTracePool *pool, guint32 h)
{
    return (const char *) ((uintptr_t) pool->blocks[h >> MS_TRACE_STRING_OFFSET_BITS] +
                           (h & (MS_TRACE_STRING_BLOCK - 1u)));
}

G_END_DECLS
