/* trace-store.h - what the trace's log (trace.c), its stored form
 * (trace_store.c) and its contexts and string look-asides
 * (trace_context.c) share: how a record is stored, the chunks, the trace
 * itself, and the small helpers that every record's path inlines.
 */
#pragma once

#include "mailsim/trace.h"
#include "core/trace-private.h"

#include <stdint.h>
#include <string.h>

G_BEGIN_DECLS

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

/* How a line ended: the strings of FORM_LINE's eol codes, code 0 for NULL
 * (trace_store.c). */
extern const char *const ms_trace_eols[MS_TRACE_EOL_OTHER];

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

/* Slots of the look-aside cache in front of the string pool: a run has
 * hundreds of messages under way, each with its names kept in a few
 * places, and with fewer slots their addresses took each other's places
 * (2,048 slots of 16 bytes, 32 KiB a trace, whatever its size). */
#define RECENT_SLOTS 2048u

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

/* Slots of the look-aside cache in front of the (phase, note) pairs: with
 * 64, the pairs of addresses a campus's engines ask for took each other's
 * slots and one lookup in twelve missed; with 256 (24 bytes each, 6 KiB a
 * trace), one in 250. */
#define RECENT_ANN_SLOTS 256u

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

/* No context given: ms_trace_encode() finds the record's own. */
#define CTX_FIND G_MAXUINT32
static inline Chunk *chunk_at(const MsTrace *trace, guint n)
{
    return &trace->chunk_blocks[n >> CHUNK_BLOCK_BITS][n & (CHUNK_BLOCK - 1u)];
}

/* ---- Strings ------------------------------------------------------------ */

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
static inline guint32 pool_insert(MsTrace *trace, const char *s)
{
    return pool_insert_len(trace, s, strlen(s));
}

/* The pool's handle for s, which the look-aside slot did not know
 * (trace_context.c). */
guint32 ms_trace_intern_slow(MsTrace *trace, Recent *slot, const char *s);

/* Every string of every record asks: the look-aside hit is kept small
 * enough to be inlined where it asks. */
static inline guint32 intern(MsTrace *trace, const char *s)
{
    if (s == NULL)
        return 0;
    Recent *slot = &trace->recent[(GPOINTER_TO_SIZE(s) >> 3) % RECENT_SLOTS];
    if (slot->given == s && (is_constant(trace, s) || strcmp(string_at(trace, slot->handle), s) == 0))
        return slot->handle;
    return ms_trace_intern_slow(trace, slot, s);
}

/* ---- Contexts and (phase, note) pairs (trace_context.c) ----------------- */

static inline const Ctx *ctx_at(const MsTrace *trace, guint32 h)
{
    return &trace->ctx_blocks[h >> CTX_BLOCK_BITS][h & (CTX_BLOCK - 1u)];
}

/* The context of r's connection, protocol, hosts and ports, made on first
 * sight. */
guint32 ms_trace_ctx_of(MsTrace *trace, const MsTraceRecord *r);

static inline guint32 ann_hash(guint32 phase, guint32 note)
{
    guint64 h = ((guint64) phase << 32 | note) * 0x9e3779b97f4a7c15u;
    return (guint32) (h >> 32);
}

/* A new pair, at place k of the index. */
guint32 ms_trace_ann_add(MsTrace *trace, gsize k, guint32 phase, guint32 note);

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
    return ms_trace_ann_add(trace, k, phase, note);
}

/* Whether s, which a look-aside cache matched by its address, still reads
 * as handle h. */
static inline gboolean same_text(const MsTrace *trace, guint32 h, const char *s)
{
    return s == NULL || is_constant(trace, s) || strcmp(string_at(trace, h), s) == 0;
}

/* The pair of phase and note, found by their addresses when it can be. */
guint32 ms_trace_ann_for_slow(MsTrace *trace, RecentAnn *slot, const char *phase, const char *note);

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
    return ms_trace_ann_for_slow(trace, slot, phase, note);
}

/* ---- Slots (trace_store.c) ----------------------------------------------- */

/* Without a CPU flag that promises POPCNT, __builtin_popcountll is a call
 * into libgcc; a record's place is found with one count. */
static inline guint popcount64(guint64 x)
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

static inline gboolean arrival_encode(MsTime time, MsTime arrival, guint32 *out)
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

static inline MsTime arrival_decode(MsTime time, guint32 a)
{
    return a == ARRIVAL_NONE ? -1 : time + (MsTime) a;
}

/* The code of ms_trace_eols[] that eol reads as, or G_N_ELEMENTS(ms_trace_eols): from its
 * octets, as every line of a run asks (trace.h, whose codes are the
 * places in ms_trace_eols[]). */
static inline guint eol_code(const char *eol)
{
    return ms_trace_eol_code(eol);
}

/* Marks slot i of c as short or long, for the slots after it to be found. */
static inline void mark_size(Chunk *c, guint i, guint size)
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

#define TFIELD(head, name) (((head) >> T##name##_SHIFT) & ((1u << T##name##_BITS) - 1u))

/* Writes r as record id (the next one) into its chunk, or beside the slots
 * when no form holds it; returns the bytes its slot took.  ctx is r's
 * context, or CTX_FIND. */
gsize ms_trace_encode(MsTrace *trace, guint64 id, guint32 ctx, const MsTraceRecord *r);
/* Decodes record id into *r. */
void ms_trace_decode(const MsTrace *trace, guint64 id, MsTraceRecord *r);

G_END_DECLS
