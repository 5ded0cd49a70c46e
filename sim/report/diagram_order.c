/* diagram_order.c - which side of a server each of its clients goes on,
 * so that sessions that run at the same time keep to columns of their own.
 *
 * diagram_hosts.c puts the lifelines in the order the mail flows: senders,
 * servers, readers.  Two readers of one server then both sit to its right,
 * and while they fetch at once their arrows, in flight at the same time in
 * opposite directions, must cross; no place for a label along an arrow can
 * undo that.  Here the order is changed only as far as it takes to part
 * them.  The cost of an order is first the number of pairs of simultaneous
 * sessions whose columns overlap in more than a point (meeting at the
 * server's lifeline is fine); then the columns between hosts that talk,
 * each pair of hosts once, so that a client stays beside its server and
 * servers beside each other; then how far the hosts moved from the mail's
 * order; then how many columns the lines cross.  From the mail's order,
 * the cheapest move of one host to another place is made as long as it
 * parts more sessions.  An order without such a pair is kept as it is, so
 * a run of one session at a time draws what it always did.
 */
#include <string.h>

#include "report/diagram-private.h"

typedef struct {
    guint64 crossed;   /* pairs of simultaneous sessions sharing columns */
    guint64 span;      /* columns between hosts that talk, a pair once */
    guint64 moved;     /* places moved, summed over the hosts */
    guint64 lines;     /* columns crossed, summed over the lines drawn */
} Cost;

typedef struct {
    guint a, b;        /* host indexes, a < b */
    guint64 lines;
} Link;

typedef struct {
    guint x, y;        /* two different links */
    guint pairs;       /* simultaneous sessions of one on the other */
} Clash;

typedef struct {
    guint n;
    const Link *links;
    guint n_links;
    const Clash *clashes;
    guint n_clashes;
} Problem;

static gint compare_costs(const Cost *x, const Cost *y)
{
    if (x->crossed != y->crossed)
        return x->crossed < y->crossed ? -1 : 1;
    if (x->span != y->span)
        return x->span < y->span ? -1 : 1;
    if (x->moved != y->moved)
        return x->moved < y->moved ? -1 : 1;
    if (x->lines != y->lines)
        return x->lines < y->lines ? -1 : 1;
    return 0;
}

/* pos[h]: the column of host h. */
static Cost cost_of(const Problem *pb, const guint *pos)
{
    Cost c = { 0, 0, 0, 0 };
    for (guint k = 0; k < pb->n_clashes; k++) {
        const Link *x = &pb->links[pb->clashes[k].x], *y = &pb->links[pb->clashes[k].y];
        guint xl = MIN(pos[x->a], pos[x->b]), xr = MAX(pos[x->a], pos[x->b]);
        guint yl = MIN(pos[y->a], pos[y->b]), yr = MAX(pos[y->a], pos[y->b]);
        /* Meeting at a lifeline (two clients either side of their server)
         * is not sharing columns. */
        if (MAX(xl, yl) < MIN(xr, yr))
            c.crossed += pb->clashes[k].pairs;
    }
    for (guint k = 0; k < pb->n_links; k++) {
        const Link *l = &pb->links[k];
        guint w = pos[l->a] > pos[l->b] ? pos[l->a] - pos[l->b] : pos[l->b] - pos[l->a];
        c.span += w;
        c.lines += l->lines * w;
    }
    for (guint h = 0; h < pb->n; h++)
        c.moved += pos[h] > h ? pos[h] - h : h - pos[h];
    return c;
}

/* order[p]: the host at column p; fills pos from it. */
static void positions(guint n, const guint *order, guint *pos)
{
    for (guint p = 0; p < n; p++)
        pos[order[p]] = p;
}

/* Moves the host at column from to column to, shifting those between. */
static void move_host(guint *order, guint from, guint to)
{
    guint h = order[from];
    if (from < to)
        memmove(order + from, order + from + 1, (to - from) * sizeof(guint));
    else
        memmove(order + to + 1, order + to, (from - to) * sizeof(guint));
    order[to] = h;
}

typedef struct {
    MsTime start, end;
    guint link;
} Span;

static gint compare_spans(gconstpointer pa, gconstpointer pb)
{
    const Span *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->link < b->link ? -1 : (a->link > b->link);
}

/* The links (pairs of hosts with sessions between them) and, counted by a
 * sweep over the sessions by start time, how often sessions of two links
 * run at once.  FALSE when more than MS_DG_ORDER_MAX_PAIRS pairs run at
 * once: the order is then left as the mail flows. */
static gboolean find_clashes(guint n, const MsDgSession *sessions, guint n_sessions,
                             GArray *links, GArray *clashes)
{
    g_autofree guint *link_of = g_new(guint, n * n);
    for (guint k = 0; k < n * n; k++)
        link_of[k] = G_MAXUINT;
    g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Span));
    for (guint k = 0; k < n_sessions; k++) {
        const MsDgSession *s = &sessions[k];
        if (s->a == s->b || s->a >= n || s->b >= n)
            continue;
        guint a = MIN(s->a, s->b), b = MAX(s->a, s->b);
        if (link_of[a * n + b] == G_MAXUINT) {
            Link l = { a, b, 0 };
            link_of[a * n + b] = links->len;
            g_array_append_val(links, l);
        }
        Span sp = { s->start, MAX(s->start, s->end), link_of[a * n + b] };
        g_array_index(links, Link, sp.link).lines += s->lines;
        g_array_append_val(spans, sp);
    }
    g_array_sort(spans, compare_spans);

    guint n_links = links->len, examined = 0;
    g_autofree guint *pairs = g_new0(guint, (gsize) n_links * n_links);
    g_autoptr(GArray) live = g_array_new(FALSE, FALSE, sizeof(Span));
    for (guint k = 0; k < spans->len; k++) {
        const Span *s = &g_array_index(spans, Span, k);
        for (guint j = 0; j < live->len;) {
            const Span *o = &g_array_index(live, Span, j);
            /* Ended before s starts: so before every later one too. */
            if (o->end <= s->start) {
                g_array_remove_index_fast(live, j);
                continue;
            }
            /* o started no later than s and ends after s starts: they run
             * at once, unless s has no length and sits at o's start. */
            if (s->end > o->start) {
                if (++examined > MS_DG_ORDER_MAX_PAIRS)
                    return FALSE;
                if (o->link != s->link)
                    pairs[MIN(o->link, s->link) * n_links + MAX(o->link, s->link)]++;
            }
            j++;
        }
        g_array_append_val(live, *s);
    }
    for (guint x = 0; x < n_links; x++) {
        for (guint y = x + 1; y < n_links; y++) {
            if (pairs[x * n_links + y] > 0) {
                Clash c = { x, y, pairs[x * n_links + y] };
                g_array_append_val(clashes, c);
            }
        }
    }
    return TRUE;
}

gboolean ms_dg_order_sides(guint n, const MsDgSession *sessions, guint n_sessions, guint *order)
{
    for (guint p = 0; p < n; p++)
        order[p] = p;
    if (n < 3 || n > MS_DG_ORDER_MAX_HOSTS)
        return FALSE;
    g_autoptr(GArray) links = g_array_new(FALSE, FALSE, sizeof(Link));
    g_autoptr(GArray) clashes = g_array_new(FALSE, FALSE, sizeof(Clash));
    if (!find_clashes(n, sessions, n_sessions, links, clashes) || clashes->len == 0)
        return FALSE;
    Problem pb = { n, (const Link *) (void *) links->data, links->len,
                   (const Clash *) (void *) clashes->data, clashes->len };

    guint pos[MS_DG_ORDER_MAX_HOSTS], trial[MS_DG_ORDER_MAX_HOSTS];
    positions(n, order, pos);
    Cost best = cost_of(&pb, pos);
    if (best.crossed == 0)
        return FALSE;
    /* Each round makes the move that leaves the fewest sessions crossed,
     * and of those the one that keeps talking hosts closest, moves the
     * hosts least and shortens the lines most; it is made only if fewer
     * sessions cross, so that nothing moves that need not.  Each round
     * parts at least one pair, and a host rarely needs to move twice:
     * 2n rounds are plenty. */
    for (guint round = 0; round < 2 * n && best.crossed > 0; round++) {
        guint best_from = 0, best_to = 0;
        Cost next = best;
        next.crossed = G_MAXUINT64;
        for (guint from = 0; from < n; from++) {
            for (guint to = 0; to < n; to++) {
                if (to == from)
                    continue;
                memcpy(trial, order, n * sizeof(guint));
                move_host(trial, from, to);
                positions(n, trial, pos);
                Cost c = cost_of(&pb, pos);
                if (compare_costs(&c, &next) < 0) {
                    next = c;
                    best_from = from;
                    best_to = to;
                }
            }
        }
        if (next.crossed >= best.crossed)
            break;
        best = next;
        move_host(order, best_from, best_to);
    }
    for (guint p = 0; p < n; p++) {
        if (order[p] != p)
            return TRUE;
    }
    return FALSE;
}
