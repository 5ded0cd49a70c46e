/* diagram_hosts.c - the hosts of the sequence diagram: the role each one
 * plays, and the order of their lifelines.
 *
 * The trace does not say which host is a user agent and which a server, so
 * roles are read off the connections: a host that accepts connections on a
 * mail port (25, 587, 465, 110, 995, 143, 993) is a mail server, one that
 * accepts them on a web port (80, 443, 8080) a web-mail server, one that
 * does both a "mail server + web mail"; a host that only opens connections
 * is a user agent (to mail ports) or a browser (to web ports).
 *
 * Lifelines are ordered as the mail flows: first the hosts that send mail
 * (they open SMTP to a server, compose a message or POST a form), then the
 * servers in the order they first take part in SMTP (so the sender's
 * server comes before the receiver's), then the hosts that fetch mail,
 * with the user agents that download a message before they first send
 * (a reader who replies); within a group, by their server's place, then
 * by first appearance in the trace.  Where sessions drawn at the same time
 * would share columns in that order (two readers of one server),
 * diagram_order.c moves hosts to either side.
 */
#include <string.h>

#include "report/diagram-private.h"

void ms_dg_hosts_init(MsDgHosts *hs)
{
    hs->hosts = g_ptr_array_new_with_free_func(g_free);
    hs->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    hs->by_address = g_hash_table_new(g_direct_hash, g_direct_equal);
}

void ms_dg_hosts_clear(MsDgHosts *hs)
{
    g_clear_pointer(&hs->hosts, g_ptr_array_unref);
    g_clear_pointer(&hs->by_name, g_hash_table_unref);
    g_clear_pointer(&hs->by_address, g_hash_table_unref);
}

static MsDgHostInfo *host_get(MsDgHosts *hs, const char *name, guint64 id)
{
    MsDgHostInfo *h = g_hash_table_lookup(hs->by_address, name);
    if (h != NULL)
        return h;
    h = g_hash_table_lookup(hs->by_name, name);
    if (h == NULL) {
        h = g_new0(MsDgHostInfo, 1);
        h->name = name;
        h->first_seen = id;
        h->first_smtp = G_MAXUINT64;
        h->first_send = G_MAXUINT64;
        h->first_fetch = G_MAXUINT64;
        h->home_rank = G_MAXUINT;
        g_ptr_array_add(hs->hosts, h);
        g_hash_table_insert(hs->by_name, (gpointer) name, h);
    }
    g_hash_table_insert(hs->by_address, (gpointer) name, h);
    return h;
}

static gboolean port_in(guint16 port, const guint16 *ports, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (ports[i] == port)
            return TRUE;
    }
    return FALSE;
}

static void host_conn(MsDgHosts *hs, const char *client, const char *server, guint16 port,
                      const char *protocol, guint64 id)
{
    static const guint16 smtp_ports[] = { 25, 587, 465 };
    static const guint16 mail_ports[] = { 110, 995, 143, 993 };
    static const guint16 web_ports[] = { 80, 443, 8080 };
    MsDiagramFlow flow = ms_diagram_flow_of_protocol(protocol);
    gboolean smtp = flow == MS_DIAGRAM_FLOW_PUSH || port_in(port, smtp_ports, 3);
    gboolean web = (protocol != NULL && g_ascii_strncasecmp(protocol, "HTTP", 4) == 0) ||
                   port_in(port, web_ports, 3);
    gboolean mail = smtp || (!web && (flow == MS_DIAGRAM_FLOW_PULL || port_in(port, mail_ports, 4)));
    MsDgHostInfo *c = host_get(hs, client, id);
    MsDgHostInfo *s = host_get(hs, server, id);
    c->opens_mail |= mail;
    c->opens_web |= web;
    s->accepts_mail |= mail;
    s->accepts_web |= web;
    if (c->home == NULL && (mail || web))
        c->home = s->name;
    if (smtp) {
        c->first_smtp = MIN(c->first_smtp, 2 * id);
        s->first_smtp = MIN(s->first_smtp, 2 * id + 1);
        c->first_send = MIN(c->first_send, id);
    }
}

/* What record i tells of its hosts' roles. */
void ms_dg_host_record(MsDgHosts *hs, const MsTraceRecord *r, guint64 i)
{
    if (r->src != NULL)
        host_get(hs, r->src, i);
    if (r->dst != NULL)
        host_get(hs, r->dst, i);
    if (r->src == NULL || r->dst == NULL) {
        if (r->kind == MS_TRACE_MESSAGE && r->src != NULL && r->note != NULL &&
            strcmp(r->note, "message.composed") == 0) {
            MsDgHostInfo *h = host_get(hs, r->src, i);
            h->first_send = MIN(h->first_send, i);
        } else if (r->kind == MS_TRACE_MESSAGE && r->src != NULL && r->note != NULL &&
                   strcmp(r->note, "message.downloaded") == 0) {
            MsDgHostInfo *h = host_get(hs, r->src, i);
            h->first_fetch = MIN(h->first_fetch, i);
        }
        return;
    }
    if (r->kind == MS_TRACE_CONN_OPEN || (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_CLIENT)) {
        host_conn(hs, r->src, r->dst, r->dst_port, r->protocol, i);
    } else if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_SERVER) {
        host_conn(hs, r->dst, r->src, r->src_port, r->protocol, i);
    }
    /* A browser that POSTs a form (other than its login) is sending
     * mail through its server. */
    if (r->kind == MS_TRACE_LINE && r->dir == MS_DIR_CLIENT && r->text != NULL &&
        g_str_has_prefix(r->text, "POST ") && !g_str_has_prefix(r->text, "POST /login")) {
        MsDgHostInfo *h = host_get(hs, r->src, i);
        h->first_send = MIN(h->first_send, i);
    }
}

static gboolean host_is_server(const MsDgHostInfo *h)
{
    return h->accepts_mail || h->accepts_web;
}

MsDiagramRole ms_dg_host_role(const MsDgHostInfo *h)
{
    /* A server that takes mail by SMTP and serves web mail too is the
     * browser's "mail server" of the lecture, and the SMTP server of the
     * relay drawn beside it: both names. */
    if (h->accepts_web && h->accepts_mail)
        return MS_DIAGRAM_ROLE_MAIL_WEB_SERVER;
    if (h->accepts_web)
        return MS_DIAGRAM_ROLE_WEBMAIL_SERVER;
    if (h->accepts_mail)
        return MS_DIAGRAM_ROLE_MAIL_SERVER;
    if (h->opens_web)
        return MS_DIAGRAM_ROLE_BROWSER;
    if (h->opens_mail)
        return MS_DIAGRAM_ROLE_USER_AGENT;
    return MS_DIAGRAM_ROLE_HOST;
}

static gint compare_servers(gconstpointer a, gconstpointer b)
{
    const MsDgHostInfo *x = *(MsDgHostInfo *const *) a, *y = *(MsDgHostInfo *const *) b;
    if (x->first_smtp != y->first_smtp)
        return x->first_smtp < y->first_smtp ? -1 : 1;
    return x->first_seen < y->first_seen ? -1 : (x->first_seen > y->first_seen);
}

static gint compare_hosts(gconstpointer a, gconstpointer b)
{
    const MsDgHostInfo *x = *(MsDgHostInfo *const *) a, *y = *(MsDgHostInfo *const *) b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    if (x->bucket == 1)
        return compare_servers(a, b);
    if (x->home_rank != y->home_rank)
        return x->home_rank < y->home_rank ? -1 : 1;
    return x->first_seen < y->first_seen ? -1 : (x->first_seen > y->first_seen);
}

/* Sorts hs->hosts into lifeline order (see the top of the file). */
void ms_dg_hosts_order(MsDgHosts *hs)
{
    g_autoptr(GPtrArray) servers = g_ptr_array_new();
    for (guint i = 0; i < hs->hosts->len; i++) {
        MsDgHostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (host_is_server(h))
            g_ptr_array_add(servers, h);
    }
    g_ptr_array_sort(servers, compare_servers);
    for (guint i = 0; i < servers->len; i++)
        ((MsDgHostInfo *) g_ptr_array_index(servers, i))->home_rank = i;
    for (guint i = 0; i < hs->hosts->len; i++) {
        MsDgHostInfo *h = g_ptr_array_index(hs->hosts, i);
        if (host_is_server(h)) {
            h->bucket = 1;
            continue;
        }
        MsDgHostInfo *home = h->home != NULL ? g_hash_table_lookup(hs->by_name, h->home) : NULL;
        h->home_rank = home != NULL ? home->home_rank : G_MAXUINT;
        /* An agent that downloads a message before it first sends (Bob,
         * who replies to what he read; not one that only found its mailbox
         * empty) stays beside its server with the readers: its reply then
         * leaves toward the servers, not across them. */
        gboolean sends = h->first_send != G_MAXUINT64;
        if (sends && !(h->first_fetch < h->first_send && home != NULL))
            h->bucket = 0;
        else if (h->opens_mail || h->opens_web)
            h->bucket = 2;
        else
            h->bucket = 3;
    }
    g_ptr_array_sort(hs->hosts, compare_hosts);
}
