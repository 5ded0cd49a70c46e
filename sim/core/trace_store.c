/* trace_store.c - a record's stored form: how a record is written into
 * the smallest slot that holds it whole (or beside the slots), and read
 * back into the MsTraceRecord readers see.  The layouts are in
 * trace-store.h.
 */
#include "core/trace-store.h"

const char *const ms_trace_eols[MS_TRACE_EOL_OTHER] = { NULL, "\r\n", "\n", "\r", "" };
G_STATIC_ASSERT(MS_TRACE_EOL_OTHER == 5);

/* ---- Encoding and decoding ------------------------------------------------ */

/* The form that holds r whole, or FORM_WIDE; eol is the code of a line's
 * ending. */
static guint form_of(const MsTraceRecord *r, guint eol)
{
    switch (r->kind) {
    case MS_TRACE_LINE:
        if (r->count == 0 && r->seq == 0 && r->ack == 0 && r->subject == NULL &&
            r->detail == NULL && r->retransmit == 0 && r->flags == 0 &&
            eol < G_N_ELEMENTS(ms_trace_eols))
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
 * and small numbers, an event with nothing but a note and a small count.  Their fields are checked against what a tiny slot
 * holds in one pass, not form by form; TRUE if r was written at `at` (the
 * general path below would write the same slot, only slower). */
static inline gboolean encode_tiny_fast(MsTrace *trace, char *at, const Chunk *chunk,
                                        guint32 ctx, const MsTraceRecord *r)
{
    guint32 off = ctx - chunk->ctx_base;
    guint32 arrival;
    if (off >= (1u << TCTX_BITS) || r->time < chunk->base ||
        r->time - chunk->base > (MsTime) G_MAXUINT32 || r->retransmit != 0 ||
        r->subject != NULL || r->detail != NULL || !arrival_encode(r->time, r->arrival, &arrival))
        return FALSE;
    guint32 head = (guint32) r->dir << TDIR_SHIFT | off << TCTX_SHIFT;
    guint32 d;
    if (r->kind != MS_TRACE_LINE && r->kind != MS_TRACE_SEGMENT_SENT &&
        r->kind != MS_TRACE_SEGMENT_RECEIVED && r->kind != MS_TRACE_SEGMENT_LOST &&
        r->kind != MS_TRACE_STORE) {
        /* An event with no more than a note and a small count: a
         * connection's opening, establishment and close. */
        if (r->arrival != -1 || r->text != NULL || r->eol != NULL || r->phase != NULL ||
            r->seq != 0 || r->ack != 0 || r->len != 0 || r->flags != 0 || r->count < 0 ||
            r->count > SMALL_MAX)
            return FALSE;
        head |= TAG_EVENT | (guint32) r->kind << TKIND_SHIFT | (guint32) r->count << TCOUNT_SHIFT;
        d = intern(trace, r->note);
        tiny_store(at, head, (guint32) (r->time - chunk->base), arrival, d);
        return TRUE;
    }
    if (r->count != 0)
        return FALSE;
    if (r->kind == MS_TRACE_LINE) {
        guint eol = eol_code(r->eol);
        if (r->len != 0 || r->seq != 0 || r->ack != 0 || r->flags != 0 || eol >= G_N_ELEMENTS(ms_trace_eols))
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
gsize ms_trace_encode(MsTrace *trace, guint64 id, guint32 ctx, const MsTraceRecord *r)
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
            ctx = ms_trace_ctx_of(trace, r);
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
    s->ctx = ctx != CTX_FIND ? ctx : ms_trace_ctx_of(trace, r);
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
        r->eol = ms_trace_eols[TFIELD(head, EOL)];
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

void ms_trace_decode(const MsTrace *trace, guint64 id, MsTraceRecord *r)
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
        r->eol = ms_trace_eols[FIELD(ss->bits, EOL)];
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
        r->eol = ms_trace_eols[FIELD(s->bits, EOL)];
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

