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
 */
/* madvise() and MADV_HUGEPAGE are not POSIX, nor is dl_iterate_phdr(). */
#define _GNU_SOURCE
#include "mailsim/trace.h"
#include "core/trace-private.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__) && defined(__GLIBC__)
#include <link.h>
#define HAVE_PHDRS 1
#endif

/* ---- The stored form ------------------------------------------------------ */

/* How a slot's body is laid out. */
enum {
    FORM_LINE,    /* a: arrival, b: text, c: phase, d: note, e: len */
    FORM_SEGMENT, /* a: arrival, b: seq, c: ack, d: len, e: detail; small: retransmit */
    FORM_EVENT,   /* a: note, b: subject, c: detail, d: text, e: count */
    FORM_STORE,   /* a: note, b: subject, c: folder, d: text, e: uid; small: count */
    FORM_WIDE,    /* a: index of the whole record in `wide`; short or long */
    /* Short slots. */
    FORM_LINE_SHORT,    /* a: arrival, b: text, c: (phase, note) pair; small: len */
    FORM_SEGMENT_SHORT, /* a: arrival, b: seq, c: ack; small: len (no retransmission, no detail) */
    FORM_EVENT_SHORT,   /* a: subject, b: detail, c: text; note: its pair; small: count
                         * (no flags) */
    /* Tiny slots have no form field: their head's tag says what they hold. */
};

/* bits: kind, dir, form, eol, flags and one small number. */
#define KIND_SHIFT 0u
#define KIND_BITS 5u
#define DIR_SHIFT 5u
#define DIR_BITS 2u
#define FORM_SHIFT 7u
#define FORM_BITS 3u
#define EOL_SHIFT 10u
#define EOL_BITS 3u
#define FLAGS_SHIFT 13u
#define FLAGS_BITS 8u
#define SMALL_SHIFT 21u
#define SMALL_BITS 11u
#define SMALL_MAX ((1u << SMALL_BITS) - 1u)
/* FORM_EVENT_SHORT: its note as the handle of a (NULL, note) pair, in the
 * place of eol and flags. */
#define NOTE_SHIFT 10u
#define NOTE_BITS 11u
#define FIELD(bits, name) (((bits) >> name##_SHIFT) & ((1u << name##_BITS) - 1u))

G_STATIC_ASSERT(MS_TRACE_N_KINDS <= (1 << KIND_BITS));
G_STATIC_ASSERT(SMALL_SHIFT + SMALL_BITS == 32);
G_STATIC_ASSERT(NOTE_SHIFT == EOL_SHIFT && NOTE_SHIFT + NOTE_BITS == SMALL_SHIFT);
G_STATIC_ASSERT(FORM_EVENT_SHORT < (1u << FORM_BITS));

/* A line's arrival or a segment's, as an offset from its time; ARRIVAL_NONE
 * stands for -1 (not known, or not yet). */
#define ARRIVAL_NONE 0x80000000u

/* The long and short slots begin alike (bits, context, a), so that the form
 * and an arrival are read and written the same way in both; a tiny slot
 * (below) keeps its arrival at the same place. */
typedef struct {
    guint32 bits;
    guint32 ctx;              /* a context's handle */
    guint32 a;
    guint32 time_lo, time_hi; /* two halves, so that a slot needs no 8-byte alignment */
    guint32 b, c, d, e;       /* by form, above */
} Slot;

typedef struct {
    guint32 bits;
    guint32 ctx;
    guint32 a;
    guint32 time_off;         /* from its chunk's base */
    guint32 b, c;
} ShortSlot;

/* The commonest records in 16 bytes: a line with no length of its own
 * (text only), a segment sent or received with no retransmission, no
 * detail and seq and ack under 2^16 (a connection's numbers start at 0),
 * and an event with no more than a note and a small count (a connection
 * opened, established or closed).  The head packs what the other slots
 * keep in bits and ctx: a tag saying which of those it is, the direction,
 * and the context as an offset from its chunk's ctx_base (every line and
 * segment of a chunk belongs to one of the few thousand contexts made
 * last); then for a line its ending and its (phase, note) pair, for a
 * segment its flags and its length, for an event its kind and its count.
 * Its arrival is at the same place as in the other slots; once set too far
 * from its time, the record moves beside the slots, `a` says ARRIVAL_WIDE
 * and d is its index there. */
typedef struct {
    guint32 head;
    guint32 time_off;         /* from its chunk's base */
    guint32 a;
    guint32 d;                /* line: text; segment: seq << 16 | ack; event: note */
} TinySlot;

enum { TAG_LINE, TAG_SENT, TAG_RECEIVED, TAG_EVENT };

#define TTAG_SHIFT 0u
#define TTAG_BITS 2u
#define TDIR_SHIFT 2u
#define TDIR_BITS 2u
#define TCTX_SHIFT 4u
#define TCTX_BITS 12u
/* line */
#define TEOL_SHIFT 16u
#define TEOL_BITS 3u
#define TANN_SHIFT 19u
#define TANN_BITS 13u
/* segment */
#define TFLAGS_SHIFT 16u
#define TFLAGS_BITS 5u
#define TLEN_SHIFT 21u
#define TLEN_BITS 11u
#define TSEQ_BITS 16u
/* event */
#define TKIND_SHIFT 16u
#define TKIND_BITS 5u
#define TCOUNT_SHIFT 21u
#define TCOUNT_BITS 11u

G_STATIC_ASSERT(TANN_SHIFT + TANN_BITS == 32 && TLEN_SHIFT + TLEN_BITS == 32 &&
                TCOUNT_SHIFT + TCOUNT_BITS == 32);
G_STATIC_ASSERT(TEOL_BITS == EOL_BITS && TKIND_BITS == KIND_BITS);

/* A context offset's room: a chunk's ctx_base lies this far behind the
 * contexts made when it opens, so that the newest CTX_AHEAD made while it
 * fills still fit. */
#define CTX_AHEAD 256u
#define CTX_BEHIND ((1u << TCTX_BITS) - CTX_AHEAD)

/* A tiny slot's arrival once the record is kept beside the slots. */
#define ARRIVAL_WIDE 0xffffffffu

G_STATIC_ASSERT(sizeof(Slot) == 36);
G_STATIC_ASSERT(sizeof(ShortSlot) == 24);
G_STATIC_ASSERT(sizeof(TinySlot) == 16);
G_STATIC_ASSERT(G_STRUCT_OFFSET(Slot, a) == G_STRUCT_OFFSET(ShortSlot, a));
G_STATIC_ASSERT(G_STRUCT_OFFSET(Slot, a) == G_STRUCT_OFFSET(TinySlot, a));

/* A line's phase and note, which go together: a few hundred pairs in a run. */
typedef struct {
    guint32 phase, note;
} Ann;

/* A protocol and the hosts from and to: what the contexts of all the
 * connections between two hosts share (a run has one for every ten or so
 * contexts). */
typedef struct {
    guint32 protocol, src, dst; /* string handles */
} Route;

/* What every line and segment of one direction of a connection repeats. */
typedef struct {
    guint32 conn;
    guint32 route;
    guint16 src_port, dst_port;
} Ctx;

/* How a line ended: the strings of FORM_LINE's eol codes, code 0 for NULL. */
static const char *const eols[] = { NULL, "\r\n", "\n", "\r", "" };
G_STATIC_ASSERT(G_N_ELEMENTS(eols) == 5 && G_N_ELEMENTS(eols) == MS_TRACE_EOL_OTHER);

#define CHUNK_BITS 8u
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define CHUNK_MASK (CHUNK_SIZE - 1u)
/* What a chunk can take: every slot long. */
#define CHUNK_MAX_BYTES (CHUNK_SIZE * sizeof(Slot))
/* The first chunks are allocated one by one, so that a lecture's run of a
 * few hundred records stays small; the rest come from slabs, one after
 * the other, each as long as its slots. */
#define SMALL_CHUNKS 64u
/* The slabs double from SLAB_MIN_BYTES to SLAB_BYTES.  The first
 * PLAIN_SLABS (3.75 MB in all) take ordinary pages, which the kernel
 * gives as records reach them, so that a run of a few thousand messages
 * holds no more than it wrote; the rest are SLAB_BYTES each, one huge page
 * apiece, which a run long enough to reach them fills all but the last of. */
#define SLAB_MIN_BYTES ((gsize) 256u << 10)
#define SLAB_BYTES ((gsize) 2u << 20)
#define PLAIN_SLABS 4u

/* Slot i of a chunk is tiny, short or long as its bits in `wider` (short or
 * long) and `longs` (long) say: it begins 16 bytes a slot before it, plus 8
 * for each of them wider and 12 more for each long. */
typedef struct {
    char *data;
    MsTime base;              /* the time of its first record */
    guint64 wider[CHUNK_SIZE / 64]; /* bit i: slot i is short or long */
    guint64 longs[CHUNK_SIZE / 64]; /* bit i: slot i is long */
    guint8 wider_before[CHUNK_SIZE / 64]; /* wider slots in the words before */
    guint8 longs_before[CHUNK_SIZE / 64]; /* long slots in the words before */
    guint32 ctx_base;         /* what a tiny slot's context is an offset from */
} Chunk;

/* The three sizes of slot. */
enum { SIZE_TINY, SIZE_SHORT, SIZE_LONG };

G_STATIC_ASSERT(CHUNK_SIZE - 64 <= G_MAXUINT8);
/* Pinned records come in blocks of this many. */
#define PIN_BLOCK 1024u

typedef struct {
    guint handle;
    MsTraceFn fn; /* NULL once unsubscribed while a dispatch was running */
    gpointer user_data;
} Subscriber;

/* Slots of the look-aside cache in front of the string pool. */
#define RECENT_SLOTS 256u

typedef struct {
    const char *given; /* the pointer a caller passed */
    guint32 handle;    /* its copy in the pool */
} Recent;

/* Where the newest records' slots are, so that setting an arrival, which
 * comes for most lines and segments soon after they were emitted, needs no
 * count of the wider slots before them: an entry is a record's id << 16,
 * its slot's offset in its chunk << 2 and its size; ids from 2^48 on (a
 * log of that many records could not be held) are not kept. */
#define RECENT_AT_SLOTS 2048u
#define RECENT_AT_MAX_ID ((guint64) 1 << 48)
G_STATIC_ASSERT(CHUNK_MAX_BYTES < (1u << 14));

/* Slots of the look-aside cache in front of the (phase, note) pairs. */
#define RECENT_ANN_SLOTS 64u

typedef struct {
    const char *phase, *note; /* the pointers a caller passed */
    guint32 ann;              /* their pair's handle + 1, 0: empty */
} RecentAnn;

#define CTX_MIN_SLOTS 256u
#define CTX_BLOCK_BITS 10u
#define CTX_BLOCK (1u << CTX_BLOCK_BITS)
#define CHUNK_BLOCK_BITS 8u
#define CHUNK_BLOCK (1u << CHUNK_BLOCK_BITS)

struct MsTrace {
    /* What every record's emit reads or writes comes first, in one or two
     * cache lines: the last chunk, the length, the contexts' count that
     * checks a caller's context, whether anybody listens, and the pool. */
    /* The last chunk, where records are appended: every emit and most
     * arrivals reach it, and the blocks never move. */
    Chunk *last_chunk;
    gsize fill;             /* bytes of the last chunk's slots */
    guint64 length;
    guint n_chunks;
    guint32 n_ctxs;
    /* Whether anybody subscribes: with nobody to show them to, records are
     * shown to nobody, and `dispatched` is brought up to date only when
     * somebody subscribes. */
    gboolean watched;
    gboolean dispatching;
    /* Where the program's image is mapped read-only: its string constants
     * (the engines' phase and note keys, protocol names) cannot change, so
     * a look-aside hit on an address there needs no comparison of the
     * contents. */
    uintptr_t const_start, const_len;
    /* The string pool (trace_pool.c).  A handle is where its copy is, its
     * block and its offset there, so that no table of where each string is
     * takes 8 bytes a string. */
    MsTracePool pool;
    /* The lines' (phase, note) pairs, and their index (handle + 1, 0: empty). */
    GArray *anns;           /* of Ann */
    guint32 *ann_slots;
    gsize n_ann_slots;

    /* The chunks, CHUNK_BLOCK to a block (an array grown by doubling would
     * leave up to half of itself unused): the first SMALL_CHUNKS' data
     * owned, the rest in slabs. */
    Chunk **chunk_blocks;
    GPtrArray *slabs;       /* owned, slab_bytes(i) each, mapped by slab_new */
    gsize slab_used;        /* bytes of the last slab before the last chunk */
    gsize slabs_held;       /* memory the slabs before the last hold */
    GArray *wide;           /* of MsTraceRecord, its strings pooled */

    /* The contexts, CTX_BLOCK to a block: an array grown by doubling would
     * leave up to half of itself unused, and a run makes one for each
     * direction of each connection. */
    Ctx **ctx_blocks;
    /* Their index: handles and the bits of their hashes that a place
     * leaves room for (index_high()); when it grows, the hashes are made
     * again from the contexts. */
    guint32 *ctx_slots;
    gsize n_ctx_slots;
    /* The contexts' routes, and their index (handle + 1, 0: empty). */
    GArray *routes;         /* of Route */
    guint32 *route_slots;
    gsize n_route_slots;

    /* Pinned records: for each chunk NULL or CHUNK_SIZE indexes (+ 1) into
     * the blocks of PIN_BLOCK records. */
    GPtrArray *pin_index;
    GPtrArray *pin_blocks;
    gsize n_pinned;

    GArray *subscribers;    /* of Subscriber, in registration order */
    guint next_handle;
    guint64 dispatched;     /* records already shown to the subscribers */
    gboolean has_removed;   /* subscribers marked NULL, to be dropped */

    /* Most strings a record carries come, record after record, from the
     * same few places (a host's name, a protocol's phase keys, the string
     * constants of the engines): remembered by their address, they skip
     * hashing; the contents are still compared, so an address reused for
     * other text is pooled afresh. */
    Recent recent[RECENT_SLOTS];
    /* A line's phase and note are constants of its protocol engine: the
     * pair is remembered by their two addresses, which saves finding each
     * string and then the pair (the contents are still compared, as for
     * every look-aside hit, unless they are the program's constants). */
    RecentAnn recent_anns[RECENT_ANN_SLOTS];
    guint64 recent_at[RECENT_AT_SLOTS];
};

static Chunk *chunk_at(const MsTrace *trace, guint n)
{
    return &trace->chunk_blocks[n >> CHUNK_BLOCK_BITS][n & (CHUNK_BLOCK - 1u)];
}

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

/* ---- The string pool ------------------------------------------------------ */

/* The text of handle h (NULL for 0). */
static inline const char *string_at(const MsTrace *trace, guint32 h)
{
    return ms_trace_pool_string(&trace->pool, h);
}

/* Whether s lies in the read-only part of the program's image. */
static inline gboolean is_constant(const MsTrace *trace, const char *s)
{
    return (uintptr_t) s - trace->const_start < trace->const_len;
}

/* The handle of the pool's copy of s, len bytes long, made on first sight. */
static inline guint32 pool_insert_len(MsTrace *trace, const char *s, gsize len)
{
    return ms_trace_pool_insert(&trace->pool, s, len);
}

/* The handle of the pool's copy of s, made on first sight. */
static guint32 pool_insert(MsTrace *trace, const char *s)
{
    return pool_insert_len(trace, s, strlen(s));
}

/* The pool's handle for s, which the look-aside slot did not know. */
G_GNUC_NO_INLINE static guint32 intern_slow(MsTrace *trace, Recent *slot, const char *s)
{
    guint32 handle = pool_insert(trace, s);
    slot->given = s;
    slot->handle = handle;
    return handle;
}

/* Every string of every record asks: the look-aside hit is kept small
 * enough to be inlined where it asks. */
static inline guint32 intern(MsTrace *trace, const char *s)
{
    if (s == NULL)
        return 0;
    Recent *slot = &trace->recent[(GPOINTER_TO_SIZE(s) >> 3) % RECENT_SLOTS];
    if (slot->given == s && (is_constant(trace, s) || strcmp(string_at(trace, slot->handle), s) == 0))
        return slot->handle;
    return intern_slow(trace, slot, s);
}

const char *ms_trace_intern(MsTrace *trace, const char *s)
{
    g_return_val_if_fail(trace != NULL, NULL);
    return string_at(trace, intern(trace, s));
}

/* ---- Contexts ------------------------------------------------------------- */

static guint32 route_hash(const Route *r)
{
    guint64 h = ((guint64) r->protocol << 32 | r->src) * 0x9e3779b97f4a7c15u;
    h = (h ^ r->dst) * 0xbf58476d1ce4e5b9u;
    return (guint32) (h ^ (h >> 32));
}

/* The route and context indexes are open addressing over n places (a
 * power of two), probed linearly.  A place holds handle + 1 (0: empty) in
 * its bits below n, which an index at most three quarters full leaves
 * room for, and above them the bits of the entry's hash that its home
 * place does not say: a probe reads the entry itself only when those
 * match, and a context made anew, which most lookups are, reads none of
 * those it passes (a run has tens of thousands of contexts, each 12 bytes
 * in a place of its own). */
static inline guint32 index_high(gsize n)
{
    return n > G_MAXUINT32 ? 0 : ~(guint32) (n - 1u);
}

/* The slots of such an index of n places over `count` entries: how the
 * route and context indexes grow. */
static guint32 *index_rebuild(const MsTrace *trace, gsize n, guint32 count,
                              guint32 (*hash_of)(const MsTrace *trace, guint32 h))
{
    guint32 *slots = g_new0(guint32, n);
    guint32 high = index_high(n);
    for (guint32 h = 0; h < count; h++) {
        guint32 hash = hash_of(trace, h);
        gsize k = hash & (n - 1);
        while (slots[k] != 0)
            k = (k + 1) & (n - 1);
        slots[k] = (hash & high) | (h + 1);
    }
    return slots;
}

static guint32 route_hash_at(const MsTrace *trace, guint32 h)
{
    return route_hash(&g_array_index(trace->routes, Route, h));
}

static void route_grow(MsTrace *trace)
{
    gsize n = trace->n_route_slots * 2;
    guint32 *slots = index_rebuild(trace, n, trace->routes->len, route_hash_at);
    g_free(trace->route_slots);
    trace->route_slots = slots;
    trace->n_route_slots = n;
}

static guint32 route_of(MsTrace *trace, const MsTraceRecord *r)
{
    Route route = { intern(trace, r->protocol), intern(trace, r->src), intern(trace, r->dst) };
    gsize mask = trace->n_route_slots - 1;
    guint32 high = index_high(trace->n_route_slots);
    guint32 hash = route_hash(&route);
    gsize k = hash & mask;
    for (; trace->route_slots[k] != 0; k = (k + 1) & mask) {
        guint32 v = trace->route_slots[k];
        if ((v & high) != (hash & high))
            continue;
        guint32 h = (v & ~high) - 1;
        const Route *o = &g_array_index(trace->routes, Route, h);
        if (o->protocol == route.protocol && o->src == route.src && o->dst == route.dst)
            return h;
    }
    guint32 h = trace->routes->len;
    g_array_append_val(trace->routes, route);
    trace->route_slots[k] = (hash & high) | (h + 1);
    if ((gsize) trace->routes->len * 4 > trace->n_route_slots * 3)
        route_grow(trace);
    return h;
}

static guint32 ctx_hash(const Ctx *c)
{
    guint64 h = ((guint64) c->conn << 32 | c->route) * 0x9e3779b97f4a7c15u;
    h = (h ^ ((guint64) c->src_port << 16 | c->dst_port)) * 0xbf58476d1ce4e5b9u;
    return (guint32) (h ^ (h >> 32));
}

static gboolean ctx_equal(const Ctx *a, const Ctx *b)
{
    return a->conn == b->conn && a->route == b->route && a->src_port == b->src_port &&
           a->dst_port == b->dst_port;
}

/* No context given: encode() finds the record's own. */
#define CTX_FIND G_MAXUINT32

static const Ctx *ctx_at(const MsTrace *trace, guint32 h)
{
    return &trace->ctx_blocks[h >> CTX_BLOCK_BITS][h & (CTX_BLOCK - 1u)];
}

static guint32 ctx_hash_at(const MsTrace *trace, guint32 h)
{
    return ctx_hash(ctx_at(trace, h));
}

static void ctx_grow(MsTrace *trace)
{
    gsize n = trace->n_ctx_slots * 2;
    guint32 *slots = index_rebuild(trace, n, trace->n_ctxs, ctx_hash_at);
    g_free(trace->ctx_slots);
    trace->ctx_slots = slots;
    trace->n_ctx_slots = n;
}

static guint32 ctx_of(MsTrace *trace, const MsTraceRecord *r)
{
    Ctx c = { r->conn, route_of(trace, r), r->src_port, r->dst_port };
    gsize mask = trace->n_ctx_slots - 1;
    guint32 high = index_high(trace->n_ctx_slots);
    guint32 hash = ctx_hash(&c);
    gsize k = hash & mask;
    for (; trace->ctx_slots[k] != 0; k = (k + 1) & mask) {
        guint32 v = trace->ctx_slots[k];
        if ((v & high) != (hash & high))
            continue;
        guint32 h = (v & ~high) - 1;
        if (ctx_equal(ctx_at(trace, h), &c))
            return h;
    }
    guint32 h = trace->n_ctxs;
    if (h == CTX_FIND)
        g_error("more than %u connection contexts in one trace", CTX_FIND - 1);
    if (h % CTX_BLOCK == 0) {
        gsize b = h / CTX_BLOCK;
        /* The table of blocks doubles: a pointer for 1,024 contexts. */
        if ((b & (b - 1)) == 0)
            trace->ctx_blocks = g_renew(Ctx *, trace->ctx_blocks, MAX(b * 2, 1));
        trace->ctx_blocks[b] = g_new(Ctx, CTX_BLOCK);
    }
    trace->ctx_blocks[h >> CTX_BLOCK_BITS][h & (CTX_BLOCK - 1u)] = c;
    trace->n_ctxs++;
    trace->ctx_slots[k] = (hash & high) | (h + 1);
    if ((gsize) trace->n_ctxs * 4 > trace->n_ctx_slots * 3)
        ctx_grow(trace);
    return h;
}

/* ---- Phase and note pairs ------------------------------------------------- */

static guint32 ann_hash(guint32 phase, guint32 note)
{
    guint64 h = ((guint64) phase << 32 | note) * 0x9e3779b97f4a7c15u;
    return (guint32) (h >> 32);
}

static void ann_grow(MsTrace *trace)
{
    gsize n = trace->n_ann_slots * 2;
    guint32 *slots = g_new0(guint32, n);
    for (guint i = 0; i < trace->anns->len; i++) {
        const Ann *a = &g_array_index(trace->anns, Ann, i);
        gsize k = ann_hash(a->phase, a->note) & (n - 1);
        while (slots[k] != 0)
            k = (k + 1) & (n - 1);
        slots[k] = i + 1;
    }
    g_free(trace->ann_slots);
    trace->ann_slots = slots;
    trace->n_ann_slots = n;
}

/* A new pair, at place k of the index. */
G_GNUC_NO_INLINE static guint32 ann_add(MsTrace *trace, gsize k, guint32 phase, guint32 note)
{
    guint32 h = trace->anns->len;
    Ann a = { phase, note };
    g_array_append_val(trace->anns, a);
    trace->ann_slots[k] = h + 1;
    if ((gsize) trace->anns->len * 4 > trace->n_ann_slots * 3)
        ann_grow(trace);
    return h;
}

/* Every line asks, and a few events: small enough to be inlined where
 * they ask. */
static inline guint32 ann_of(MsTrace *trace, guint32 phase, guint32 note)
{
    gsize mask = trace->n_ann_slots - 1;
    gsize k = ann_hash(phase, note) & mask;
    for (; trace->ann_slots[k] != 0; k = (k + 1) & mask) {
        guint32 h = trace->ann_slots[k] - 1;
        const Ann *a = &g_array_index(trace->anns, Ann, h);
        if (a->phase == phase && a->note == note)
            return h;
    }
    return ann_add(trace, k, phase, note);
}

/* Whether s, which a look-aside cache matched by its address, still reads
 * as handle h. */
static inline gboolean same_text(const MsTrace *trace, guint32 h, const char *s)
{
    return s == NULL || is_constant(trace, s) || strcmp(string_at(trace, h), s) == 0;
}

/* The pair of phase and note, found by their addresses when it can be. */
G_GNUC_NO_INLINE static guint32 ann_for_slow(MsTrace *trace, RecentAnn *slot, const char *phase,
                                             const char *note)
{
    if (slot->ann != 0 && slot->phase == phase && slot->note == note) {
        const Ann *a = &g_array_index(trace->anns, Ann, slot->ann - 1);
        if (same_text(trace, a->phase, phase) && same_text(trace, a->note, note))
            return slot->ann - 1;
    }
    guint32 ann = ann_of(trace, intern(trace, phase), intern(trace, note));
    slot->phase = phase;
    slot->note = note;
    slot->ann = ann + 1;
    return ann;
}

/* The same, without a call when the pair is remembered and both are the
 * program's constants (or NULL), as the engines' phase and note keys are:
 * nothing to compare. */
static inline guint32 ann_for(MsTrace *trace, const char *phase, const char *note)
{
    gsize k = ((GPOINTER_TO_SIZE(phase) >> 3) + (GPOINTER_TO_SIZE(note) >> 3) * 31u) % RECENT_ANN_SLOTS;
    RecentAnn *slot = &trace->recent_anns[k];
    if (slot->ann != 0 && slot->phase == phase && slot->note == note &&
        (phase == NULL || is_constant(trace, phase)) && (note == NULL || is_constant(trace, note)))
        return slot->ann - 1;
    return ann_for_slow(trace, slot, phase, note);
}

/* ---- Encoding and decoding ------------------------------------------------ */

/* Without a CPU flag that promises POPCNT, __builtin_popcountll is a call
 * into libgcc; a record's place is found with one count. */
static guint popcount64(guint64 x)
{
    x = x - ((x >> 1) & 0x5555555555555555u);
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (guint) ((x * 0x0101010101010101u) >> 56);
}

/* Slot id, of the size its chunk's bits say; *chunk_out is its chunk. */
static inline char *slot_at(const MsTrace *trace, guint64 id, const Chunk **chunk_out,
                            guint *size_out)
{
    const Chunk *c = chunk_at(trace, (guint) (id >> CHUNK_BITS));
    guint i = (guint) (id & CHUNK_MASK);
    guint w = i / 64u;
    guint64 below = ((guint64) 1 << (i % 64u)) - 1u;
    guint wider = c->wider_before[w] + popcount64(c->wider[w] & below);
    /* Long slots are rare (a store change, an odd record): most words have
     * none before the slot, and need no count. */
    guint64 longs_below = c->longs[w] & below;
    guint longs = c->longs_before[w] + (longs_below != 0 ? popcount64(longs_below) : 0);
    *chunk_out = c;
    *size_out = (guint) ((c->wider[w] >> (i % 64u)) & 1u) + (guint) ((c->longs[w] >> (i % 64u)) & 1u);
    return c->data + (gsize) i * sizeof(TinySlot) +
           (gsize) wider * (sizeof(ShortSlot) - sizeof(TinySlot)) +
           (gsize) longs * (sizeof(Slot) - sizeof(ShortSlot));
}

/* Marks slot i of c as short or long, for the slots after it to be found. */
static void mark_size(Chunk *c, guint i, guint size)
{
    guint64 bit = (guint64) 1 << (i % 64u);
    c->wider[i / 64u] |= bit;
    for (guint w = i / 64u + 1; w < G_N_ELEMENTS(c->wider_before); w++)
        c->wider_before[w]++;
    if (size == SIZE_LONG) {
        c->longs[i / 64u] |= bit;
        for (guint w = i / 64u + 1; w < G_N_ELEMENTS(c->longs_before); w++)
            c->longs_before[w]++;
    }
}

static gboolean arrival_encode(MsTime time, MsTime arrival, guint32 *out)
{
    if (arrival == -1) {
        *out = ARRIVAL_NONE;
        return TRUE;
    }
    if (arrival < time || arrival - time >= (MsTime) ARRIVAL_NONE)
        return FALSE;
    *out = (guint32) (arrival - time);
    return TRUE;
}

static MsTime arrival_decode(MsTime time, guint32 a)
{
    return a == ARRIVAL_NONE ? -1 : time + (MsTime) a;
}

/* The code of eols[] that eol reads as, or G_N_ELEMENTS(eols): from its
 * octets, as every line of a run asks (trace.h, whose codes are the
 * places in eols[]). */
static inline guint eol_code(const char *eol)
{
    return ms_trace_eol_code(eol);
}

/* The form that holds r whole, or FORM_WIDE; eol is the code of a line's
 * ending. */
static guint form_of(const MsTraceRecord *r, guint eol)
{
    switch (r->kind) {
    case MS_TRACE_LINE:
        if (r->count == 0 && r->seq == 0 && r->ack == 0 && r->subject == NULL &&
            r->detail == NULL && r->retransmit == 0 && r->flags == 0 &&
            eol < G_N_ELEMENTS(eols))
            return FORM_LINE;
        break;
    case MS_TRACE_SEGMENT_SENT:
    case MS_TRACE_SEGMENT_RECEIVED:
    case MS_TRACE_SEGMENT_LOST:
        if (r->count == 0 && r->text == NULL && r->eol == NULL && r->phase == NULL &&
            r->note == NULL && r->subject == NULL && r->retransmit <= SMALL_MAX)
            return FORM_SEGMENT;
        break;
    case MS_TRACE_STORE:
        if (r->arrival == -1 && r->detail == NULL && r->phase == NULL && r->ack == 0 &&
            r->len == 0 && r->retransmit == 0 && r->count >= 0 && r->count <= SMALL_MAX)
            return FORM_STORE;
        break;
    default:
        if (r->arrival == -1 && r->eol == NULL && r->phase == NULL && r->seq == 0 &&
            r->ack == 0 && r->len == 0 && r->retransmit == 0 && r->count >= G_MININT32 &&
            r->count <= G_MAXINT32)
            return FORM_EVENT;
        break;
    }
    return FORM_WIDE;
}

/* The short form that holds r whole, or FORM_WIDE: base is its chunk's. */
static guint short_form_of(const MsTraceRecord *r, guint form, MsTime base)
{
    if (r->time < base || r->time - base > (MsTime) G_MAXUINT32 || r->len > SMALL_MAX)
        return FORM_WIDE;
    if (form == FORM_LINE)
        return FORM_LINE_SHORT;
    if (form == FORM_SEGMENT && r->retransmit == 0 && r->detail == NULL)
        return FORM_SEGMENT_SHORT;
    if (form == FORM_EVENT && r->flags == 0 && r->count >= 0 && r->count <= SMALL_MAX)
        return FORM_EVENT_SHORT;
    return FORM_WIDE;
}

/* Writes a tiny slot's four words at `at`. */
static inline void tiny_store(char *at, guint32 head, guint32 time_off, guint32 arrival,
                              guint32 d)
{
    TinySlot *t = (TinySlot *) at;
    t->head = head;
    t->time_off = time_off;
    t->a = arrival;
    t->d = d;
}

/* Writes r into a tiny slot at `at` if one holds it (sform is the short
 * form that holds it; ctx its context, ann its pair and eol the code of its
 * ending for a line): TRUE if it did. */
static gboolean encode_tiny(MsTrace *trace, char *at, const Chunk *chunk, guint32 ctx,
                            guint32 ann, guint eol, const MsTraceRecord *r, guint sform,
                            guint32 arrival)
{
    /* (A context before ctx_base wraps to a large offset.) */
    guint32 off = ctx - chunk->ctx_base;
    if (off >= (1u << TCTX_BITS))
        return FALSE;
    guint32 head = (guint32) r->dir << TDIR_SHIFT | off << TCTX_SHIFT;
    guint32 d;
    if (sform == FORM_LINE_SHORT) {
        if (r->len != 0 || ann >= (1u << TANN_BITS))
            return FALSE;
        head |= TAG_LINE | eol << TEOL_SHIFT | ann << TANN_SHIFT;
        d = r->text != NULL ? pool_insert(trace, r->text) : 0;
    } else if (sform == FORM_SEGMENT_SHORT) {
        if ((r->kind != MS_TRACE_SEGMENT_SENT && r->kind != MS_TRACE_SEGMENT_RECEIVED) ||
            r->flags >= (1u << TFLAGS_BITS) || r->seq >= (1u << TSEQ_BITS) ||
            r->ack >= (1u << TSEQ_BITS))
            return FALSE;
        head |= (r->kind == MS_TRACE_SEGMENT_SENT ? TAG_SENT : TAG_RECEIVED) |
                (guint32) r->flags << TFLAGS_SHIFT | r->len << TLEN_SHIFT;
        d = r->seq << TSEQ_BITS | r->ack;
    } else {
        /* FORM_EVENT_SHORT: the count fits, there are no flags. */
        if (r->subject != NULL || r->detail != NULL || r->text != NULL)
            return FALSE;
        head |= TAG_EVENT | (guint32) r->kind << TKIND_SHIFT | (guint32) r->count << TCOUNT_SHIFT;
        d = intern(trace, r->note);
    }
    tiny_store(at, head, (guint32) (r->time - chunk->base), arrival, d);
    return TRUE;
}

/* The commonest records, emitted in a context already known: a line with
 * no length of its own, a segment sent or received with no retransmission
 * and small numbers.  Their fields are checked against what a tiny slot
 * holds in one pass, not form by form; TRUE if r was written at `at` (the
 * general path below would write the same slot, only slower). */
static inline gboolean encode_tiny_fast(MsTrace *trace, char *at, const Chunk *chunk,
                                        guint32 ctx, const MsTraceRecord *r)
{
    guint32 off = ctx - chunk->ctx_base;
    guint32 arrival;
    if (off >= (1u << TCTX_BITS) || r->time < chunk->base ||
        r->time - chunk->base > (MsTime) G_MAXUINT32 || r->count != 0 || r->retransmit != 0 ||
        r->subject != NULL || r->detail != NULL || !arrival_encode(r->time, r->arrival, &arrival))
        return FALSE;
    guint32 head = (guint32) r->dir << TDIR_SHIFT | off << TCTX_SHIFT;
    guint32 d;
    if (r->kind == MS_TRACE_LINE) {
        guint eol = eol_code(r->eol);
        if (r->len != 0 || r->seq != 0 || r->ack != 0 || r->flags != 0 || eol >= G_N_ELEMENTS(eols))
            return FALSE;
        guint32 ann = ann_for(trace, r->phase, r->note);
        if (ann >= (1u << TANN_BITS))
            return FALSE;
        head |= TAG_LINE | eol << TEOL_SHIFT | ann << TANN_SHIFT;
        d = r->text != NULL ? pool_insert(trace, r->text) : 0;
    } else if (r->kind == MS_TRACE_SEGMENT_SENT || r->kind == MS_TRACE_SEGMENT_RECEIVED) {
        if (r->text != NULL || r->eol != NULL || r->phase != NULL || r->note != NULL ||
            r->len >= (1u << TLEN_BITS) || r->flags >= (1u << TFLAGS_BITS) ||
            r->seq >= (1u << TSEQ_BITS) || r->ack >= (1u << TSEQ_BITS))
            return FALSE;
        head |= (r->kind == MS_TRACE_SEGMENT_SENT ? TAG_SENT : TAG_RECEIVED) |
                (guint32) r->flags << TFLAGS_SHIFT | r->len << TLEN_SHIFT;
        d = r->seq << TSEQ_BITS | r->ack;
    } else {
        return FALSE;
    }
    tiny_store(at, head, (guint32) (r->time - chunk->base), arrival, d);
    return TRUE;
}

/* Writes r as record id (the next one) into its chunk, or beside the slots
 * when no form holds it; returns the bytes its slot took.  ctx is r's
 * context, or CTX_FIND. */
static gsize encode(MsTrace *trace, guint64 id, guint32 ctx, const MsTraceRecord *r)
{
    Chunk *chunk = trace->last_chunk;
    guint i = (guint) (id & CHUNK_MASK);
    char *at = chunk->data + trace->fill;
    if (ctx != CTX_FIND && encode_tiny_fast(trace, at, chunk, ctx, r))
        return sizeof(TinySlot);
    /* A line's ending, read once for the form and the slot. */
    guint eol = r->kind == MS_TRACE_LINE ? eol_code(r->eol) : 0;
    guint form = form_of(r, eol);
    guint32 arrival = ARRIVAL_NONE; /* an event's, in a tiny slot */
    if ((form == FORM_LINE || form == FORM_SEGMENT) && !arrival_encode(r->time, r->arrival, &arrival))
        form = FORM_WIDE;
    guint32 kind_dir = (guint32) r->kind << KIND_SHIFT | (guint32) r->dir << DIR_SHIFT |
                       (guint32) r->flags << FLAGS_SHIFT;

    guint sform = form == FORM_WIDE ? FORM_WIDE : short_form_of(r, form, chunk->base);
    guint32 ann = 0;
    if (sform != FORM_WIDE) {
        if (ctx == CTX_FIND)
            ctx = ctx_of(trace, r);
        if (sform == FORM_LINE_SHORT)
            ann = ann_for(trace, r->phase, r->note);
        if (encode_tiny(trace, at, chunk, ctx, ann, eol, r, sform, arrival))
            return sizeof(TinySlot);
        if (sform == FORM_EVENT_SHORT) {
            ann = ann_of(trace, 0, intern(trace, r->note));
            if (ann >= (1u << NOTE_BITS))
                sform = FORM_WIDE;
        }
    }
    if (sform != FORM_WIDE) {
        mark_size(chunk, i, SIZE_SHORT);
        ShortSlot *s = (ShortSlot *) at;
        s->bits = kind_dir | sform << FORM_SHIFT | (guint32) r->len << SMALL_SHIFT;
        s->ctx = ctx;
        s->a = arrival;
        s->time_off = (guint32) (r->time - chunk->base);
        if (sform == FORM_LINE_SHORT) {
            s->bits |= eol << EOL_SHIFT;
            s->b = intern(trace, r->text);
            s->c = ann;
        } else if (sform == FORM_SEGMENT_SHORT) {
            s->b = r->seq;
            s->c = r->ack;
        } else {
            /* An event has no length: its count takes the spare bits. */
            s->bits |= ann << NOTE_SHIFT | (guint32) r->count << SMALL_SHIFT;
            s->a = intern(trace, r->subject);
            s->b = intern(trace, r->detail);
            s->c = intern(trace, r->text);
        }
        return sizeof *s;
    }

    mark_size(chunk, i, SIZE_LONG);
    Slot *s = (Slot *) at;
    guint small = form == FORM_SEGMENT ? r->retransmit : form == FORM_STORE ? (guint) r->count : 0;
    s->time_lo = (guint32) (guint64) r->time;
    s->time_hi = (guint32) ((guint64) r->time >> 32);
    s->bits = kind_dir | form << FORM_SHIFT | small << SMALL_SHIFT;
    if (form == FORM_WIDE) {
        MsTraceRecord w = *r;
        if (ctx != CTX_FIND) {
            const Ctx *c = ctx_at(trace, ctx);
            w.conn = c->conn;
            const Route *route = &g_array_index(trace->routes, Route, c->route);
            w.protocol = string_at(trace, route->protocol);
            w.src = string_at(trace, route->src);
            w.dst = string_at(trace, route->dst);
            w.src_port = c->src_port;
            w.dst_port = c->dst_port;
        }
        w.protocol = ms_trace_intern(trace, w.protocol);
        w.src = ms_trace_intern(trace, w.src);
        w.dst = ms_trace_intern(trace, w.dst);
        w.text = ms_trace_intern(trace, r->text);
        w.eol = ms_trace_intern(trace, r->eol);
        w.phase = ms_trace_intern(trace, r->phase);
        w.note = ms_trace_intern(trace, r->note);
        w.subject = ms_trace_intern(trace, r->subject);
        w.detail = ms_trace_intern(trace, r->detail);
        s->ctx = 0;
        s->a = trace->wide->len;
        s->b = s->c = s->d = s->e = 0;
        g_array_append_val(trace->wide, w);
        return sizeof *s;
    }
    s->ctx = ctx != CTX_FIND ? ctx : ctx_of(trace, r);
    switch (form) {
    case FORM_LINE:
        s->bits |= eol << EOL_SHIFT;
        s->a = arrival;
        s->b = intern(trace, r->text);
        s->c = intern(trace, r->phase);
        s->d = intern(trace, r->note);
        s->e = r->len;
        break;
    case FORM_SEGMENT:
        s->a = arrival;
        s->b = r->seq;
        s->c = r->ack;
        s->d = r->len;
        s->e = intern(trace, r->detail);
        break;
    case FORM_EVENT:
        s->a = intern(trace, r->note);
        s->b = intern(trace, r->subject);
        s->c = intern(trace, r->detail);
        s->d = intern(trace, r->text);
        s->e = (guint32) (gint32) r->count;
        break;
    default: /* FORM_STORE */
        s->a = intern(trace, r->note);
        s->b = intern(trace, r->subject);
        s->c = intern(trace, r->folder);
        s->d = intern(trace, r->text);
        s->e = r->uid;
        break;
    }
    return sizeof *s;
}

#define TFIELD(head, name) (((head) >> T##name##_SHIFT) & ((1u << T##name##_BITS) - 1u))

/* The fields every line and segment takes from its context. */
static inline void decode_ctx(const MsTrace *trace, guint32 ctx, MsTraceRecord *r)
{
    const Ctx *c = ctx_at(trace, ctx);
    const Route *route = &g_array_index(trace->routes, Route, c->route);
    r->protocol = string_at(trace, route->protocol);
    r->src = string_at(trace, route->src);
    r->dst = string_at(trace, route->dst);
    r->conn = c->conn;
    r->src_port = c->src_port;
    r->dst_port = c->dst_port;
}

static void decode_tiny(const MsTrace *trace, const Chunk *chunk, const TinySlot *t, guint64 id,
                        MsTraceRecord *r)
{
    if (t->a == ARRIVAL_WIDE) {
        *r = g_array_index(trace->wide, MsTraceRecord, t->d);
        r->id = id;
        return;
    }
    guint32 head = t->head;
    MsTime time = chunk->base + (MsTime) t->time_off;
    *r = (MsTraceRecord) {
        .id = id,
        .time = time,
        .arrival = arrival_decode(time, t->a),
        .dir = (MsDir) TFIELD(head, DIR),
    };
    decode_ctx(trace, chunk->ctx_base + TFIELD(head, CTX), r);
    switch (TFIELD(head, TAG)) {
    case TAG_LINE: {
        const Ann *a = &g_array_index(trace->anns, Ann, TFIELD(head, ANN));
        r->kind = MS_TRACE_LINE;
        r->text = string_at(trace, t->d);
        r->phase = string_at(trace, a->phase);
        r->note = string_at(trace, a->note);
        r->eol = eols[TFIELD(head, EOL)];
        break;
    }
    case TAG_SENT:
    case TAG_RECEIVED:
        r->kind = TFIELD(head, TAG) == TAG_SENT ? MS_TRACE_SEGMENT_SENT : MS_TRACE_SEGMENT_RECEIVED;
        r->flags = (guint8) TFIELD(head, FLAGS);
        r->len = TFIELD(head, LEN);
        r->seq = t->d >> TSEQ_BITS;
        r->ack = t->d & ((1u << TSEQ_BITS) - 1u);
        break;
    default: /* TAG_EVENT */
        r->kind = (MsTraceKind) TFIELD(head, KIND);
        r->count = TFIELD(head, COUNT);
        r->note = string_at(trace, t->d);
        break;
    }
}

static void decode(const MsTrace *trace, guint64 id, MsTraceRecord *r)
{
    const Chunk *chunk;
    guint size;
    const char *at = slot_at(trace, id, &chunk, &size);
    if (size == SIZE_TINY) {
        decode_tiny(trace, chunk, (const TinySlot *) at, id, r);
        return;
    }
    const Slot *s = (const Slot *) at;
    guint form = FIELD(s->bits, FORM);
    if (form == FORM_WIDE) {
        *r = g_array_index(trace->wide, MsTraceRecord, s->a);
        r->id = id;
        return;
    }
    const ShortSlot *ss = (const ShortSlot *) at;
    MsTime time = size == SIZE_LONG ? (MsTime) ((guint64) s->time_hi << 32 | s->time_lo)
                                    : chunk->base + (MsTime) ss->time_off;
    *r = (MsTraceRecord) {
        .id = id,
        .time = time,
        .arrival = -1,
        .flags = (guint8) FIELD(s->bits, FLAGS),
        .kind = (MsTraceKind) FIELD(s->bits, KIND),
        .dir = (MsDir) FIELD(s->bits, DIR),
    };
    decode_ctx(trace, s->ctx, r);
    switch (form) {
    case FORM_LINE_SHORT: {
        const Ann *a = &g_array_index(trace->anns, Ann, ss->c);
        r->arrival = arrival_decode(time, ss->a);
        r->text = string_at(trace, ss->b);
        r->phase = string_at(trace, a->phase);
        r->note = string_at(trace, a->note);
        r->len = FIELD(ss->bits, SMALL);
        r->eol = eols[FIELD(ss->bits, EOL)];
        break;
    }
    case FORM_SEGMENT_SHORT:
        r->arrival = arrival_decode(time, ss->a);
        r->seq = ss->b;
        r->ack = ss->c;
        r->len = FIELD(ss->bits, SMALL);
        break;
    case FORM_EVENT_SHORT: {
        const Ann *a = &g_array_index(trace->anns, Ann, FIELD(ss->bits, NOTE));
        r->note = string_at(trace, a->note);
        r->subject = string_at(trace, ss->a);
        r->detail = string_at(trace, ss->b);
        r->text = string_at(trace, ss->c);
        r->count = FIELD(ss->bits, SMALL);
        r->flags = 0; /* its bits hold the note */
        break;
    }
    case FORM_LINE:
        r->arrival = arrival_decode(time, s->a);
        r->text = string_at(trace, s->b);
        r->phase = string_at(trace, s->c);
        r->note = string_at(trace, s->d);
        r->len = s->e;
        r->eol = eols[FIELD(s->bits, EOL)];
        break;
    case FORM_SEGMENT:
        r->arrival = arrival_decode(time, s->a);
        r->seq = s->b;
        r->ack = s->c;
        r->len = s->d;
        r->detail = string_at(trace, s->e);
        r->retransmit = (guint16) FIELD(s->bits, SMALL);
        break;
    case FORM_EVENT:
        r->note = string_at(trace, s->a);
        r->subject = string_at(trace, s->b);
        r->detail = string_at(trace, s->c);
        r->text = string_at(trace, s->d);
        r->count = (gint32) s->e;
        break;
    default: /* FORM_STORE */
        r->note = string_at(trace, s->a);
        r->subject = string_at(trace, s->b);
        r->folder = string_at(trace, s->c);
        r->text = string_at(trace, s->d);
        r->uid = s->e;
        r->count = FIELD(s->bits, SMALL);
        break;
    }
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
        decode(trace, id, &record);
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
    gsize bytes = encode(trace, id, ctx, record);
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

MsTraceAnn ms_trace_annotation(MsTrace *trace, const char *phase, const char *note)
{
    g_return_val_if_fail(trace != NULL, 0);
    return ann_for(trace, phase, note);
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
    r.eol = eols[eol];
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
    g_return_val_if_fail(eol < G_N_ELEMENTS(eols), 0);
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

/* Nearly every line is logged in a chunk already begun, with nothing to
 * warn of, its context and pair in a tiny slot's reach: that case writes
 * its slot straight away (what encode_tiny_fast() would write, with
 * nothing left to check or to measure) and then pools its text, so that
 * little needs keeping across the pool's call; every other goes to
 * emit_line_slow(). */
guint64 ms_trace_emit_line(MsTrace *trace, MsTraceContext ctx, MsTime time, MsDir dir,
                           const char *text, gsize text_len, MsTraceAnn ann, guint eol)
{
    if (G_UNLIKELY(trace == NULL || ctx >= trace->n_ctxs || (trace->length & CHUNK_MASK) == 0 ||
                   ann >= trace->anns->len || ann >= (1u << TANN_BITS) ||
                   eol >= G_N_ELEMENTS(eols)))
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

guint64 ms_trace_emit(MsTrace *trace, const MsTraceRecord *record)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(record != NULL, 0);
    g_return_val_if_fail((guint) record->kind < MS_TRACE_N_KINDS, 0);
    return emit(trace, CTX_FIND, record);
}

MsTraceContext ms_trace_context(MsTrace *trace, const MsTraceRecord *record)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(record != NULL, 0);
    return ctx_of(trace, record);
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
        decode(trace, id, &r);
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
    decode(trace, id, buf);
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
    decode(trace, id, pin);
    index[id & CHUNK_MASK] = (guint32) (k + 1);
    return pin;
}
