/* trace.c - the trace bus: an append-only log of typed records plus the
 * subscribers that watch it grow.
 *
 * Records live in fixed-size chunks that are never moved, so a pointer from
 * ms_trace_get() stays valid however long the log grows; renderers keep such
 * pointers (a line and the segment that carried it, say).  A long run's
 * chunks are cut from slabs of 2 MB that the kernel is asked to back with
 * huge pages: the records are most of what a run adds to the heap, and on
 * a virtual machine a fault for every 4 KiB of them is dear.  Every string a
 * record carries is interned in one pool: a run repeats the same host names,
 * protocols, phases and replies thousands of times, and this keeps one copy
 * of each.
 */
/* madvise() and MADV_HUGEPAGE are not POSIX. */
#define _DEFAULT_SOURCE
#include "mailsim/trace.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK_BITS 8u
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define CHUNK_MASK (CHUNK_SIZE - 1u)
/* The first chunks are allocated one by one, so that a lecture's run of a
 * few hundred records stays small; the rest come from slabs. */
#define SMALL_CHUNKS 64u
#define SLAB_BYTES ((gsize) 2u << 20)
#define SLAB_CHUNKS (SLAB_BYTES / (CHUNK_SIZE * sizeof(MsTraceRecord)))

typedef struct {
    guint handle;
    MsTraceFn fn; /* NULL once unsubscribed while a dispatch was running */
    gpointer user_data;
} Subscriber;

/* Slots of the look-aside cache in front of the string pool. */
#define RECENT_SLOTS 256u

typedef struct {
    const char *given;  /* the pointer a caller passed */
    const char *pooled; /* its copy in the pool */
} Recent;

#define POOL_MIN_SLOTS 1024u

struct MsTrace {
    GPtrArray *chunks;      /* of MsTraceRecord[CHUNK_SIZE]: the first
                             * SMALL_CHUNKS owned, the rest in slabs */
    GPtrArray *slabs;       /* owned, SLAB_BYTES each, mapped by slab_new */
    guint64 length;
    GStringChunk *strings;
    /* The index of the pool: open addressing, probed linearly, in two
     * arrays a power of two long.  A probe reads the hashes and touches a
     * string only when its hash matches. */
    const char **slots;     /* NULL: empty */
    guint32 *hashes;
    gsize n_slots;
    gsize n_pooled;
    /* Most strings a record carries come, record after record, from the
     * same few places (a host's name, a protocol's phase keys, the string
     * constants of the engines): remembered by their address, they skip
     * hashing; the contents are still compared, so an address reused for
     * other text is pooled afresh. */
    Recent recent[RECENT_SLOTS];

    GArray *subscribers;    /* of Subscriber, in registration order */
    guint next_handle;
    guint64 dispatched;     /* records already shown to the subscribers */
    gboolean dispatching;
    gboolean has_removed;   /* subscribers marked NULL, to be dropped */
};

#define KIND_NAME_(e, s) s,
static const char *const kind_names[] = { MS_TRACE_KINDS(KIND_NAME_) };
#undef KIND_NAME_

G_STATIC_ASSERT(G_N_ELEMENTS(kind_names) == MS_TRACE_N_KINDS);

const char *ms_trace_kind_name(MsTraceKind kind)
{
    if ((guint) kind >= MS_TRACE_N_KINDS)
        return "unknown";
    return kind_names[kind];
}

MsTrace *ms_trace_new(void)
{
    MsTrace *trace = g_new0(MsTrace, 1);
    trace->chunks = g_ptr_array_new();
    trace->slabs = g_ptr_array_new();
    trace->strings = g_string_chunk_new(4096);
    trace->n_slots = POOL_MIN_SLOTS;
    trace->slots = g_new0(const char *, trace->n_slots);
    trace->hashes = g_new(guint32, trace->n_slots);
    trace->subscribers = g_array_new(FALSE, FALSE, sizeof(Subscriber));
    trace->next_handle = 1;
    return trace;
}

void ms_trace_free(MsTrace *trace)
{
    if (trace == NULL)
        return;
    for (guint i = 0; i < MIN(trace->chunks->len, SMALL_CHUNKS); i++)
        g_free(g_ptr_array_index(trace->chunks, i));
    g_ptr_array_unref(trace->chunks);
    for (guint i = 0; i < trace->slabs->len; i++)
        munmap(g_ptr_array_index(trace->slabs, i), SLAB_BYTES);
    g_ptr_array_unref(trace->slabs);
    g_string_chunk_free(trace->strings);
    g_free(trace->slots);
    g_free(trace->hashes);
    g_array_unref(trace->subscribers);
    g_free(trace);
}

/* Eight bytes at a time: the pool hashes every line of a run once, and
 * GLib's g_str_hash, a byte at a time, was most of what interning cost.
 * Only equal strings need equal hashes; no order of the index reaches an
 * output. */
static guint32 hash_bytes(const char *s, gsize len)
{
    guint64 h = 0x9e3779b97f4a7c15u ^ len;
    for (; len >= 8; s += 8, len -= 8) {
        guint64 w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
    }
    guint64 w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0x94d049bb133111ebu;
    h ^= h >> 29;
    return (guint32) (h ^ (h >> 32));
}

static void pool_grow(MsTrace *trace)
{
    gsize n = trace->n_slots * 2;
    const char **slots = g_new0(const char *, n);
    guint32 *hashes = g_new(guint32, n);
    for (gsize i = 0; i < trace->n_slots; i++) {
        if (trace->slots[i] == NULL)
            continue;
        gsize k = trace->hashes[i] & (n - 1);
        while (slots[k] != NULL)
            k = (k + 1) & (n - 1);
        slots[k] = trace->slots[i];
        hashes[k] = trace->hashes[i];
    }
    g_free(trace->slots);
    g_free(trace->hashes);
    trace->slots = slots;
    trace->hashes = hashes;
    trace->n_slots = n;
}

/* The pool's copy of s, made on first sight. */
static const char *pool_insert(MsTrace *trace, const char *s)
{
    gsize len = strlen(s);
    guint32 hash = hash_bytes(s, len);
    gsize mask = trace->n_slots - 1;
    gsize k = hash & mask;
    for (; trace->slots[k] != NULL; k = (k + 1) & mask) {
        if (trace->hashes[k] == hash && strcmp(trace->slots[k], s) == 0)
            return trace->slots[k];
    }
    const char *pooled = g_string_chunk_insert_len(trace->strings, s, (gssize) len);
    trace->slots[k] = pooled;
    trace->hashes[k] = hash;
    /* At most three quarters full, so that probes stay short. */
    if (++trace->n_pooled * 4 > trace->n_slots * 3)
        pool_grow(trace);
    return pooled;
}

static const char *intern(MsTrace *trace, const char *s)
{
    if (s == NULL)
        return NULL;
    Recent *slot = &trace->recent[(GPOINTER_TO_SIZE(s) >> 3) % RECENT_SLOTS];
    if (slot->given == s && strcmp(slot->pooled, s) == 0)
        return slot->pooled;
    const char *pooled = pool_insert(trace, s);
    slot->given = s;
    slot->pooled = pooled;
    return pooled;
}

const char *ms_trace_intern(MsTrace *trace, const char *s)
{
    g_return_val_if_fail(trace != NULL, NULL);
    return intern(trace, s);
}

static MsTraceRecord *record_at(const MsTrace *trace, guint64 id)
{
    MsTraceRecord *chunk = g_ptr_array_index(trace->chunks, (guint) (id >> CHUNK_BITS));
    return &chunk[id & CHUNK_MASK];
}

/* Drops subscribers that left while a dispatch was walking the list. */
static void sweep_subscribers(MsTrace *trace)
{
    guint kept = 0;
    for (guint i = 0; i < trace->subscribers->len; i++) {
        Subscriber sub = g_array_index(trace->subscribers, Subscriber, i);
        if (sub.fn != NULL)
            g_array_index(trace->subscribers, Subscriber, kept++) = sub;
    }
    g_array_set_size(trace->subscribers, kept);
    trace->has_removed = FALSE;
}

/* Shows every record not yet shown to every subscriber, in log order.  A
 * subscriber that emits a record itself only appends it here; the loop below
 * delivers it after the current one has reached everybody, so all
 * subscribers see the log in id order.  Subscribers that join during a
 * delivery see the records after it. */
static void dispatch(MsTrace *trace)
{
    trace->dispatching = TRUE;
    while (trace->dispatched < trace->length) {
        const MsTraceRecord *record = record_at(trace, trace->dispatched++);
        guint n = trace->subscribers->len;
        for (guint i = 0; i < n; i++) {
            /* Copied, as a callback may subscribe and so move the array. */
            Subscriber sub = g_array_index(trace->subscribers, Subscriber, i);
            if (sub.fn != NULL)
                sub.fn(record, sub.user_data);
        }
    }
    trace->dispatching = FALSE;
    if (trace->has_removed)
        sweep_subscribers(trace);
}

/* SLAB_BYTES mapped at an address aligned to their size, so that one huge
 * page can back them whole.  Mapped, not malloc'ed: glibc would map twice
 * the size to align it, and count all of it as in use. */
static void *slab_new(void)
{
    gsize len = 2 * SLAB_BYTES;
    char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        g_error("out of memory for %zu bytes of trace records", SLAB_BYTES);
    char *start = (char *) (((uintptr_t) map + SLAB_BYTES - 1) & ~(uintptr_t) (SLAB_BYTES - 1));
    char *end = start + SLAB_BYTES;
    if (start > map)
        munmap(map, (gsize) (start - map));
    if (map + len > end)
        munmap(end, (gsize) (map + len - end));
#ifdef MADV_HUGEPAGE
    /* Only advice: where huge pages are off, ordinary pages serve. */
    (void) madvise(start, SLAB_BYTES, MADV_HUGEPAGE);
#endif
    return start;
}

/* Room for CHUNK_SIZE more records. */
static MsTraceRecord *new_chunk(MsTrace *trace)
{
    guint n = trace->chunks->len;
    if (n < SMALL_CHUNKS)
        return g_new(MsTraceRecord, CHUNK_SIZE);
    gsize in_slab = (n - SMALL_CHUNKS) % SLAB_CHUNKS;
    if (in_slab == 0)
        g_ptr_array_add(trace->slabs, slab_new());
    MsTraceRecord *slab = g_ptr_array_index(trace->slabs, trace->slabs->len - 1);
    return slab + in_slab * CHUNK_SIZE;
}

guint64 ms_trace_emit(MsTrace *trace, const MsTraceRecord *record)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(record != NULL, 0);
    g_return_val_if_fail((guint) record->kind < MS_TRACE_N_KINDS, 0);

    guint64 id = trace->length;
    /* Not zeroed: every record is written whole before it is read. */
    if ((id & CHUNK_MASK) == 0)
        g_ptr_array_add(trace->chunks, new_chunk(trace));
    MsTraceRecord *r = record_at(trace, id);
    *r = *record;
    r->id = id;
    r->protocol = intern(trace, record->protocol);
    r->src = intern(trace, record->src);
    r->dst = intern(trace, record->dst);
    r->text = intern(trace, record->text);
    r->eol = intern(trace, record->eol);
    r->phase = intern(trace, record->phase);
    r->note = intern(trace, record->note);
    r->subject = intern(trace, record->subject);
    r->detail = intern(trace, record->detail);
    trace->length++;

    if (!trace->dispatching)
        dispatch(trace);
    return id;
}

void ms_trace_set_arrival(MsTrace *trace, guint64 id, MsTime arrival)
{
    g_return_if_fail(trace != NULL);
    g_return_if_fail(id < trace->length);
    record_at(trace, id)->arrival = arrival;
}

guint ms_trace_subscribe(MsTrace *trace, MsTraceFn fn, gpointer user_data)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(fn != NULL, 0);
    Subscriber sub = { trace->next_handle++, fn, user_data };
    g_array_append_val(trace->subscribers, sub);
    return sub.handle;
}

/* Unknown or already removed handles are ignored. */
void ms_trace_unsubscribe(MsTrace *trace, guint handle)
{
    g_return_if_fail(trace != NULL);
    for (guint i = 0; i < trace->subscribers->len; i++) {
        Subscriber *sub = &g_array_index(trace->subscribers, Subscriber, i);
        if (sub->handle != handle || sub->fn == NULL)
            continue;
        if (trace->dispatching) {
            /* Removing now would shift the list under the running loop. */
            sub->fn = NULL;
            trace->has_removed = TRUE;
        } else {
            g_array_remove_index(trace->subscribers, i);
        }
        return;
    }
}

guint64 ms_trace_length(const MsTrace *trace)
{
    g_return_val_if_fail(trace != NULL, 0);
    return trace->length;
}

gsize ms_trace_mapped_bytes(const MsTrace *trace)
{
    g_return_val_if_fail(trace != NULL, 0);
    return trace->slabs->len * SLAB_BYTES;
}

const MsTraceRecord *ms_trace_get(const MsTrace *trace, guint64 id)
{
    g_return_val_if_fail(trace != NULL, NULL);
    g_return_val_if_fail(id < trace->length, NULL);
    return record_at(trace, id);
}
