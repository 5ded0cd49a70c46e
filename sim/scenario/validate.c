/* validate.c - checks that need the whole scenario at once.
 *
 * Statements may come in any order, so names are resolved only after every
 * line has been read: duplicate and undefined hosts, agents whose server is
 * not a server, users given two passwords, recipients no server receives
 * mail for, actions out of time order, fetches and logins without a
 * password, IMAP and web-mail steps outside a session, web mail asked of a
 * server without it, network events naming no link or
 * host, and hosts that no chain of links joins.  Reachability is plain
 * graph connectivity (union-find over the links): routes are computed later
 * by the network layer, but a scenario where mail could never arrive is a
 * mistake worth naming now.
 */
#include "scenario-private.h"

#include <string.h>

typedef enum { HOST_SERVER, HOST_AGENT } HostKind;

typedef struct {
    HostKind kind;
    guint index; /* into sc->servers or sc->agents */
    guint id;    /* node of the link graph */
    MsLoc loc;   /* of the name, where it is declared */
} Host;

typedef struct {
    MsScParse *p;
    MsScenario *sc;
    GHashTable *hosts;   /* name (ms_name_equal) -> Host* (first declaration) */
    GArray *all;         /* Host, every declaration in file order */
    guint *parent;       /* union-find over host ids */
    guint n_ids;
    GPtrArray *names;    /* host names for suggestions, NULL-terminated */
    GPtrArray *server_names;
} Checker;

static Host *lookup(const Checker *k, const char *name)
{
    return g_hash_table_lookup(k->hosts, name);
}

static gint host_cmp(gconstpointer pa, gconstpointer pb)
{
    const Host *a = pa;
    const Host *b = pb;
    if (a->loc.line != b->loc.line)
        return a->loc.line < b->loc.line ? -1 : 1;
    return a->loc.column < b->loc.column ? -1 : (a->loc.column > b->loc.column ? 1 : 0);
}

/* " Did you mean 'x'?" when a declared name is close, else "". */
static char *hint(GPtrArray *names, const char *word)
{
    const char *best = ms_sc_suggest(word, (const char *const *) names->pdata);
    return best != NULL ? g_strdup_printf("; did you mean '%s'?", best) : g_strdup("");
}

static void check_hosts(Checker *k)
{
    MsScenario *sc = k->sc;
    for (guint i = 0; i < sc->servers->len; i++) {
        const MsScServerLocs *l = &g_array_index(k->p->server_locs, MsScServerLocs, i);
        Host h = { HOST_SERVER, i, 0, l->name };
        g_array_append_val(k->all, h);
    }
    for (guint i = 0; i < sc->agents->len; i++) {
        const MsScAgentLocs *l = &g_array_index(k->p->agent_locs, MsScAgentLocs, i);
        Host h = { HOST_AGENT, i, 0, l->host };
        g_array_append_val(k->all, h);
    }
    g_array_sort(k->all, host_cmp);
    /* Pointers into k->all stay valid: the array does not grow any more. */
    for (guint i = 0; i < k->all->len; i++) {
        Host *h = &g_array_index(k->all, Host, i);
        const char *name = h->kind == HOST_SERVER
                               ? ((MsScServer *) g_ptr_array_index(sc->servers, h->index))->name
                               : ((MsScAgent *) g_ptr_array_index(sc->agents, h->index))->host;
        Host *first = lookup(k, name);
        if (first != NULL) {
            g_autofree char *q = ms_sc_quote(name);
            ms_sc_diag(&k->p->diags, h->loc, "duplicate host '%s' (first declared at line %u)",
                       q, first->loc.line);
            h->id = first->id;
            continue;
        }
        h->id = k->n_ids++;
        g_hash_table_insert(k->hosts, (gpointer) name, h);
        g_ptr_array_add(k->names, (gpointer) name);
        if (h->kind == HOST_SERVER)
            g_ptr_array_add(k->server_names, (gpointer) name);
    }
    g_ptr_array_add(k->names, NULL);
    g_ptr_array_add(k->server_names, NULL);
}

static void check_domains(Checker *k)
{
    MsScenario *sc = k->sc;
    for (guint i = 0; i < sc->servers->len; i++) {
        const MsScServer *s = g_ptr_array_index(sc->servers, i);
        const MsScServer *owner = ms_scenario_server_for_domain(sc, s->domain);
        if (owner != s) {
            const MsScServerLocs *l = &g_array_index(k->p->server_locs, MsScServerLocs, i);
            g_autofree char *q = ms_sc_quote(s->domain);
            g_autofree char *o = ms_sc_quote(owner->name);
            ms_sc_diag(&k->p->diags, l->domain,
                       "domain '%s' is already served by '%s' (line %u): one server per domain",
                       q, o, owner->loc.line);
        }
    }
}

static void check_agents(Checker *k)
{
    MsScenario *sc = k->sc;
    for (guint i = 0; i < sc->agents->len; i++) {
        const MsScAgent *a = g_ptr_array_index(sc->agents, i);
        const MsScAgentLocs *l = &g_array_index(k->p->agent_locs, MsScAgentLocs, i);
        const Host *h = lookup(k, a->server);
        g_autofree char *q = ms_sc_quote(a->server);
        if (h == NULL) {
            if (!ms_sc_is_unsure(k->p, a->server)) {
                g_autofree char *more = hint(k->server_names, a->server);
                ms_sc_diag(&k->p->diags, l->server,
                           "undefined server '%s': no server statement declares it%s", q, more);
            }
            continue;
        }
        if (h->kind != HOST_SERVER) {
            ms_sc_diag(&k->p->diags, l->server,
                       "'%s' is an agent, not a server: an agent's server must be declared "
                       "with 'server NAME domain DOMAIN'", q);
            continue;
        }
        /* The user's mailbox lives on the server of its domain (RFC 5321
         * 2.3.5); a user fetching from another server would find nothing. */
        const MsScServer *s = g_ptr_array_index(sc->servers, h->index);
        const char *domain = ms_sc_address_domain(a->user);
        if (!ms_name_equal(domain, s->domain)) {
            g_autofree char *u = ms_sc_quote(a->user);
            g_autofree char *d = ms_sc_quote(s->domain);
            ms_sc_diag(&k->p->diags, l->user,
                       "user '%s' is not in domain '%s', the domain of its server '%s'",
                       u, d, q);
        }
    }
}

/* Who holds a password for a user: an agent or a mailbox statement. */
typedef struct {
    const char *user;
    const char *password;
    MsLoc statement;
    MsLoc at; /* of the password */
} Holder;

static gint holder_cmp(gconstpointer pa, gconstpointer pb)
{
    const Holder *a = pa;
    const Holder *b = pb;
    return a->statement.line < b->statement.line ? -1 : a->statement.line > b->statement.line;
}

/* Several agents (devices) may serve one user, but the user has one
 * password on the server: two different ones would leave the server
 * guessing.  A wrong password is shown with 'password' on an action. */
static void check_passwords(Checker *k)
{
    MsScenario *sc = k->sc;
    g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(Holder));
    for (guint i = 0; i < sc->agents->len; i++) {
        const MsScAgent *a = g_ptr_array_index(sc->agents, i);
        Holder h = { a->user, a->password, a->loc,
                     g_array_index(k->p->agent_locs, MsScAgentLocs, i).password };
        if (h.password != NULL)
            g_array_append_val(all, h);
    }
    for (guint i = 0; i < sc->mailboxes->len; i++) {
        const MsScMailbox *m = g_ptr_array_index(sc->mailboxes, i);
        Holder h = { m->address, m->password, m->loc,
                     g_array_index(k->p->mailbox_locs, MsScMailboxLocs, i).password };
        if (h.password != NULL)
            g_array_append_val(all, h);
    }
    /* One statement per line, so the order by line is total: the first
     * password given in the file is the user's. */
    g_array_sort(all, holder_cmp);
    g_autoptr(GHashTable) first = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < all->len; i++) {
        Holder *h = &g_array_index(all, Holder, i);
        char *key = g_ascii_strdown(h->user, -1);
        const Holder *earlier = g_hash_table_lookup(first, key);
        if (earlier == NULL) {
            g_hash_table_insert(first, key, h);
            continue;
        }
        g_free(key);
        if (strcmp(earlier->password, h->password) == 0)
            continue;
        g_autofree char *q = ms_sc_quote(h->user);
        ms_sc_diag(&k->p->diags, h->at,
                   "user '%s' already has another password (line %u): a user has one "
                   "password; to show a wrong one, write 'password WORD' on the pop3 or "
                   "imap action", q, earlier->statement.line);
    }
}

static void check_mailboxes(Checker *k)
{
    MsScenario *sc = k->sc;
    /* The first mailbox of each address (ASCII case folded), by hash: a
     * campus declares tens of thousands. */
    g_autoptr(GHashTable) first = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < sc->mailboxes->len; i++) {
        const MsScMailbox *m = g_ptr_array_index(sc->mailboxes, i);
        const MsScMailboxLocs *l = &g_array_index(k->p->mailbox_locs, MsScMailboxLocs, i);
        g_autofree char *q = ms_sc_quote(m->address);
        char *key = g_ascii_strdown(m->address, -1);
        const MsScMailbox *other = g_hash_table_lookup(first, key);
        if (other != NULL) {
            ms_sc_diag(&k->p->diags, l->address,
                       "duplicate mailbox '%s' (first declared at line %u)", q,
                       other->loc.line);
            g_free(key);
        } else {
            g_hash_table_insert(first, key, (gpointer) m);
        }
        const char *domain = ms_sc_address_domain(m->address);
        if (ms_scenario_server_for_domain(sc, domain) == NULL && !ms_sc_is_unsure(k->p, domain)) {
            g_autofree char *qd = ms_sc_quote(domain);
            ms_sc_diag(&k->p->diags, l->address,
                       "no server serves the domain of mailbox '%s': declare one, as in "
                       "server mail.%s domain %s", q, qd, qd);
        }
    }
}

static void check_links(Checker *k, gboolean *complete_out)
{
    MsScenario *sc = k->sc;
    g_autoptr(GHashTable) pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    *complete_out = !k->p->links_unsure;
    for (guint i = 0; i < sc->links->len; i++) {
        const MsScLink *link = g_ptr_array_index(sc->links, i);
        const MsScLinkLocs *l = &g_array_index(k->p->link_locs, MsScLinkLocs, i);
        const char *ends[2] = { link->a, link->b };
        const MsLoc locs[2] = { l->a, l->b };
        gboolean known = TRUE;
        for (int e = 0; e < 2; e++) {
            if (lookup(k, ends[e]) != NULL)
                continue;
            known = FALSE;
            if (ms_sc_is_unsure(k->p, ends[e]))
                continue;
            g_autofree char *q = ms_sc_quote(ends[e]);
            g_autofree char *more = hint(k->names, ends[e]);
            ms_sc_diag(&k->p->diags, locs[e],
                       "undefined host '%s': no server or agent statement declares it%s", q,
                       more);
        }
        if (!known) {
            /* The graph lacks this edge; "cannot reach" would mislead. */
            *complete_out = FALSE;
            continue;
        }
        /* Links are undirected: a-b and b-a are the same cable. */
        g_autofree char *x = ms_name_key(link->a);
        g_autofree char *y = ms_name_key(link->b);
        char *key = strcmp(x, y) < 0 ? g_strconcat(x, "\n", y, NULL)
                                     : g_strconcat(y, "\n", x, NULL);
        gpointer first = g_hash_table_lookup(pairs, key);
        if (first != NULL) {
            g_autofree char *qa = ms_sc_quote(link->a);
            g_autofree char *qb = ms_sc_quote(link->b);
            ms_sc_diag(&k->p->diags, l->a,
                       "duplicate link between '%s' and '%s' (first at line %u)", qa, qb,
                       GPOINTER_TO_UINT(first));
            g_free(key);
            continue;
        }
        g_hash_table_insert(pairs, key, GUINT_TO_POINTER(link->loc.line));
    }
}

static guint find_root(Checker *k, guint x)
{
    while (k->parent[x] != x) {
        k->parent[x] = k->parent[k->parent[x]]; /* path halving */
        x = k->parent[x];
    }
    return x;
}

static void join_links(Checker *k)
{
    k->parent = g_new(guint, MAX(k->n_ids, 1));
    for (guint i = 0; i < k->n_ids; i++)
        k->parent[i] = i;
    for (guint i = 0; i < k->sc->links->len; i++) {
        const MsScLink *link = g_ptr_array_index(k->sc->links, i);
        guint ra = find_root(k, lookup(k, link->a)->id);
        guint rb = find_root(k, lookup(k, link->b)->id);
        k->parent[ra] = rb;
    }
}

static gboolean joined(Checker *k, const Host *a, const Host *b)
{
    return find_root(k, a->id) == find_root(k, b->id);
}

/* The server of agent a, or NULL when it has none we know of. */
static const Host *server_of(const Checker *k, const MsScAgent *a)
{
    const Host *s = lookup(k, a->server);
    return s != NULL && s->kind == HOST_SERVER ? s : NULL;
}

static void check_reach_agents(Checker *k)
{
    for (guint i = 0; i < k->sc->agents->len; i++) {
        const MsScAgent *a = g_ptr_array_index(k->sc->agents, i);
        const MsScAgentLocs *l = &g_array_index(k->p->agent_locs, MsScAgentLocs, i);
        const Host *self = lookup(k, a->host);
        const Host *s = server_of(k, a);
        if (s == NULL || joined(k, self, s))
            continue;
        g_autofree char *qa = ms_sc_quote(a->host);
        g_autofree char *qs = ms_sc_quote(a->server);
        ms_sc_diag(&k->p->diags, l->host,
                   "agent '%s' cannot reach its server '%s': no chain of links joins them",
                   qa, qs);
    }
}

static void check_recipients(Checker *k, const MsScAction *act, GPtrArray *list, GArray *locs,
                             gboolean reach, GHashTable *reported)
{
    const MsScAgent *sender = ms_scenario_find_agent(k->sc, act->host);
    const Host *from = sender != NULL ? server_of(k, sender) : NULL;
    for (guint i = 0; i < list->len; i++) {
        const char *addr = g_ptr_array_index(list, i);
        MsLoc loc = g_array_index(locs, MsLoc, i);
        const char *domain = ms_sc_address_domain(addr);
        const MsScServer *dest = ms_scenario_server_for_domain(k->sc, domain);
        if (dest == NULL) {
            if (!ms_sc_is_unsure(k->p, domain)) {
                g_autofree char *qa = ms_sc_quote(addr);
                g_autofree char *qd = ms_sc_quote(domain);
                ms_sc_diag(&k->p->diags, loc,
                           "no server serves the domain of '%s': declare one, as in "
                           "server mail.%s domain %s", qa, qd, qd);
            }
            continue;
        }
        if (!reach || from == NULL)
            continue;
        const Host *to = lookup(k, dest->name);
        if (joined(k, from, to))
            continue;
        /* One error per pair of servers is enough to show the missing link. */
        const MsScServer *fs = g_ptr_array_index(k->sc->servers, from->index);
        char *key = g_strdup_printf("%u %u", from->id, to->id);
        if (!g_hash_table_add(reported, key))
            continue;
        g_autofree char *qf = ms_sc_quote(fs->name);
        g_autofree char *qt = ms_sc_quote(dest->name);
        g_autofree char *qa = ms_sc_quote(addr);
        ms_sc_diag(&k->p->diags, loc,
                   "server '%s' cannot reach '%s', the server for '%s': no chain of links "
                   "joins them", qf, qt, qa);
    }
}

/* The agent an action names, or NULL after reporting why there is none. */
static const MsScAgent *acting_agent(Checker *k, const MsScAction *act,
                                     const MsScActionLocs *l, const Host **host_out)
{
    const Host *h = lookup(k, act->host);
    *host_out = h;
    g_autofree char *q = ms_sc_quote(act->host);
    if (h == NULL) {
        if (!ms_sc_is_unsure(k->p, act->host)) {
            g_autofree char *more = hint(k->names, act->host);
            ms_sc_diag(&k->p->diags, l->host,
                       "undefined host '%s': no agent statement declares it%s", q, more);
        }
        return NULL;
    }
    if (h->kind != HOST_AGENT) {
        ms_sc_diag(&k->p->diags, l->host,
                   "'%s' is a server: only an agent can act (declare one with 'agent')", q);
        return NULL;
    }
    return g_ptr_array_index(k->sc->agents, h->index);
}

/* RFC 1939 7 (USER/PASS, APOP) and RFC 3501 6.2.3 (LOGIN): logging in
 * needs a password, the agent's or the action's own. */
static void need_password(Checker *k, const MsScAction *act, const MsScActionLocs *l,
                          const MsScAgent *a)
{
    if (act->password != NULL || a->password != NULL)
        return;
    g_autofree char *q = ms_sc_quote(a->host);
    ms_sc_diag(&k->p->diags, l->verb,
               "'%s' needs a password, but agent '%s' (line %u) has none: add 'password "
               "WORD' to it", ms_sc_action_name(act->kind), q, a->loc.line);
}

/* Where each agent's IMAP session stands while the actions are read. */
typedef struct {
    guint open_line;   /* the 'imap login' of the open session; 0 when none */
    guint closed_line; /* the 'imap logout' that ended the last one */
} Session;

/* A session opens at 'imap login' and ends at 'imap logout'; every step
 * in between travels over its connection (RFC 3501 3: the states). */
static void check_imap(Checker *k, const MsScAction *act, const MsScActionLocs *l,
                       const MsScAgent *a, Session *s)
{
    g_autofree char *q = ms_sc_quote(a->host);
    const char *name = ms_sc_action_name(act->kind);
    switch (act->kind) {
    case MS_SC_IMAP_POLL:
        /* A poll is its own short sessions, beside any open one. */
        need_password(k, act, l, a);
        return;
    case MS_SC_IMAP_LOGIN:
        need_password(k, act, l, a);
        if (s->open_line != 0) {
            ms_sc_diag(&k->p->diags, l->verb,
                       "agent '%s' is already logged in to IMAP (line %u): end that session "
                       "with 'imap logout' first", q, s->open_line);
            return;
        }
        s->open_line = act->loc.line;
        return;
    default:
        break;
    }
    if (s->open_line == 0 && s->closed_line != 0)
        ms_sc_diag(&k->p->diags, l->verb,
                   "'%s' needs an IMAP session, but agent '%s' logged out at line %u: log in "
                   "again with 'imap login'", name, q, s->closed_line);
    else if (s->open_line == 0)
        ms_sc_diag(&k->p->diags, l->verb,
                   "'%s' needs an IMAP session, but agent '%s' has not logged in: write "
                   "'at TIME %s imap login' before it", name, q, q);
    if (act->kind == MS_SC_IMAP_LOGOUT && s->open_line != 0) {
        s->open_line = 0;
        s->closed_line = act->loc.line;
    }
}

static gboolean is_web(MsScActionKind kind)
{
    return kind == MS_SC_WEB_LOGIN || kind == MS_SC_WEB_INBOX || kind == MS_SC_WEB_READ
           || kind == MS_SC_WEB_SEND || kind == MS_SC_WEB_LOGOUT;
}

/* Web mail: the browser talks HTTP to the agent's own server, which must
 * serve it ('webmail on'); the login sets a session cookie that every
 * later step sends back, until 'web logout' (or a new login). */
static void check_web(Checker *k, const MsScAction *act, const MsScActionLocs *l,
                      const MsScAgent *a, Session *s)
{
    const char *name = ms_sc_action_name(act->kind);
    g_autofree char *q = ms_sc_quote(a->host);
    const MsScServer *server = ms_scenario_find_server(k->sc, a->server);
    if (server != NULL && !server->webmail) {
        g_autofree char *qs = ms_sc_quote(server->name);
        ms_sc_diag(&k->p->diags, l->verb,
                   "'%s' needs web mail on server '%s' (line %u), the server of agent '%s': "
                   "add 'webmail on' to its server statement", name, qs, server->loc.line, q);
    }
    if (act->kind == MS_SC_WEB_LOGIN) {
        need_password(k, act, l, a);
        s->open_line = act->loc.line;
        return;
    }
    if (s->open_line == 0 && s->closed_line != 0)
        ms_sc_diag(&k->p->diags, l->verb,
                   "'%s' needs a web-mail session, but agent '%s' logged out at line %u: "
                   "log in again with 'web login'", name, q, s->closed_line);
    else if (s->open_line == 0)
        ms_sc_diag(&k->p->diags, l->verb,
                   "'%s' needs a web-mail session, but agent '%s' has not logged in: write "
                   "'at TIME %s web login' before it", name, q, q);
    if (act->kind == MS_SC_WEB_LOGOUT && s->open_line != 0) {
        s->open_line = 0;
        s->closed_line = act->loc.line;
    }
}

/* A declared host named by a network event or a telnet action, or NULL
 * after reporting (what: "server" or "host"). */
static const Host *named_host(Checker *k, const char *name, MsLoc loc, gboolean server)
{
    const Host *h = lookup(k, name);
    if (h != NULL || ms_sc_is_unsure(k->p, name))
        return h;
    g_autofree char *q = ms_sc_quote(name);
    g_autofree char *more = hint(server ? k->server_names : k->names, name);
    if (server)
        ms_sc_diag(&k->p->diags, loc, "undefined server '%s': no server statement declares "
                                      "it%s", q, more);
    else
        ms_sc_diag(&k->p->diags, loc, "undefined host '%s': no server or agent statement "
                                      "declares it%s", q, more);
    return NULL;
}

static void check_telnet(Checker *k, const MsScAction *act, const MsScActionLocs *l,
                         const Host *self, gboolean reach)
{
    const Host *t = named_host(k, act->target, l->target, TRUE);
    if (t == NULL)
        return;
    g_autofree char *q = ms_sc_quote(act->target);
    if (t->kind != HOST_SERVER) {
        ms_sc_diag(&k->p->diags, l->target,
                   "'%s' is an agent, not a server: telnet connects to a mail server", q);
        return;
    }
    if (reach && !joined(k, self, t)) {
        g_autofree char *qa = ms_sc_quote(act->host);
        ms_sc_diag(&k->p->diags, l->target,
                   "agent '%s' cannot reach '%s': no chain of links joins them", qa, q);
    }
}

static void check_link_event(Checker *k, const MsScAction *act, const MsScActionLocs *l)
{
    const Host *a = named_host(k, act->link_a, l->link_a, FALSE);
    const Host *b = named_host(k, act->link_b, l->link_b, FALSE);
    if (a == NULL || b == NULL || k->p->links_unsure)
        return;
    for (guint i = 0; i < k->sc->links->len; i++) {
        const MsScLink *link = g_ptr_array_index(k->sc->links, i);
        const Host *x = lookup(k, link->a);
        const Host *y = lookup(k, link->b);
        if ((x == a && y == b) || (x == b && y == a))
            return;
    }
    g_autofree char *qa = ms_sc_quote(act->link_a);
    g_autofree char *qb = ms_sc_quote(act->link_b);
    ms_sc_diag(&k->p->diags, l->link_a,
               "no link joins '%s' and '%s': only a declared link can go down or up", qa, qb);
}

static void check_host_event(Checker *k, const MsScAction *act, const MsScActionLocs *l)
{
    const Host *h = named_host(k, act->target, l->target, l->server_only);
    if (h != NULL && l->server_only && h->kind != HOST_SERVER) {
        g_autofree char *q = ms_sc_quote(act->target);
        ms_sc_diag(&k->p->diags, l->target,
                   "'%s' is an agent, not a server: write 'host %s %s' for an agent's "
                   "machine", q, q,
                   act->kind == MS_SC_HOST_DOWN || act->kind == MS_SC_SERVICE_DOWN ? "down"
                                                                                  : "up");
    }
}

static void check_time_order(Checker *k, guint i)
{
    if (i == 0)
        return;
    const MsScAction *act = g_ptr_array_index(k->sc->actions, i);
    const MsScActionLocs *l = g_ptr_array_index(k->p->action_locs, i);
    const MsScAction *prev = g_ptr_array_index(k->sc->actions, i - 1);
    const MsScActionLocs *pl = g_ptr_array_index(k->p->action_locs, i - 1);
    if (act->at >= prev->at)
        return;
    g_autofree char *t = ms_sc_quote(l->time_text);
    g_autofree char *pt = ms_sc_quote(pl->time_text);
    ms_sc_diag(&k->p->diags, l->time,
               "time %s is earlier than the previous action at %s (line %u): actions must "
               "be in time order", t, pt, prev->loc.line);
}

/* How much the simulation may carry: every message a scenario sends goes
 * through TCP one segment of at most `mss` bytes at a time, each segment a
 * few events and trace records; past this many segments (for the default
 * bound on messages, MS_SCENARIO_MAX_MESSAGES; in proportion for a higher
 * one) a run takes minutes and gigabytes (docs/limits.md). */
#define MS_SC_MAX_SEGMENTS G_GUINT64_CONSTANT(500000)
#define MS_SC_DEFAULT_MSS 1460
/* Each message delivered is a whole SMTP dialogue (and a POP3 or IMAP one
 * to read it): a scenario sends at most p->max_messages, counting every
 * `count` and every recipient. */

/* The bytes one send puts on the wire, roughly: its texts and files, each
 * message of `count` once per hop (submission and relay). */
static guint64 send_bytes(const MsScAction *act)
{
    guint64 size = 1024; /* the header, and what the servers add */
    size += act->body != NULL ? strlen(act->body) : 0;
    size += act->html != NULL ? strlen(act->html) : 0;
    for (guint i = 0; i < act->attachments->len; i++) {
        const MsScAttachment *a = g_ptr_array_index(act->attachments, i);
        /* base64: 4 bytes for 3, plus line ends */
        size += a->data != NULL ? g_bytes_get_size(a->data) / 3 * 4 * 78 / 76 + 4 : 0;
    }
    guint64 recipients = act->to->len + act->cc->len + act->bcc->len;
    return size * MAX(act->count, 1) * 2 * MAX(recipients, 1);
}

static void check_traffic(Checker *k, const MsScAction *act, const MsScActionLocs *l,
                          guint64 *segments, guint64 *messages)
{
    guint64 max_messages = k->p->max_messages;
    guint64 max_segments =
        MAX(MS_SC_MAX_SEGMENTS, MS_SC_MAX_SEGMENTS * max_messages / MS_SCENARIO_MAX_MESSAGES);
    guint64 before = *messages;
    guint64 recipients = act->to->len + act->cc->len + act->bcc->len
                         + (act->kind == MS_SC_REPLY ? 1 : 0);
    *messages += (guint64) MAX(act->count, 1) * MAX(recipients, 1);
    if (before <= max_messages && *messages > max_messages)
        ms_sc_diag(&k->p->diags, l->verb,
                   "the sends up to here deliver more than %" G_GUINT64_FORMAT " messages "
                   "(each 'count' and each recipient counts): send fewer (a trusted scenario may "
                   "be allowed more: mailsim run --max-messages)", max_messages);
    guint64 mss = k->sc->mss != 0 ? k->sc->mss : MS_SC_DEFAULT_MSS;
    before = *segments;
    *segments += send_bytes(act) / mss + 1;
    if (before <= max_segments && *segments > max_segments)
        ms_sc_diag(&k->p->diags, l->verb,
                   "the messages sent up to here make more than %" G_GUINT64_FORMAT " TCP "
                   "segments of %" G_GUINT64_FORMAT " bytes: send fewer or smaller messages, "
                   "or raise 'mss'", max_segments, mss);
}

/* The first action that puts a copy of a message on an agent's machine:
 * a POP3 download, an IMAP fetch, read, poll or idle (which fetches what
 * the server announces).  A browser keeps no copy, and 'list-only' fetches
 * nothing. */
typedef struct {
    guint line; /* 0: none yet */
    MsTime at;
} Retrieval;

static gboolean retrieves(const MsScAction *act)
{
    switch (act->kind) {
    case MS_SC_POP3_FETCH: return !act->list_only;
    case MS_SC_IMAP_FETCH_NEW:
    case MS_SC_IMAP_READ:
    case MS_SC_IMAP_POLL:
    case MS_SC_IMAP_IDLE: return TRUE;
    default: return FALSE;
    }
}

/* A reply or a forward answers a message the agent has downloaded; which
 * one is known only when the run gets there, but that there is a download
 * before it, and that it has had time to happen, is known now. */
static void check_original(Checker *k, const MsScAction *act, const MsScActionLocs *l,
                           const MsScAgent *a, const Retrieval *r)
{
    const char *name = ms_sc_action_name(act->kind);
    g_autofree char *q = ms_sc_quote(a->host);
    if (r->line == 0) {
        ms_sc_diag(&k->p->diags, l->verb,
                   "'%s' needs a message that agent '%s' has downloaded, but no 'pop3 fetch', "
                   "'imap fetch new', 'imap read' or 'imap poll' of it comes before: fetch the "
                   "mail first, at an earlier time", name, q);
        return;
    }
    if (r->at >= act->at) {
        g_autofree char *t = ms_sc_quote(l->time_text);
        ms_sc_diag(&k->p->diags, l->time,
                   "'%s' at %s starts together with the first download of agent '%s' (line "
                   "%u), which takes at least a round trip: give the %s a later time", name, t,
                   q, r->line, name);
    }
}

static void check_actions(Checker *k, gboolean reach)
{
    guint64 segments = 0, messages = 0;
    MsScenario *sc = k->sc;
    g_autoptr(GHashTable) reported = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree Session *sessions = g_new0(Session, MAX(sc->agents->len, 1));
    g_autofree Session *web_sessions = g_new0(Session, MAX(sc->agents->len, 1));
    g_autofree Retrieval *retrieved = g_new0(Retrieval, MAX(sc->agents->len, 1));
    for (guint i = 0; i < sc->actions->len; i++) {
        const MsScAction *act = g_ptr_array_index(sc->actions, i);
        const MsScActionLocs *l = g_ptr_array_index(k->p->action_locs, i);
        check_time_order(k, i);
        if (act->kind == MS_SC_LINK_DOWN || act->kind == MS_SC_LINK_UP) {
            check_link_event(k, act, l);
            continue;
        }
        if (act->kind == MS_SC_HOST_DOWN || act->kind == MS_SC_HOST_UP ||
            act->kind == MS_SC_SERVICE_DOWN || act->kind == MS_SC_SERVICE_UP) {
            check_host_event(k, act, l);
            continue;
        }
        const Host *h = NULL;
        const MsScAgent *a = acting_agent(k, act, l, &h);
        gboolean answer = act->kind == MS_SC_REPLY || act->kind == MS_SC_FORWARD;
        if (act->kind == MS_SC_SEND || act->kind == MS_SC_WEB_SEND || answer)
            check_traffic(k, act, l, &segments, &messages);
        if (a != NULL && retrieves(act) && retrieved[h->index].line == 0) {
            retrieved[h->index].line = act->loc.line;
            retrieved[h->index].at = act->at;
        }
        if (a != NULL && answer)
            check_original(k, act, l, a, &retrieved[h->index]);
        if (act->kind == MS_SC_SEND || answer) {
            check_recipients(k, act, act->to, l->to, reach, reported);
            check_recipients(k, act, act->cc, l->cc, reach, reported);
            check_recipients(k, act, act->bcc, l->bcc, reach, reported);
        } else if (act->kind == MS_SC_TELNET) {
            if (a != NULL)
                check_telnet(k, act, l, h, reach);
        } else if (a != NULL && act->kind == MS_SC_POP3_FETCH) {
            need_password(k, act, l, a);
        } else if (is_web(act->kind)) {
            if (act->kind == MS_SC_WEB_SEND)
                check_recipients(k, act, act->to, l->to, reach, reported);
            if (a != NULL)
                check_web(k, act, l, a, &web_sessions[h->index]);
        } else if (a != NULL) {
            check_imap(k, act, l, a, &sessions[h->index]);
        }
    }
}

static const char *declared_name(const Checker *k, const Host *h)
{
    return h->kind == HOST_SERVER
               ? ((const MsScServer *) g_ptr_array_index(k->sc->servers, h->index))->name
               : ((const MsScAgent *) g_ptr_array_index(k->sc->agents, h->index))->host;
}

/* A name that refers to a host is found whatever its case (ms_name_equal),
 * and from here on is spelt as the host was declared, so every output
 * shows one spelling per host. */
static void respell(const Checker *k, char **name)
{
    if (*name == NULL)
        return;
    const Host *h = lookup(k, *name);
    if (h == NULL)
        return;
    const char *declared = declared_name(k, h);
    if (strcmp(*name, declared) != 0) {
        g_free(*name);
        *name = g_strdup(declared);
    }
}

static void respell_references(const Checker *k)
{
    MsScenario *sc = k->sc;
    for (guint i = 0; i < sc->agents->len; i++)
        respell(k, &((MsScAgent *) g_ptr_array_index(sc->agents, i))->server);
    for (guint i = 0; i < sc->links->len; i++) {
        MsScLink *l = g_ptr_array_index(sc->links, i);
        respell(k, &l->a);
        respell(k, &l->b);
    }
    for (guint i = 0; i < sc->actions->len; i++) {
        MsScAction *a = g_ptr_array_index(sc->actions, i);
        respell(k, &a->host);
        respell(k, &a->target);
        respell(k, &a->link_a);
        respell(k, &a->link_b);
    }
}

void ms_sc_validate(MsScParse *p)
{
    MsScenario *sc = p->sc;
    if (sc->servers->len == 0 && sc->agents->len == 0) {
        /* Only worth saying when nothing else is wrong: a file whose every
         * line failed is not "empty". */
        if (ms_sc_diags_count(&p->diags) == 0) {
            MsLoc start = { 1, 1 };
            ms_sc_diag(&p->diags, start, "the scenario declares no hosts: expected at "
                                         "least one 'server' and one 'agent' statement");
        }
        return;
    }
    Checker k = { .p = p, .sc = sc };
    k.hosts = g_hash_table_new(ms_name_hash, ms_name_hash_equal);
    k.all = g_array_new(FALSE, FALSE, sizeof(Host));
    k.names = g_ptr_array_new();
    k.server_names = g_ptr_array_new();

    check_hosts(&k);
    check_domains(&k);
    check_agents(&k);
    check_passwords(&k);
    check_mailboxes(&k);
    gboolean complete = FALSE;
    check_links(&k, &complete);
    if (complete) {
        join_links(&k);
        check_reach_agents(&k);
    }
    check_actions(&k, complete);
    if (ms_sc_diags_count(&p->diags) == 0)
        respell_references(&k);

    g_free(k.parent);
    g_ptr_array_unref(k.names);
    g_ptr_array_unref(k.server_names);
    g_hash_table_unref(k.hosts);
    g_array_unref(k.all);
}
