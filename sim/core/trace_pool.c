/* trace_pool.c - the trace's string pool: one copy of each distinct string
 * a run's records carry, found again by its text.
 *
 * A run repeats the same host names, phases and replies thousands of times,
 * and about four lines in five of a relayed message's text again at every
 * hop; every one of them is looked up here.  Most lookups find a string
 * already pooled, so what a lookup costs is what a run's trace costs: one
 * cache line of the index (a bucket holds six strings' handles and a byte
 * of each one's hash), the copy itself only when that byte matches, and the
 * copy compared by its length, which the caller knows.
 */
#include "core/trace-private.h"

#include <string.h>

/* Buckets of a new pool's index: 768 places in 4 KiB. */
#define MIN_BUCKETS 128u

/* The index grows when seven places in eight are taken: a bucket of six
 * overflows into the next seldom enough below that. */
#define LOAD_NUM 7u
#define LOAD_DEN 8u

/* Bytes of a word, each 1; each with its top bit set. */
#define BYTES_ONES G_GUINT64_CONSTANT(0x0101010101010101)
#define BYTES_HIGHS G_GUINT64_CONSTANT(0x8080808080808080)
/* A bucket's count of strings, in the top byte of its tags. */
#define COUNT_SHIFT 56u

G_STATIC_ASSERT(MS_TRACE_POOL_WAYS < 8u);

/* ---- Hashing -------------------------------------------------------------- */

/* Only equal strings need equal hashes, and no order of the index reaches
 * an output: the hash is free to read a string in words, sixteen bytes a
 * step, with the tail read as words that overlap what came before (a copy
 * of a few bytes of unknown count costs more than the word; the words are
 * read by trace-private.h's helpers). */
#define HASH_SEED G_GUINT64_CONSTANT(0xa0761d6478bd642f)
#define HASH_MIX G_GUINT64_CONSTANT(0xe7037ed1a0b428db)

/* The two halves of a * b, one folded onto the other: every bit of each
 * reaches the middle of the product. */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 Product;

static inline guint64 fold_mul(guint64 a, guint64 b)
{
    Product p = (Product) a * b;
    return (guint64) p ^ (guint64) (p >> 64);
}
#else
static inline guint64 fold_mul(guint64 a, guint64 b)
{
    guint64 ah = a >> 32, al = (guint32) a, bh = b >> 32, bl = (guint32) b;
    guint64 mid1 = ah * bl, mid2 = al * bh, low = al * bl;
    guint64 lo = low + (mid1 << 32);
    guint64 carry = lo < low;
    guint64 lo2 = lo + (mid2 << 32);
    carry += lo2 < lo;
    return lo2 ^ (ah * bh + (mid1 >> 32) + (mid2 >> 32) + carry);
}
#endif

static inline guint64 hash_bytes(const char *s, gsize len)
{
    guint64 seed = HASH_SEED ^ len;
    guint64 a, b;
    if (len <= 16) {
        if (len >= 4) {
            /* Four words of four bytes cover up to sixteen. */
            gsize mid = (len >> 3) << 2;
            a = ms_trace_load32(s) << 32 | ms_trace_load32(s + mid);
            b = ms_trace_load32(s + len - 4) << 32 | ms_trace_load32(s + len - 4 - mid);
        } else if (len > 0) {
            a = (guint64) (guint8) s[0] << 16 | (guint64) (guint8) s[len >> 1] << 8 |
                (guint8) s[len - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        const char *p = s;
        for (gsize left = len; left > 16; left -= 16, p += 16)
            seed = fold_mul(ms_trace_load64(p) ^ HASH_MIX, ms_trace_load64(p + 8) ^ seed);
        a = ms_trace_load64(s + len - 16);
        b = ms_trace_load64(s + len - 8);
    }
    return fold_mul(HASH_MIX ^ len, fold_mul(a ^ HASH_MIX, b ^ seed));
}

/* The bucket a hash starts from, and its byte of tag: the top one, as the
 * bucket comes from the bottom ones. */
#define HASH_TAG(hash) ((guint8) ((hash) >> 56))

/* ---- The index ------------------------------------------------------------ */

/* Bit 8 i + 7 set for each string i of the bucket whose tag is `tag`
 * (and, only above such a string, now and then for one whose tag is not:
 * a candidate is compared anyway). */
static inline guint64 tag_matches(guint64 tags, guint8 tag)
{
    guint64 x = tags ^ (tag * BYTES_ONES);
    guint64 taken = (G_GUINT64_CONSTANT(1) << ((tags >> COUNT_SHIFT) * 8u)) - 1u;
    return (x - BYTES_ONES) & ~x & BYTES_HIGHS & taken;
}

/* Puts handle h with this hash in the first bucket from its own with a
 * place free: the caller has made sure that h is not there yet. */
static void bucket_put(MsTracePoolBucket *buckets, gsize mask, guint64 hash, guint32 h)
{
    gsize k = hash & mask;
    while ((buckets[k].tags >> COUNT_SHIFT) == MS_TRACE_POOL_WAYS)
        k = (k + 1) & mask;
    MsTracePoolBucket *b = &buckets[k];
    guint n = (guint) (b->tags >> COUNT_SHIFT);
    b->handles[n] = h;
    b->tags += (guint64) HASH_TAG(hash) << (n * 8u) | G_GUINT64_CONSTANT(1) << COUNT_SHIFT;
}

static MsTracePoolBucket *buckets_new(gsize n)
{
    return g_aligned_alloc0(n, sizeof(MsTracePoolBucket), sizeof(MsTracePoolBucket));
}

/* The index, grown to twice its size.  The hashes are made again from the
 * copies, read block by block in the order they were written rather than
 * in the order of the index: one pass over the blocks instead of a jump to
 * a copy for each string. */
static void pool_grow(MsTracePool *pool)
{
    gsize n = pool->n_buckets * 2;
    MsTracePoolBucket *buckets = buckets_new(n);
    for (guint i = 1; i < pool->n_blocks; i++) {
        if (pool->unindexed[i])
            continue;
        const char *block = pool->blocks[i];
        for (gsize at = 0; at < pool->block_ends[i];) {
            gsize len = strlen(block + at);
            guint32 h = (guint32) i << MS_TRACE_STRING_OFFSET_BITS | (guint32) at;
            bucket_put(buckets, n - 1, hash_bytes(block + at, len), h);
            at += len + 1;
        }
    }
    g_aligned_free(pool->buckets);
    pool->buckets = buckets;
    pool->n_buckets = n;
}

/* ---- The copies ----------------------------------------------------------- */

/* A new block of `bytes`, its copies in the index or not: its number. */
static guint block_new(MsTracePool *pool, gsize bytes, gboolean indexed)
{
    if (pool->n_blocks == MS_TRACE_STRING_MAX_BLOCKS)
        g_error("more than %zu blocks of distinct strings in one trace",
                MS_TRACE_STRING_MAX_BLOCKS - 1);
    if (pool->n_blocks == pool->blocks_size) {
        pool->blocks_size *= 2;
        pool->blocks = g_renew(char *, pool->blocks, pool->blocks_size);
        pool->block_ends = g_renew(gsize, pool->block_ends, pool->blocks_size);
        pool->unindexed = g_renew(guint8, pool->unindexed, pool->blocks_size);
    }
    guint b = pool->n_blocks++;
    pool->blocks[b] = g_malloc(bytes);
    pool->block_ends[b] = 0;
    pool->unindexed[b] = !indexed;
    return b;
}

/* Room for len + 1 bytes in the pool's blocks: the handle they will have. */
static guint32 string_room(MsTracePool *pool, gsize len)
{
    guint last = pool->last;
    /* No block yet, or one that a string longer than a block fills: no
     * room left. */
    gsize used = last == 0 ? MS_TRACE_STRING_BLOCK : MIN(pool->block_ends[last], MS_TRACE_STRING_BLOCK);
    if (len + 1 > MS_TRACE_STRING_BLOCK - used) {
        last = pool->last = block_new(pool, MAX(MS_TRACE_STRING_BLOCK, len + 1), TRUE);
        used = 0;
    }
    pool->block_ends[last] = used + len + 1;
    return (guint32) last << MS_TRACE_STRING_OFFSET_BITS | (guint32) used;
}

char *ms_trace_pool_room(MsTracePool *pool, gsize size)
{
    g_assert(size <= MS_TRACE_STRING_BLOCK);
    guint b = pool->last_unindexed;
    if (b == 0 || MS_TRACE_STRING_BLOCK - pool->block_ends[b] < size)
        b = pool->last_unindexed = block_new(pool, MS_TRACE_STRING_BLOCK, FALSE);
    return pool->blocks[b] + pool->block_ends[b];
}

/* Whether handle h is s, len bytes long.  When the copy's block has len +
 * 1 bytes written from it on (other copies after it, if it is shorter than
 * s), they are compared at once, a word at a time; a copy shorter than s
 * differs at its NUL.  Only a copy near the end of its block, or the last
 * one, may not, and is compared as a string. */
G_ALWAYS_INLINE static inline gboolean same_string(const MsTracePool *pool, guint32 h, const char *s,
                                                   gsize len)
{
    const char *copy = ms_trace_pool_string(pool, h);
    if (G_LIKELY((h & (MS_TRACE_STRING_BLOCK - 1u)) + len <
                 pool->block_ends[h >> MS_TRACE_STRING_OFFSET_BITS]))
        return ms_trace_same_bytes(copy, s, len + 1);
    return strcmp(copy, s) == 0;
}

/* A new copy of s, put in bucket b (which has room). */
static guint32 pool_add(MsTracePool *pool, MsTracePoolBucket *b, guint64 hash, const char *s,
                        gsize len)
{
    guint32 h = string_room(pool, len);
    memcpy((char *) ms_trace_pool_string(pool, h), s, len + 1);
    guint n = (guint) (b->tags >> COUNT_SHIFT);
    b->handles[n] = h;
    b->tags += (guint64) HASH_TAG(hash) << (n * 8u) | G_GUINT64_CONSTANT(1) << COUNT_SHIFT;
    pool->n_strings++;
    if (pool->n_strings * LOAD_DEN > pool->n_buckets * MS_TRACE_POOL_WAYS * LOAD_NUM)
        pool_grow(pool);
    return h;
}

/* The whole probe, for what the first candidate of the first bucket was
 * not: a string seen before whose bucket holds a second candidate or
 * overflowed, and every string seen for the first time. */
G_GNUC_NO_INLINE static guint32 pool_find(MsTracePool *pool, guint64 hash, const char *s, gsize len)
{
    gsize mask = pool->n_buckets - 1;
    for (gsize k = hash & mask;; k = (k + 1) & mask) {
        MsTracePoolBucket *b = &pool->buckets[k];
        for (guint64 m = tag_matches(b->tags, HASH_TAG(hash)); m != 0; m &= m - 1) {
            guint32 h = b->handles[__builtin_ctzll(m) >> 3];
            if (same_string(pool, h, s, len))
                return h;
        }
        /* A bucket with room ends the probe: no string was ever put past it. */
        if ((b->tags >> COUNT_SHIFT) < MS_TRACE_POOL_WAYS)
            return pool_add(pool, b, hash, s, len);
    }
}

/* Most strings looked up are there already, the first candidate of their
 * bucket, and compared a word at a time: that case is kept free of calls,
 * so that it needs no registers saved and restored around one. */
guint32 ms_trace_pool_insert(MsTracePool *pool, const char *s, gsize len)
{
    guint64 hash = hash_bytes(s, len);
    const MsTracePoolBucket *b = &pool->buckets[hash & (pool->n_buckets - 1)];
    guint64 m = tag_matches(b->tags, HASH_TAG(hash));
    if (G_LIKELY(m != 0)) {
        guint32 h = b->handles[__builtin_ctzll(m) >> 3];
        /* A copy that must be compared as a string is left to pool_find(),
         * which calls strcmp(). */
        if (G_LIKELY((h & (MS_TRACE_STRING_BLOCK - 1u)) + len <
                     pool->block_ends[h >> MS_TRACE_STRING_OFFSET_BITS]) &&
            ms_trace_same_bytes(ms_trace_pool_string(pool, h), s, len + 1))
            return h;
    }
    return pool_find(pool, hash, s, len);
}

void ms_trace_pool_init(MsTracePool *pool)
{
    *pool = (MsTracePool) { 0 };
    pool->blocks_size = 16;
    pool->blocks = g_new(char *, pool->blocks_size);
    pool->block_ends = g_new(gsize, pool->blocks_size);
    pool->unindexed = g_new(guint8, pool->blocks_size);
    pool->blocks[0] = NULL;
    pool->block_ends[0] = 0;
    pool->unindexed[0] = FALSE;
    pool->n_blocks = 1;
    pool->n_buckets = MIN_BUCKETS;
    pool->buckets = buckets_new(pool->n_buckets);
}

void ms_trace_pool_clear(MsTracePool *pool)
{
    for (guint i = 1; i < pool->n_blocks; i++)
        g_free(pool->blocks[i]);
    g_free(pool->blocks);
    g_free(pool->block_ends);
    g_free(pool->unindexed);
    g_aligned_free(pool->buckets);
    *pool = (MsTracePool) { 0 };
}
