/* trace.c - the trace bus: an append-only log of typed records plus the
 * subscribers that watch it grow.
 *
 * A run keeps millions of records, so the log does not hold them as the
 * 128-byte MsTraceRecord readers see: each is stored as a slot of 16, 24
 * or 36 bytes and decoded into the reader's buffer on access
 * (ms_trace_get).  In a slot every string is a 32-bit handle into one pool
 * (a run repeats the same host names, protocols, phases and replies
 * thousands of times, and the pool keeps one copy of each); the
 * connection, protocol, hosts and ports, which every line and segment of a
 * connection repeats, are one handle to an interned context (its protocol
 * and hosts one handle to a route, which every connection between the same
 * two hosts repeats); and the fields a kind leaves empty take no room.  The
 * body of a slot has a form for protocol lines, one for segments, one for
 * events and one for store changes; a record none of them can hold whole
 * (a time too far from its arrival, a count too large) is kept as a full
 * record beside the slots, so every record decodes to exactly what was
 * emitted.  Most records of a run are protocol lines and segments with
 * nothing unusual about them (no retransmission, no loss, a short length)
 * and a connection's events: those take a tiny slot of 16 bytes, their
 * time an offset from the first record of their chunk, their context an
 * offset from the contexts its chunk began with, a line's phase and note
 * one handle to an interned pair, a segment's seq and ack 16 bits each (a
 * connection's numbers start at 0).  Those a tiny slot cannot hold whole,
 * and events with no text, take a short slot of 24 bytes, with the
 * context, seq and ack whole; the rest take a long slot of 36.
 *
 * Slots live in chunks of 256 records, two bits for each saying which size
 * its slot is, so that a record's place is found from its position and
 * the wider ones before it.  A long run's chunks are cut from slabs that
 * grow from 256 KiB to 2 MB, those past the first 3.75 MB backed with huge
 * pages: the slots are most of what a run adds to the heap, and on a
 * virtual machine a fault for every 4 KiB of them is dear.  Readers that
 * keep records beyond a call (a transcript item and the line it shows, a
 * diagram arrow) pin them: a pinned record is decoded once into memory
 * that stays put until the trace is freed.
 *
 * This file is the log: the trace's life, its chunks and slabs, the emit
 * paths, arrivals, subscribers and readers.  How a record is stored is
 * trace_store.c (the layouts in trace-store.h); connections' contexts,
 * lines' (phase, note) pairs and the look-aside of strings by address are
 * trace_context.c; the string pool is trace_pool.c.
 */
/* madvise() and MADV_HUGEPAGE are not POSIX, nor is dl_iterate_phdr(). */
#define _GNU_SOURCE
#include "core/trace-store.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__) && defined(__GLIBC__)
#include <link.h>
#define HAVE_PHDRS 1
#endif

/* The size of slab i. */
static gsize slab_bytes(guint i)
{
    return i < PLAIN_SLABS ? MIN(SLAB_MIN_BYTES << i, SLAB_BYTES) : SLAB_BYTES;
}

/* The memory that `used` bytes of slab i hold: the pages they reach in a
 * slab of ordinary pages, all of a slab backed by a huge page. */
static gsize slab_held(guint i, gsize used)
{
    if (i >= PLAIN_SLABS)
        return SLAB_BYTES;
    gsize page = (gsize) sysconf(_SC_PAGESIZE);
    return (used + page - 1) / page * page;
}

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

#ifdef HAVE_PHDRS
/* The executable's first loadable segments that are not writable, as one
 * span: its headers, code and read-only data, which come before its
 * writable data (the first object dl_iterate_phdr reports is the program
 * itself; the segments are in the order of their addresses). */
static int find_const_span(struct dl_phdr_info *info, size_t size, void *data)
{
    (void) size;
    MsTrace *trace = data;
    uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE);
    uintptr_t start = 0, end = 0;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t at = (uintptr_t) (info->dlpi_addr + ph->p_vaddr);
        /* Writable, or past a hole that something else could be mapped
         * into: the span ends. */
        if ((ph->p_flags & PF_W) != 0 ||
            (end != 0 && (at & ~(page - 1u)) > ((end + page - 1u) & ~(page - 1u))))
            break;
        if (end == 0)
            start = at;
        end = at + (uintptr_t) ph->p_memsz;
    }
    trace->const_start = start;
    trace->const_len = end - start;
    return 1; /* the program only */
}
#endif

MsTrace *ms_trace_new(void)
{
    MsTrace *trace = g_new0(MsTrace, 1);
    trace->slabs = g_ptr_array_new();
    trace->wide = g_array_new(FALSE, FALSE, sizeof(MsTraceRecord));
    ms_trace_pool_init(&trace->pool);
    trace->n_ctx_slots = CTX_MIN_SLOTS;
    trace->ctx_slots = g_new0(guint32, trace->n_ctx_slots);
    trace->anns = g_array_new(FALSE, FALSE, sizeof(Ann));
    trace->n_ann_slots = CTX_MIN_SLOTS;
    trace->ann_slots = g_new0(guint32, trace->n_ann_slots);
    trace->routes = g_array_new(FALSE, FALSE, sizeof(Route));
    trace->n_route_slots = CTX_MIN_SLOTS;
    trace->route_slots = g_new0(guint32, trace->n_route_slots);
    trace->pin_index = g_ptr_array_new_with_free_func(g_free);
    trace->pin_blocks = g_ptr_array_new_with_free_func(g_free);
    trace->subscribers = g_array_new(FALSE, FALSE, sizeof(Subscriber));
    trace->next_handle = 1;
#ifdef HAVE_PHDRS
    dl_iterate_phdr(find_const_span, trace);
#endif
    return trace;
}

void ms_trace_free(MsTrace *trace)
{
    if (trace == NULL)
        return;
    for (guint i = 0; i < MIN(trace->n_chunks, SMALL_CHUNKS); i++)
        g_free(chunk_at(trace, i)->data);
    for (guint i = 0; i < trace->n_chunks; i += CHUNK_BLOCK)
        g_free(trace->chunk_blocks[i / CHUNK_BLOCK]);
    g_free(trace->chunk_blocks);
    for (guint i = 0; i < trace->slabs->len; i++)
        munmap(g_ptr_array_index(trace->slabs, i), slab_bytes(i));
    g_ptr_array_unref(trace->slabs);
    g_array_unref(trace->wide);
    ms_trace_pool_clear(&trace->pool);
    for (gsize i = 0; i * CTX_BLOCK < trace->n_ctxs; i++)
        g_free(trace->ctx_blocks[i]);
    g_free(trace->ctx_blocks);
    g_free(trace->ctx_slots);
    g_array_unref(trace->anns);
    g_free(trace->ann_slots);
    g_array_unref(trace->routes);
    g_free(trace->route_slots);
    g_ptr_array_unref(trace->pin_index);
    g_ptr_array_unref(trace->pin_blocks);
    g_array_unref(trace->subscribers);
    g_free(trace);
}

/* ---- The log -------------------------------------------------------------- */

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
    trace->watched = kept > 0;
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
        guint64 id = trace->dispatched++;
        guint n = trace->subscribers->len;
        if (n == 0)
            continue;
        MsTraceRecord record;
        ms_trace_decode(trace, id, &record);
        for (guint i = 0; i < n; i++) {
            /* Copied, as a callback may subscribe and so move the array. */
            Subscriber sub = g_array_index(trace->subscribers, Subscriber, i);
            if (sub.fn != NULL)
                sub.fn(&record, sub.user_data);
        }
    }
    trace->dispatching = FALSE;
    if (trace->has_removed)
        sweep_subscribers(trace);
}

/* Slab i, of slab_bytes(i).  A slab of ordinary pages is mapped as it
 * comes and told not to take huge pages, which would hold all of it at the
 * first record.  A huge one is mapped at an address aligned to its size, so
 * that one huge page can back it whole.  Mapped, not malloc'ed: glibc would
 * map twice the size to align it, and count all of it as in use. */
static void *slab_new(guint i)
{
    gsize bytes = slab_bytes(i);
    gsize len = i < PLAIN_SLABS ? bytes : 2 * bytes;
    char *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        g_error("out of memory for %zu bytes of trace records", bytes);
    if (i < PLAIN_SLABS) {
#ifdef MADV_NOHUGEPAGE
        (void) madvise(map, bytes, MADV_NOHUGEPAGE);
#endif
        return map;
    }
    char *start = (char *) (((uintptr_t) map + bytes - 1) & ~(uintptr_t) (bytes - 1));
    char *end = start + bytes;
    if (start > map)
        munmap(map, (gsize) (start - map));
    if (map + len > end)
        munmap(end, (gsize) (map + len - end));
#ifdef MADV_HUGEPAGE
    /* Only advice: where huge pages are off, ordinary pages serve. */
    (void) madvise(start, bytes, MADV_HUGEPAGE);
#endif
    return start;
}

/* Room for CHUNK_SIZE more slots, after the last chunk's. */
static void new_chunk(MsTrace *trace, MsTime base)
{
    guint n = trace->n_chunks;
    /* The last of the chunks allocated one by one keeps what it used. */
    if (n > 0 && n <= SMALL_CHUNKS) {
        Chunk *last = chunk_at(trace, n - 1);
        last->data = g_realloc(last->data, trace->fill);
    }
    Chunk c = { .base = base };
    /* A chunk's tiny slots reach back CTX_BEHIND contexts from the newest. */
    guint32 n_ctxs = trace->n_ctxs;
    c.ctx_base = n_ctxs > CTX_BEHIND ? n_ctxs - CTX_BEHIND : 0;
    if (n < SMALL_CHUNKS) {
        c.data = g_malloc(CHUNK_MAX_BYTES);
    } else {
        guint slabs = trace->slabs->len;
        if (n > SMALL_CHUNKS)
            trace->slab_used += trace->fill;
        if (n == SMALL_CHUNKS || slab_bytes(slabs - 1u) - trace->slab_used < CHUNK_MAX_BYTES) {
            /* The slab left behind holds what its chunks reached. */
            if (slabs > 0)
                trace->slabs_held += slab_held(slabs - 1u, trace->slab_used);
            g_ptr_array_add(trace->slabs, slab_new(slabs));
            trace->slab_used = 0;
        }
        char *slab = g_ptr_array_index(trace->slabs, trace->slabs->len - 1);
        c.data = slab + trace->slab_used;
    }
    if (n % CHUNK_BLOCK == 0) {
        guint b = n / CHUNK_BLOCK;
        /* The table of blocks doubles: a pointer for 256 chunks. */
        if ((b & (b - 1)) == 0)
            trace->chunk_blocks = g_renew(Chunk *, trace->chunk_blocks, MAX(b * 2, 1));
        trace->chunk_blocks[b] = g_new(Chunk, CHUNK_BLOCK);
    }
    *chunk_at(trace, n) = c;
    trace->last_chunk = chunk_at(trace, n);
    trace->n_chunks++;
    trace->fill = 0;
}

/* Shows the records just logged to the subscribers, unless a delivery is
 * under way, which shows them when the current one has reached everybody. */
G_GNUC_NO_INLINE static void notify(MsTrace *trace)
{
    if (!trace->dispatching)
        dispatch(trace);
}

/* notify(), then id: a call in tail position, for the emitters that make
 * no other. */
G_GNUC_NO_INLINE static guint64 notify_id(MsTrace *trace, guint64 id)
{
    notify(trace);
    return id;
}

/* Logs record as the next id, whose chunk is there already. */
static guint64 emit_in_chunk(MsTrace *trace, guint32 ctx, const MsTraceRecord *record)
{
    guint64 id = trace->length;
    gsize bytes = ms_trace_encode(trace, id, ctx, record);
    guint size = bytes == sizeof(TinySlot) ? SIZE_TINY : bytes == sizeof(ShortSlot) ? SIZE_SHORT : SIZE_LONG;
    trace->recent_at[id % RECENT_AT_SLOTS] = id << 16 | (guint64) trace->fill << 2 | size;
    trace->fill += bytes;
    trace->length++;
    if (G_UNLIKELY(trace->watched))
        notify(trace);
    return id;
}

static guint64 emit(MsTrace *trace, guint32 ctx, const MsTraceRecord *record)
{
    /* Not zeroed: every slot is written whole before it is read. */
    if ((trace->length & CHUNK_MASK) == 0)
        new_chunk(trace, record->time);
    return emit_in_chunk(trace, ctx, record);
}

/* Shows the records just logged, if anybody listens. */
static inline void after_emit(MsTrace *trace)
{
    if (G_UNLIKELY(trace->watched))
        notify(trace);
}

/* Logs the next record, id, as the tiny slot (head, its time, no arrival
 * yet, d) at the end of its chunk. */
static inline guint64 tiny_append(MsTrace *trace, const Chunk *chunk, guint64 id, guint32 head,
                                  MsTime time, guint32 d)
{
    tiny_store(chunk->data + trace->fill, head, (guint32) (time - chunk->base), ARRIVAL_NONE, d);
    trace->recent_at[id % RECENT_AT_SLOTS] = id << 16 | (guint64) trace->fill << 2 | SIZE_TINY;
    trace->fill += sizeof(TinySlot);
    trace->length++;
    after_emit(trace);
    return id;
}

/* A segment no tiny slot holds, as the record the general path takes: the
 * context's fields come from ctx.  Out of line, so that the tiny slots'
 * path keeps no record on its stack. */
G_GNUC_NO_INLINE static guint64 emit_segment_record(MsTrace *trace, guint32 ctx, MsTraceKind kind,
                                                    MsTime time, MsDir dir, guint flags,
                                                    guint32 seq, guint32 ack, guint32 len,
                                                    guint retransmit)
{
    MsTraceRecord r = { 0 };
    r.kind = kind;
    r.time = time;
    r.arrival = -1;
    r.dir = dir;
    r.flags = (guint8) flags;
    r.seq = seq;
    r.ack = ack;
    r.len = len;
    r.retransmit = (guint16) retransmit;
    return emit_in_chunk(trace, ctx, &r);
}

/* ms_trace_emit_segment() of any segment: one that opens a chunk, that no
 * tiny slot holds, or with arguments to warn of. */
G_GNUC_NO_INLINE static guint64 emit_segment_slow(MsTrace *trace, MsTraceContext ctx,
                                                  MsTraceKind kind, MsTime time, MsDir dir,
                                                  guint flags, guint32 seq, guint32 ack,
                                                  guint32 len, guint retransmit)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(ctx < trace->n_ctxs, 0);
    g_return_val_if_fail(kind == MS_TRACE_SEGMENT_SENT || kind == MS_TRACE_SEGMENT_RECEIVED ||
                             kind == MS_TRACE_SEGMENT_LOST, 0);
    g_return_val_if_fail(flags <= G_MAXUINT8 && retransmit <= G_MAXUINT16, 0);
    guint64 id = trace->length;
    if ((id & CHUNK_MASK) == 0)
        new_chunk(trace, time);
    const Chunk *chunk = trace->last_chunk;
    guint32 off = ctx - chunk->ctx_base;
    if (kind != MS_TRACE_SEGMENT_LOST && retransmit == 0 && off < (1u << TCTX_BITS) &&
        flags < (1u << TFLAGS_BITS) && len < (1u << TLEN_BITS) && seq < (1u << TSEQ_BITS) &&
        ack < (1u << TSEQ_BITS) && time >= chunk->base &&
        time - chunk->base <= (MsTime) G_MAXUINT32) {
        /* What encode_tiny_fast() would write for this segment. */
        guint32 head = (kind == MS_TRACE_SEGMENT_SENT ? TAG_SENT : TAG_RECEIVED) |
                       (guint32) dir << TDIR_SHIFT | off << TCTX_SHIFT |
                       (guint32) flags << TFLAGS_SHIFT | len << TLEN_SHIFT;
        return tiny_append(trace, chunk, id, head, time, seq << TSEQ_BITS | ack);
    }
    return emit_segment_record(trace, ctx, kind, time, dir, flags, seq, ack, len, retransmit);
}

/* Nearly every segment is sent or received in a chunk already begun, with
 * nothing to warn of and numbers a tiny slot holds: that case makes no
 * call (unless somebody listens), so that it saves no registers for one;
 * every other goes to emit_segment_slow(), which writes the same slot. */
guint64 ms_trace_emit_segment(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind, MsTime time,
                              MsDir dir, guint flags, guint32 seq, guint32 ack, guint32 len,
                              guint retransmit)
{
    if (G_UNLIKELY(trace == NULL || ctx >= trace->n_ctxs || (trace->length & CHUNK_MASK) == 0 ||
                   (kind != MS_TRACE_SEGMENT_SENT && kind != MS_TRACE_SEGMENT_RECEIVED) ||
                   retransmit != 0 || flags >= (1u << TFLAGS_BITS) || len >= (1u << TLEN_BITS) ||
                   seq >= (1u << TSEQ_BITS) || ack >= (1u << TSEQ_BITS)))
        return emit_segment_slow(trace, ctx, kind, time, dir, flags, seq, ack, len, retransmit);
    const Chunk *chunk = trace->last_chunk;
    guint32 off = ctx - chunk->ctx_base;
    if (G_UNLIKELY(off >= (1u << TCTX_BITS) || time < chunk->base ||
                   time - chunk->base > (MsTime) G_MAXUINT32))
        return emit_segment_slow(trace, ctx, kind, time, dir, flags, seq, ack, len, retransmit);
    guint64 id = trace->length;
    guint32 head = (kind == MS_TRACE_SEGMENT_SENT ? TAG_SENT : TAG_RECEIVED) |
                   (guint32) dir << TDIR_SHIFT | off << TCTX_SHIFT |
                   (guint32) flags << TFLAGS_SHIFT | len << TLEN_SHIFT;
    tiny_store(chunk->data + trace->fill, head, (guint32) (time - chunk->base), ARRIVAL_NONE,
               seq << TSEQ_BITS | ack);
    trace->recent_at[id % RECENT_AT_SLOTS] = id << 16 | (guint64) trace->fill << 2 | SIZE_TINY;
    trace->fill += sizeof(TinySlot);
    trace->length++;
    if (G_UNLIKELY(trace->watched))
        return notify_id(trace, id);
    return id;
}

/* A line no tiny slot holds, as the record the general path takes, with
 * the pair's interned texts.  Out of line, as for segments. */
G_GNUC_NO_INLINE static guint64 emit_line_record(MsTrace *trace, guint32 ctx, MsTime time, MsDir dir,
                                                 const char *text, MsTraceAnn ann, guint eol)
{
    const Ann *a = &g_array_index(trace->anns, Ann, ann);
    MsTraceRecord r = { 0 };
    r.kind = MS_TRACE_LINE;
    r.time = time;
    r.arrival = -1;
    r.dir = dir;
    r.text = text;
    r.eol = ms_trace_eols[eol];
    r.phase = string_at(trace, a->phase);
    r.note = string_at(trace, a->note);
    return emit_in_chunk(trace, ctx, &r);
}

/* ms_trace_emit_line() of any line: one that opens a chunk, that no tiny
 * slot holds, or with arguments to warn of. */
G_GNUC_NO_INLINE static guint64 emit_line_slow(MsTrace *trace, MsTraceContext ctx, MsTime time,
                                               MsDir dir, const char *text, gsize text_len,
                                               MsTraceAnn ann, guint eol)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(ctx < trace->n_ctxs, 0);
    g_return_val_if_fail(ann < trace->anns->len, 0);
    g_return_val_if_fail(eol < G_N_ELEMENTS(ms_trace_eols), 0);
    guint64 id = trace->length;
    if ((id & CHUNK_MASK) == 0)
        new_chunk(trace, time);
    const Chunk *chunk = trace->last_chunk;
    guint32 off = ctx - chunk->ctx_base;
    if (off < (1u << TCTX_BITS) && ann < (1u << TANN_BITS) && time >= chunk->base &&
        time - chunk->base <= (MsTime) G_MAXUINT32) {
        /* What encode_tiny_fast() would write for this line. */
        guint32 head = TAG_LINE | (guint32) dir << TDIR_SHIFT | off << TCTX_SHIFT |
                       (guint32) eol << TEOL_SHIFT | ann << TANN_SHIFT;
        guint32 d = text != NULL ? pool_insert_len(trace, text, text_len) : 0;
        return tiny_append(trace, chunk, id, head, time, d);
    }
    return emit_line_record(trace, ctx, time, dir, text, ann, eol);
}

char *ms_trace_line_text(const char *text, gsize len)
{
    g_return_val_if_fail(text != NULL || len == 0, NULL);
    GString *out = g_string_sized_new(len + 1);
    const char *p = text;
    const char *end = text + len;
    while (p < end) {
        const char *nul = memchr(p, '\0', (gsize) (end - p));
        if (nul == NULL) {
            g_string_append_len(out, p, end - p);
            break;
        }
        g_string_append_len(out, p, nul - p);
        g_string_append(out, "\\x00");
        p = nul + 1;
    }
    return g_string_free(out, FALSE);
}

/* ms_trace_emit_line() of a line with a NUL in it, which no engine of the
 * simulation sends: its text as ms_trace_line_text() keeps it. */
G_GNUC_NO_INLINE static guint64 emit_line_with_nul(MsTrace *trace, MsTraceContext ctx,
                                                   MsTime time, MsDir dir, const char *text,
                                                   gsize text_len, MsTraceAnn ann, guint eol)
{
    g_autofree char *kept = ms_trace_line_text(text, text_len);
    return emit_line_slow(trace, ctx, time, dir, kept, strlen(kept), ann, eol);
}

/* Nearly every line is logged in a chunk already begun, with nothing to
 * warn of, its context and pair in a tiny slot's reach: that case writes
 * its slot straight away (what encode_tiny_fast() would write, with
 * nothing left to check or to measure) and then pools its text, so that
 * little needs keeping across the pool's call; every other goes to
 * emit_line_slow(). */
guint64 ms_trace_emit_line(MsTrace *trace, MsTraceContext ctx, MsTime time, MsDir dir,
                           const char *text, gsize text_len, MsTraceAnn ann, guint eol)
{
    /* A record's text ends at its first NUL: a line with one is kept
     * escaped.  The length is known, so the look is one memchr. */
    if (G_UNLIKELY(text != NULL && memchr(text, '\0', text_len) != NULL))
        return emit_line_with_nul(trace, ctx, time, dir, text, text_len, ann, eol);
    if (G_UNLIKELY(trace == NULL || ctx >= trace->n_ctxs || (trace->length & CHUNK_MASK) == 0 ||
                   ann >= trace->anns->len || ann >= (1u << TANN_BITS) ||
                   eol >= G_N_ELEMENTS(ms_trace_eols)))
        return emit_line_slow(trace, ctx, time, dir, text, text_len, ann, eol);
    const Chunk *chunk = trace->last_chunk;
    guint32 off = ctx - chunk->ctx_base;
    if (G_UNLIKELY(off >= (1u << TCTX_BITS) || time < chunk->base ||
                   time - chunk->base > (MsTime) G_MAXUINT32))
        return emit_line_slow(trace, ctx, time, dir, text, text_len, ann, eol);
    guint64 id = trace->length;
    guint32 head = TAG_LINE | (guint32) dir << TDIR_SHIFT | off << TCTX_SHIFT |
                   (guint32) eol << TEOL_SHIFT | ann << TANN_SHIFT;
    TinySlot *t = (TinySlot *) (chunk->data + trace->fill);
    tiny_store((char *) t, head, (guint32) (time - chunk->base), ARRIVAL_NONE, 0);
    trace->recent_at[id % RECENT_AT_SLOTS] = id << 16 | (guint64) trace->fill << 2 | SIZE_TINY;
    trace->fill += sizeof(TinySlot);
    trace->length++;
    if (text != NULL)
        t->d = pool_insert_len(trace, text, text_len);
    if (G_UNLIKELY(trace->watched))
        return notify_id(trace, id);
    return id;
}

/* ms_trace_emit_event() as the record the general path takes: an event
 * no short slot of the fast path holds, or with arguments to warn of. */
G_GNUC_NO_INLINE static guint64 emit_event_record(MsTrace *trace, MsTraceContext ctx,
                                                  MsTraceKind kind, MsTime time,
                                                  const char *note, const char *subject,
                                                  const char *text, const char *detail,
                                                  gint64 count)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail((guint) kind < MS_TRACE_N_KINDS, 0);
    g_return_val_if_fail(ctx < trace->n_ctxs, 0);
    MsTraceRecord r = { 0 };
    r.kind = kind;
    r.time = time;
    r.arrival = -1;
    r.note = note;
    r.subject = subject;
    r.text = text;
    r.detail = detail;
    r.count = count;
    return emit(trace, ctx, &r);
}

/* Whether an event can go in a short slot of the fast path below: any
 * kind but a line, a segment or a store change, with a detail, a small
 * count and a time within its chunk's reach, and not the first record of
 * a chunk. */
static inline gboolean event_fits(const MsTrace *trace, MsTraceContext ctx, MsTraceKind kind,
                                  MsTime time, gint64 count)
{
    if (G_UNLIKELY(trace == NULL || ctx >= trace->n_ctxs || (trace->length & CHUNK_MASK) == 0 ||
                   (guint) kind >= MS_TRACE_N_KINDS || kind == MS_TRACE_LINE ||
                   kind == MS_TRACE_SEGMENT_SENT || kind == MS_TRACE_SEGMENT_RECEIVED ||
                   kind == MS_TRACE_SEGMENT_LOST || kind == MS_TRACE_STORE || count < 0 ||
                   count > SMALL_MAX))
        return FALSE;
    const Chunk *chunk = trace->last_chunk;
    return time >= chunk->base && time - chunk->base <= (MsTime) G_MAXUINT32;
}

/* Logs an event that event_fits() as a short slot (what ms_trace_encode()
 * would write for it), its detail the pool's handle d, when its note's
 * pair fits the slot; FALSE, with nothing logged, when it does not. */
static inline gboolean event_short(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind,
                                   MsTime time, const char *note, const char *subject,
                                   const char *text, guint32 d, gint64 count)
{
    guint32 ann = ann_of(trace, 0, intern(trace, note));
    if (G_UNLIKELY(ann >= (1u << NOTE_BITS)))
        return FALSE;
    Chunk *chunk = trace->last_chunk;
    guint64 id = trace->length;
    mark_size(chunk, (guint) (id & CHUNK_MASK), SIZE_SHORT);
    ShortSlot *s = (ShortSlot *) (chunk->data + trace->fill);
    s->bits = (guint32) kind << KIND_SHIFT | FORM_EVENT_SHORT << FORM_SHIFT |
              ann << NOTE_SHIFT | (guint32) count << SMALL_SHIFT;
    s->ctx = ctx;
    s->time_off = (guint32) (time - chunk->base);
    s->a = intern(trace, subject);
    s->b = d;
    s->c = intern(trace, text);
    trace->recent_at[id % RECENT_AT_SLOTS] = id << 16 | (guint64) trace->fill << 2 | SIZE_SHORT;
    trace->fill += sizeof(ShortSlot);
    trace->length++;
    return TRUE;
}

/* Nearly every event of a run's agents and servers has a sentence, a
 * small count and a note of few kinds, and goes in a short slot: that case
 * writes the slot at once, with the sentence pooled by the length its
 * caller measured while formatting it.  The sentences come one after the
 * other from the same buffer, so the look-aside by address that other
 * strings go through would only match, compare and miss.  Every other
 * event goes the general way. */
guint64 ms_trace_emit_event(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind, MsTime time,
                            const char *note, const char *subject, const char *text,
                            const char *detail, gsize detail_len, gint64 count)
{
    if (G_UNLIKELY(detail == NULL || !event_fits(trace, ctx, kind, time, count)) ||
        !event_short(trace, ctx, kind, time, note, subject, text,
                     pool_insert_len(trace, detail, detail_len), count))
        return emit_event_record(trace, ctx, kind, time, note, subject, text, detail, count);
    if (G_UNLIKELY(trace->watched))
        return notify_id(trace, trace->length - 1);
    return trace->length - 1;
}

char *ms_trace_sentence_room(MsTrace *trace)
{
    g_return_val_if_fail(trace != NULL, NULL);
    return ms_trace_pool_room(&trace->pool, MS_TRACE_SENTENCE_ROOM);
}

/* As ms_trace_emit_event(), with the sentence kept where it was written.
 * An event the short slot of the fast path does not hold takes the
 * general way, which pools its sentence again: few do. */
guint64 ms_trace_emit_sentence(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind,
                               MsTime time, const char *note, const char *subject,
                               const char *text, gsize detail_len, gint64 count)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(detail_len < MS_TRACE_SENTENCE_ROOM, 0);
    g_return_val_if_fail(trace->pool.last_unindexed != 0, 0);
    guint32 d = ms_trace_pool_commit(&trace->pool, detail_len);
    if (G_UNLIKELY(!event_fits(trace, ctx, kind, time, count)) ||
        !event_short(trace, ctx, kind, time, note, subject, text, d, count))
        return emit_event_record(trace, ctx, kind, time, note, subject, text, string_at(trace, d),
                                 count);
    if (G_UNLIKELY(trace->watched))
        return notify_id(trace, trace->length - 1);
    return trace->length - 1;
}

guint64 ms_trace_emit(MsTrace *trace, const MsTraceRecord *record)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(record != NULL, 0);
    g_return_val_if_fail((guint) record->kind < MS_TRACE_N_KINDS, 0);
    return emit(trace, CTX_FIND, record);
}

guint64 ms_trace_emit_in(MsTrace *trace, MsTraceContext ctx, const MsTraceRecord *record)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(record != NULL, 0);
    g_return_val_if_fail((guint) record->kind < MS_TRACE_N_KINDS, 0);
    g_return_val_if_fail(ctx < trace->n_ctxs, 0);
    return emit(trace, ctx, record);
}

/* The pinned copy of record id, or NULL. */
static MsTraceRecord *pinned(const MsTrace *trace, guint64 id)
{
    guint chunk = (guint) (id >> CHUNK_BITS);
    if (chunk >= trace->pin_index->len)
        return NULL;
    const guint32 *index = g_ptr_array_index(trace->pin_index, chunk);
    if (index == NULL || index[id & CHUNK_MASK] == 0)
        return NULL;
    gsize k = index[id & CHUNK_MASK] - 1;
    MsTraceRecord *block = g_ptr_array_index(trace->pin_blocks, (guint) (k / PIN_BLOCK));
    return &block[k % PIN_BLOCK];
}

/* ms_trace_set_arrival() of any record, wherever it is. */
G_GNUC_NO_INLINE static void set_arrival_slow(MsTrace *trace, guint64 id, MsTime arrival)
{
    const Chunk *chunk;
    guint size;
    char *at;
    guint64 recent = trace->recent_at[id % RECENT_AT_SLOTS];
    if (recent >> 16 == id && id < RECENT_AT_MAX_ID) {
        chunk = chunk_at(trace, (guint) (id >> CHUNK_BITS));
        at = chunk->data + ((recent >> 2) & ((1u << 14) - 1u));
        size = (guint) (recent & 3u);
    } else {
        at = slot_at(trace, id, &chunk, &size);
    }
    Slot *s = (Slot *) at;
    TinySlot *t = (TinySlot *) at;
    /* A tiny slot has no form; whatever it holds keeps an arrival as a
     * line does. */
    guint form = size == SIZE_TINY ? (t->a == ARRIVAL_WIDE ? FORM_WIDE : FORM_LINE_SHORT)
                                   : FIELD(s->bits, FORM);
    MsTime time = size == SIZE_LONG  ? (MsTime) ((guint64) s->time_hi << 32 | s->time_lo)
                  : size == SIZE_TINY ? chunk->base + (MsTime) t->time_off
                                      : chunk->base + (MsTime) ((ShortSlot *) at)->time_off;
    gboolean timed = form == FORM_LINE || form == FORM_SEGMENT || form == FORM_LINE_SHORT ||
                     form == FORM_SEGMENT_SHORT;
    guint32 a;
    if (form == FORM_WIDE) {
        guint32 k = size == SIZE_TINY ? t->d : s->a;
        g_array_index(trace->wide, MsTraceRecord, k).arrival = arrival;
    } else if (timed && arrival_encode(time, arrival, &a)) {
        s->a = a;
    } else {
        /* Too far from its time for the slot: the record moves beside. */
        MsTraceRecord r;
        ms_trace_decode(trace, id, &r);
        r.arrival = arrival;
        if (size == SIZE_TINY) {
            t->a = ARRIVAL_WIDE;
            t->d = trace->wide->len;
        } else {
            s->bits = (s->bits & ~(((1u << FORM_BITS) - 1u) << FORM_SHIFT)) | FORM_WIDE << FORM_SHIFT;
            s->a = trace->wide->len;
        }
        g_array_append_val(trace->wide, r);
    }
    MsTraceRecord *pin = pinned(trace, id);
    if (pin != NULL)
        pin->arrival = arrival;
}

void ms_trace_set_arrival(MsTrace *trace, guint64 id, MsTime arrival)
{
    g_return_if_fail(trace != NULL);
    g_return_if_fail(id < trace->length);
    /* Nearly every arrival is for a line or segment in a tiny slot whose
     * place the trace still remembers, with nothing pinned yet (readers pin
     * after the run): the arrival goes into the slot at once. */
    guint64 recent = trace->recent_at[id % RECENT_AT_SLOTS];
    if (G_LIKELY(recent >> 16 == id && (recent & 3u) == SIZE_TINY && trace->n_pinned == 0)) {
        guint n = (guint) (id >> CHUNK_BITS);
        const Chunk *chunk = n + 1u == trace->n_chunks ? trace->last_chunk : chunk_at(trace, n);
        TinySlot *t = (TinySlot *) (chunk->data + ((recent >> 2) & ((1u << 14) - 1u)));
        guint32 a;
        if (G_LIKELY(t->a != ARRIVAL_WIDE &&
                     arrival_encode(chunk->base + (MsTime) t->time_off, arrival, &a))) {
            t->a = a;
            return;
        }
    }
    set_arrival_slow(trace, id, arrival);
}

guint ms_trace_subscribe(MsTrace *trace, MsTraceFn fn, gpointer user_data)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(fn != NULL, 0);
    Subscriber sub = { trace->next_handle++, fn, user_data };
    /* Records logged while nobody listened were shown to nobody (a
     * delivery under way has somebody to show them to). */
    if (!trace->watched)
        trace->dispatched = trace->length;
    g_array_append_val(trace->subscribers, sub);
    trace->watched = TRUE;
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
            trace->watched = trace->subscribers->len > 0;
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
    if (trace->slabs->len == 0)
        return 0;
    /* The last chunk is in the last slab. */
    return trace->slabs_held + slab_held(trace->slabs->len - 1u, trace->slab_used + trace->fill);
}

const MsTraceRecord *ms_trace_get(const MsTrace *trace, guint64 id, MsTraceRecord *buf)
{
    g_return_val_if_fail(trace != NULL, NULL);
    g_return_val_if_fail(id < trace->length, NULL);
    g_return_val_if_fail(buf != NULL, NULL);
    ms_trace_decode(trace, id, buf);
    return buf;
}

/* Pinning changes no record, only where copies of them live: the trace is
 * const to its readers, and the pins are its own business. */
const MsTraceRecord *ms_trace_pin(const MsTrace *trace, guint64 id)
{
    g_return_val_if_fail(trace != NULL, NULL);
    g_return_val_if_fail(id < trace->length, NULL);
    MsTraceRecord *pin = pinned(trace, id);
    if (pin != NULL)
        return pin;
    MsTrace *t = (MsTrace *) trace;
    guint chunk = (guint) (id >> CHUNK_BITS);
    if (chunk >= t->pin_index->len)
        g_ptr_array_set_size(t->pin_index, (gint) chunk + 1);
    guint32 *index = g_ptr_array_index(t->pin_index, chunk);
    if (index == NULL) {
        index = g_new0(guint32, CHUNK_SIZE);
        g_ptr_array_index(t->pin_index, chunk) = index;
    }
    gsize k = t->n_pinned++;
    if (k == G_MAXUINT32)
        g_error("more than %u pinned trace records", G_MAXUINT32 - 1);
    if (k % PIN_BLOCK == 0)
        g_ptr_array_add(t->pin_blocks, g_new(MsTraceRecord, PIN_BLOCK));
    MsTraceRecord *block = g_ptr_array_index(t->pin_blocks, (guint) (k / PIN_BLOCK));
    pin = &block[k % PIN_BLOCK];
    ms_trace_decode(trace, id, pin);
    index[id & CHUNK_MASK] = (guint32) (k + 1);
    return pin;
}
