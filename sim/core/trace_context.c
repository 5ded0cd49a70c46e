/* trace_context.c - what the trace's records share, found once: the
 * look-aside of strings by their addresses in front of the pool, the
 * contexts of connections and their routes, and the lines' (phase, note)
 * pairs.
 */
#include "core/trace-store.h"

/* ---- Strings -------------------------------------------------------------- */

/* The pool's handle for s, which the look-aside slot did not know. */
G_GNUC_NO_INLINE guint32 ms_trace_intern_slow(MsTrace *trace, Recent *slot, const char *s)
{
    guint32 handle = pool_insert(trace, s);
    slot->given = s;
    slot->handle = handle;
    return handle;
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

guint32 ms_trace_ctx_of(MsTrace *trace, const MsTraceRecord *r)
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

MsTraceContext ms_trace_context(MsTrace *trace, const MsTraceRecord *record)
{
    g_return_val_if_fail(trace != NULL, 0);
    g_return_val_if_fail(record != NULL, 0);
    return ms_trace_ctx_of(trace, record);
}

/* ---- Phase and note pairs ------------------------------------------------- */

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
G_GNUC_NO_INLINE guint32 ms_trace_ann_add(MsTrace *trace, gsize k, guint32 phase, guint32 note)
{
    guint32 h = trace->anns->len;
    Ann a = { phase, note };
    g_array_append_val(trace->anns, a);
    trace->ann_slots[k] = h + 1;
    if ((gsize) trace->anns->len * 4 > trace->n_ann_slots * 3)
        ann_grow(trace);
    return h;
}

/* The pair of phase and note, found by their addresses when it can be. */
G_GNUC_NO_INLINE guint32 ms_trace_ann_for_slow(MsTrace *trace, RecentAnn *slot, const char *phase,
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

MsTraceAnn ms_trace_annotation(MsTrace *trace, const char *phase, const char *note)
{
    g_return_val_if_fail(trace != NULL, 0);
    return ann_for(trace, phase, note);
}
