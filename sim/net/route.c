/* route.c - shortest-latency routes: Dijkstra on (latency, hops, link
 * indices).
 *
 * A path's label is its total latency, then its hop count, then the list of
 * the indices of its links in declaration order, compared element by
 * element.  This is a total order that extending a path by one link
 * preserves, so Dijkstra finds the unique least path and the result does not
 * depend on the order hosts are visited in.
 *
 * A route is searched when a packet first needs it, from its source until
 * its destination is reached (a user's computer needs the route to its own
 * server, not the whole campus), and kept: packets share the cached host
 * and link lists.  The heap orders by (latency, hops) only: every path
 * through a host not yet settled is longer in that order, so a host's label
 * is final when it is popped.  The third key, the link indices, only
 * decides between two paths of equal latency and hops to the same host;
 * both end in hosts already settled, whose least paths form a tree, so the
 * lists differ first just below the two hosts' common ancestor and
 * comparing them costs a walk up the tree, not a copy of the paths.
 *
 * A host with a single link (a campus's computers, each on its server) is
 * never searched from or to: every path from or to it crosses that link,
 * so its route is the link joined to its neighbour's route, which is the
 * least one by the same order (the link is in every path compared).  A
 * search reaching a server would otherwise look at each of the server's
 * links, one for each of its computers, and a route for each computer
 * makes that quadratic in the users.
 */
#include "net/net-private.h"

#include <string.h>

/* A host's label in the current search, and an entry of its heap. */
struct MsLabel {
    MsTime dist;
    guint hops;
    gint pred;   /* link index into the host, -1 for the source */
    guint stamp; /* == net->stamp when reached in the current search */
    gboolean done;
};

typedef struct {
    MsTime dist;
    guint hops;
    guint host;
} MsHeapItem;

void ms_net_routes_init(MsNet *net)
{
    net->routes = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, ms_net_route_unref);
    net->heap = g_array_new(FALSE, FALSE, sizeof(MsHeapItem));
}

void ms_net_routes_free(MsNet *net)
{
    g_hash_table_unref(net->routes);
    g_free(net->labels);
    g_array_unref(net->heap);
}

void ms_net_routes_drop(MsNet *net)
{
    net->route_epoch++;
    memset(net->recent, 0, sizeof net->recent);
    g_hash_table_remove_all(net->routes);
}

/* A packet holds its route (one count, not a reference on each of its two
 * arrays, which GLib counts atomically): a route the table drops while
 * packets travel on it stays until the last of them is gone. */
void ms_net_route_unref(gpointer data)
{
    MsRoute *route = data;

    if (--route->refs > 0)
        return;
    g_free(route);
}

static gboolean heap_less(const MsHeapItem *x, const MsHeapItem *y)
{
    if (x->dist != y->dist)
        return x->dist < y->dist;
    if (x->hops != y->hops)
        return x->hops < y->hops;
    return x->host < y->host;
}

static void heap_push(GArray *heap, MsHeapItem item)
{
    guint i = heap->len;

    g_array_set_size(heap, heap->len + 1);
    MsHeapItem *a = (MsHeapItem *) (void *) heap->data;
    while (i > 0 && heap_less(&item, &a[(i - 1) / 2])) {
        a[i] = a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    a[i] = item;
}

static MsHeapItem heap_pop(GArray *heap)
{
    MsHeapItem *a = (MsHeapItem *) (void *) heap->data;
    MsHeapItem top = a[0];
    MsHeapItem last = a[heap->len - 1];
    guint n = heap->len - 1;
    guint i = 0;

    for (;;) {
        guint c = 2 * i + 1;

        if (c >= n)
            break;
        if (c + 1 < n && heap_less(&a[c + 1], &a[c]))
            c++;
        if (!heap_less(&a[c], &last))
            break;
        a[i] = a[c];
        i = c;
    }
    if (n > 0)
        a[i] = last;
    g_array_set_size(heap, n);
    return top;
}

/* Compares, by their link indices, the path to settled host u extended by
 * link lu with the path to settled host w extended by link lw; both paths
 * have the same number of hops. */
static int path_cmp(MsNet *net, guint u, guint lu, guint w, guint lw)
{
    const MsLabel *labels = net->labels;

    while (u != w) {
        lu = (guint) labels[u].pred;
        lw = (guint) labels[w].pred;
        u = ms_link_other_end(net->links->pdata[lu], net->hosts->pdata[u])->index;
        w = ms_link_other_end(net->links->pdata[lw], net->hosts->pdata[w])->index;
    }
    return lu < lw ? -1 : lu > lw ? 1 : 0;
}

/* The hop from `from` to `to` over link. */
static MsHop hop_over(MsHost *from, MsHost *to, MsLink *link)
{
    return (MsHop){ from, to, link, link->a == from ? 0u : 1u };
}

/* A route of n_hops hops, its hops to be filled in. */
static MsRoute *route_new(MsNet *net, MsHost *from, guint n_hops, gboolean reachable)
{
    MsRoute *route = g_malloc0(sizeof *route + (n_hops + 1) * sizeof(MsHop));

    route->refs = 1;
    route->epoch = net->route_epoch;
    route->reachable = reachable;
    route->n_hops = n_hops;
    route->hops[0].from = from;
    route->hops[0].to = from;
    return route;
}

/* Searches the least path from `from` to `to` (unreachable when there is
 * none). */
static MsRoute *route_search(MsNet *net, MsHost *from, MsHost *to)
{
    guint n = net->hosts->len;

    if (net->n_labels < n) {
        g_free(net->labels);
        net->labels = g_new0(MsLabel, n);
        net->n_labels = n;
        net->stamp = 0;
    }
    if (++net->stamp == 0) {
        memset(net->labels, 0, sizeof(MsLabel) * net->n_labels);
        net->stamp = 1;
    }
    MsLabel *labels = net->labels;
    GArray *heap = net->heap;
    g_array_set_size(heap, 0);
    labels[from->index] = (MsLabel){ 0, 0, -1, net->stamp, FALSE };
    heap_push(heap, (MsHeapItem){ 0, 0, from->index });
    gboolean found = FALSE;
    while (heap->len > 0) {
        MsHeapItem top = heap_pop(heap);
        MsLabel *lu = &labels[top.host];

        if (lu->done || lu->dist != top.dist || lu->hops != top.hops)
            continue; /* a stale entry */
        lu->done = TRUE;
        net->settled++;
        if (top.host == to->index) {
            found = TRUE;
            break;
        }
        MsHost *u = net->hosts->pdata[top.host];
        net->scanned += u->links->len;
        for (guint k = 0; k < u->links->len; k++) {
            MsLink *link = u->links->pdata[k];
            MsHost *v = ms_link_other_end(link, u);
            /* A host with one link is a dead end: no shortest path passes
             * through it, so unless it is the goal it need not be visited.
             * A campus's computers hang off their servers this way, and
             * without this every search from a server would visit all of
             * them: quadratic in the users. */
            if (v->links->len == 1 && v != to)
                continue;
            MsLabel *lv = &labels[v->index];
            MsTime dist = ms_net_time_add(lu->dist, link->latency);
            guint hops = lu->hops + 1;

            if (lv->stamp == net->stamp) {
                if (lv->done)
                    continue;
                if (dist > lv->dist || (dist == lv->dist && hops > lv->hops))
                    continue;
                if (dist == lv->dist && hops == lv->hops) {
                    /* Equal so far: the link indices decide; the heap
                     * entry stays as it is. */
                    MsLink *old = net->links->pdata[lv->pred];
                    guint w = ms_link_other_end(old, v)->index;
                    if (path_cmp(net, top.host, link->index, w, (guint) lv->pred) < 0)
                        lv->pred = (gint) link->index;
                    continue;
                }
            }
            *lv = (MsLabel){ dist, hops, (gint) link->index, net->stamp, FALSE };
            heap_push(heap, (MsHeapItem){ dist, hops, v->index });
        }
    }
    if (!found)
        return route_new(net, from, 0, FALSE);
    /* Walk back from the destination, filling the hops from the last. */
    guint n_hops = labels[to->index].hops;
    MsRoute *route = route_new(net, from, n_hops, TRUE);
    MsHost *v = to;
    for (guint i = n_hops; i > 0; i--) {
        MsLink *link = net->links->pdata[labels[v->index].pred];
        MsHost *u = ms_link_other_end(link, v);

        route->hops[i] = hop_over(u, v, link);
        v = u;
    }
    g_assert(v == from);
    return route;
}

/* The host at the other end of h's only link, when that host has other
 * links too; else NULL (h has more links or none, or the two hosts have
 * only each other, where a route from one would ask the other's). */
static MsHost *sole_neighbour(MsHost *h)
{
    if (h->links->len != 1)
        return NULL;
    MsHost *n = ms_link_other_end(h->links->pdata[0], h);
    return n != h && n->links->len > 1 ? n : NULL;
}

/* mid's route with a hop before it, after it, or both (NULL: none), as
 * the route from `from` (transfer full); unreachable when mid is. */
static MsRoute *route_around(MsNet *net, MsHost *from, const MsHop *first, const MsRoute *mid,
                             const MsHop *last)
{
    if (!mid->reachable)
        return route_new(net, from, 0, FALSE);
    guint n_hops = mid->n_hops + (first != NULL) + (last != NULL);
    MsRoute *route = route_new(net, from, n_hops, TRUE);
    MsHop *at = &route->hops[1];
    if (first != NULL)
        *at++ = *first;
    memcpy(at, &mid->hops[1], mid->n_hops * sizeof(MsHop));
    if (last != NULL)
        at[mid->n_hops] = *last;
    return route;
}

/* The cached route from `from` to `to`, searched on first use (transfer
 * none; not reachable when there is no route). */
MsRoute *ms_net_route_find(MsNet *net, MsHost *from, MsHost *to)
{
    gint64 key = (gint64) from->index * (gint64) net->hosts->len + (gint64) to->index;
    MsRoute **recent = &net->recent[(from->index * 31u + to->index) % MS_NET_ROUTE_RECENT];
    if (*recent != NULL && (*recent)->key == key)
        return *recent;
    MsRoute *route = g_hash_table_lookup(net->routes, &key);

    if (route == NULL) {
        MsHost *n;
        if (from == to) {
            route = route_search(net, from, to);
        } else if ((n = sole_neighbour(from)) != NULL) {
            /* That link, then the neighbour's route. */
            MsHop first = hop_over(from, n, from->links->pdata[0]);
            route = route_around(net, from, &first, ms_net_route_find(net, n, to), NULL);
        } else if ((n = sole_neighbour(to)) != NULL) {
            /* The route to the neighbour, then that link. */
            MsHop last = hop_over(n, to, to->links->pdata[0]);
            route = route_around(net, from, NULL, ms_net_route_find(net, from, n), &last);
        } else {
            route = route_search(net, from, to);
        }
        route->key = key;
        g_hash_table_insert(net->routes, &route->key, route);
    }
    /* (After the neighbour's route, which may have taken this slot.) */
    *recent = route;
    return route;
}

guint64 ms_net_route_settled(const MsNet *net)
{
    return net->settled;
}

guint64 ms_net_route_scanned(const MsNet *net)
{
    return net->scanned;
}

GPtrArray *ms_net_route(MsNet *net, MsHost *from, MsHost *to)
{
    g_return_val_if_fail(from != NULL && to != NULL, NULL);
    const MsRoute *route = ms_net_route_find(net, from, to);
    if (!route->reachable)
        return NULL;
    GPtrArray *hosts = g_ptr_array_sized_new(route->n_hops + 1);
    for (guint i = 0; i <= route->n_hops; i++)
        g_ptr_array_add(hosts, route->hops[i].to);
    return hosts;
}
