/* scenario.c - the scenario as data: freeing it, looking things up in it,
 * and the list of errors found while reading it.
 *
 * Errors are collected, not thrown: the reader goes on after a mistake so
 * that one run shows every problem of the file, sorted by position, in the
 * "file:line:column: error: ..." form editors and graders understand.
 */
#include "scenario-private.h"

#include <string.h>

static const char *const action_names[] = {
#define MS_SC_ACTION_NAME_(e, s) s,
    MS_SC_ACTIONS(MS_SC_ACTION_NAME_)
#undef MS_SC_ACTION_NAME_
};

static const char *const profile_names[] = {
#define MS_SC_PROFILE_NAME_(e, s) s,
    MS_SC_PROFILES(MS_SC_PROFILE_NAME_)
#undef MS_SC_PROFILE_NAME_
};

static const char *const line_end_names[] = {
#define MS_SC_LINE_END_NAME_(e, s, octets) s,
    MS_SC_LINE_ENDS(MS_SC_LINE_END_NAME_)
#undef MS_SC_LINE_END_NAME_
};

static const char *const line_end_octets[] = {
#define MS_SC_LINE_END_OCTETS_(e, s, octets) octets,
    MS_SC_LINE_ENDS(MS_SC_LINE_END_OCTETS_)
#undef MS_SC_LINE_END_OCTETS_
};

const char *ms_sc_action_name(MsScActionKind kind)
{
    g_return_val_if_fail(kind < MS_SC_N_ACTIONS, "?");
    return action_names[kind];
}

const char *ms_sc_profile_name(MsScProfile profile)
{
    g_return_val_if_fail(profile < MS_SC_N_PROFILES, "?");
    return profile_names[profile];
}

const char *ms_sc_line_end_name(MsScLineEnd end)
{
    g_return_val_if_fail(end < MS_SC_N_LINE_ENDS, "?");
    return line_end_names[end];
}

const char *ms_sc_line_end_octets(MsScLineEnd end)
{
    g_return_val_if_fail(end < MS_SC_N_LINE_ENDS, "\r\n");
    return line_end_octets[end];
}

/* ---- Freeing ---------------------------------------------------------- */

void ms_sc_server_free(gpointer data)
{
    MsScServer *s = data;
    if (s == NULL)
        return;
    g_free(s->name);
    g_free(s->domain);
    g_free(s);
}

void ms_sc_agent_free(gpointer data)
{
    MsScAgent *a = data;
    if (a == NULL)
        return;
    g_free(a->host);
    g_free(a->user);
    g_free(a->server);
    g_free(a->password);
    g_free(a);
}

void ms_sc_mailbox_free(gpointer data)
{
    MsScMailbox *m = data;
    if (m == NULL)
        return;
    g_free(m->address);
    g_free(m->password);
    g_free(m);
}

void ms_sc_attachment_free(gpointer data)
{
    MsScAttachment *a = data;
    if (a == NULL)
        return;
    g_free(a->path);
    g_free(a->filename);
    g_free(a->content_type);
    g_clear_pointer(&a->data, g_bytes_unref);
    g_free(a);
}

void ms_sc_step_free(gpointer data)
{
    MsScTelnetStep *st = data;
    if (st == NULL)
        return;
    g_free(st->text);
    g_free(st);
}

void ms_sc_link_free(gpointer data)
{
    MsScLink *l = data;
    if (l == NULL)
        return;
    g_free(l->a);
    g_free(l->b);
    g_free(l);
}

MsScAction *ms_sc_action_new(MsScActionKind kind)
{
    MsScAction *a = g_new0(MsScAction, 1);
    a->kind = kind;
    a->to = g_ptr_array_new_with_free_func(g_free);
    a->to_names = g_ptr_array_new_with_free_func(g_free);
    a->cc_names = g_ptr_array_new_with_free_func(g_free);
    a->cc = g_ptr_array_new_with_free_func(g_free);
    a->bcc = g_ptr_array_new_with_free_func(g_free);
    a->attachments = g_ptr_array_new_with_free_func(ms_sc_attachment_free);
    a->headers = g_ptr_array_new_with_free_func(g_free);
    a->steps = g_ptr_array_new_with_free_func(ms_sc_step_free);
    a->encoding = MS_TE_AUTO;
    a->count = 1;
    return a;
}

void ms_sc_action_free(gpointer data)
{
    MsScAction *a = data;
    if (a == NULL)
        return;
    g_free(a->host);
    g_clear_pointer(&a->to, g_ptr_array_unref);
    g_clear_pointer(&a->to_names, g_ptr_array_unref);
    g_clear_pointer(&a->cc_names, g_ptr_array_unref);
    g_clear_pointer(&a->cc, g_ptr_array_unref);
    g_clear_pointer(&a->bcc, g_ptr_array_unref);
    g_free(a->subject);
    g_free(a->original);
    g_free(a->body);
    g_free(a->from);
    g_free(a->body_file);
    g_free(a->html);
    g_free(a->html_file);
    g_clear_pointer(&a->attachments, g_ptr_array_unref);
    g_clear_pointer(&a->headers, g_ptr_array_unref);
    g_free(a->charset);
    g_free(a->password);
    g_free(a->folder);
    g_free(a->new_folder);
    g_free(a->flag);
    g_free(a->criteria);
    g_free(a->link_a);
    g_free(a->link_b);
    g_free(a->target);
    g_free(a->service);
    g_clear_pointer(&a->steps, g_ptr_array_unref);
    g_free(a);
}

MsScenario *ms_sc_scenario_new(void)
{
    MsScenario *sc = g_new0(MsScenario, 1);
    sc->seed = 1;
    sc->servers = g_ptr_array_new_with_free_func(ms_sc_server_free);
    sc->agents = g_ptr_array_new_with_free_func(ms_sc_agent_free);
    sc->links = g_ptr_array_new_with_free_func(ms_sc_link_free);
    sc->actions = g_ptr_array_new_with_free_func(ms_sc_action_free);
    sc->mailboxes = g_ptr_array_new_with_free_func(ms_sc_mailbox_free);
    sc->start = MS_SC_DEFAULT_START;
    return sc;
}

void ms_scenario_free(MsScenario *scenario)
{
    if (scenario == NULL)
        return;
    g_free(scenario->file);
    g_free(scenario->name);
    g_free(scenario->name_zh);
    g_clear_pointer(&scenario->servers, g_ptr_array_unref);
    g_clear_pointer(&scenario->agents, g_ptr_array_unref);
    g_clear_pointer(&scenario->links, g_ptr_array_unref);
    g_clear_pointer(&scenario->actions, g_ptr_array_unref);
    g_clear_pointer(&scenario->mailboxes, g_ptr_array_unref);
    g_clear_pointer(&scenario->agent_index, g_hash_table_unref);
    g_clear_pointer(&scenario->server_index, g_hash_table_unref);
    g_clear_pointer(&scenario->domain_index, g_hash_table_unref);
    g_free(scenario);
}

/* ---- Look-ups ----------------------------------------------------------
 * Host names and domains are compared by the program's one rule,
 * ms_name_equal (without regard to ASCII case, as DNS does); the first
 * declared wins.  A campus scenario has thousands of agents and every
 * action looks its agent up, so the look-ups go through hash tables, built
 * on first use and again whenever a list has grown (the scenario is plain
 * data that its builder may extend).  The indexes are a cache: building one
 * in a scenario passed as const changes nothing a caller can see. */

static GHashTable *name_table(void)
{
    return g_hash_table_new(ms_name_hash, ms_name_hash_equal);
}

static void index_servers(MsScenario *sc)
{
    if (sc->server_index != NULL && sc->server_indexed == sc->servers->len)
        return;
    g_clear_pointer(&sc->server_index, g_hash_table_unref);
    g_clear_pointer(&sc->domain_index, g_hash_table_unref);
    sc->server_index = name_table();
    sc->domain_index = name_table();
    for (guint i = 0; i < sc->servers->len; i++) {
        MsScServer *s = g_ptr_array_index(sc->servers, i);
        if (s->name != NULL && !g_hash_table_contains(sc->server_index, s->name))
            g_hash_table_insert(sc->server_index, s->name, s);
        if (s->domain != NULL && !g_hash_table_contains(sc->domain_index, s->domain))
            g_hash_table_insert(sc->domain_index, s->domain, s);
    }
    sc->server_indexed = sc->servers->len;
}

const MsScServer *ms_scenario_find_server(const MsScenario *sc, const char *name)
{
    g_return_val_if_fail(sc != NULL && name != NULL, NULL);
    index_servers((MsScenario *) sc);
    return g_hash_table_lookup(sc->server_index, name);
}

const MsScServer *ms_scenario_server_for_domain(const MsScenario *sc, const char *domain)
{
    g_return_val_if_fail(sc != NULL && domain != NULL, NULL);
    index_servers((MsScenario *) sc);
    return g_hash_table_lookup(sc->domain_index, domain);
}

const MsScAgent *ms_scenario_find_agent(const MsScenario *sc, const char *host)
{
    g_return_val_if_fail(sc != NULL && host != NULL, NULL);
    MsScenario *w = (MsScenario *) sc;
    if (w->agent_index == NULL || w->agent_indexed != w->agents->len) {
        g_clear_pointer(&w->agent_index, g_hash_table_unref);
        w->agent_index = name_table();
        for (guint i = 0; i < w->agents->len; i++) {
            MsScAgent *a = g_ptr_array_index(w->agents, i);
            if (a->host != NULL && !g_hash_table_contains(w->agent_index, a->host))
                g_hash_table_insert(w->agent_index, a->host, a);
        }
        w->agent_indexed = w->agents->len;
    }
    return g_hash_table_lookup(w->agent_index, host);
}

/* ---- Diagnostics ------------------------------------------------------ */

static void diag_free(gpointer data)
{
    MsScDiag *d = data;
    if (d == NULL)
        return;
    g_free(d->message);
    g_free(d);
}

void ms_sc_diags_init(MsScDiags *diags)
{
    diags->items = g_ptr_array_new_with_free_func(diag_free);
    diags->dropped = 0;
}

void ms_sc_diags_clear(MsScDiags *diags)
{
    g_clear_pointer(&diags->items, g_ptr_array_unref);
    diags->dropped = 0;
}

void ms_sc_diag(MsScDiags *diags, MsLoc loc, const char *fmt, ...)
{
    if (diags->items->len >= MS_SC_MAX_KEPT_ERRORS) {
        diags->dropped++;
        return;
    }
    MsScDiag *d = g_new0(MsScDiag, 1);
    d->loc = loc;
    d->seq = diags->items->len;
    va_list ap;
    va_start(ap, fmt);
    d->message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(diags->items, d);
}

guint ms_sc_diags_count(const MsScDiags *diags)
{
    return diags->items->len + diags->dropped;
}

gboolean ms_sc_diags_full(const MsScDiags *diags)
{
    return diags->items->len >= MS_SC_MAX_KEPT_ERRORS;
}

static gint diag_cmp(gconstpointer pa, gconstpointer pb)
{
    const MsScDiag *a = *(const MsScDiag *const *) pa;
    const MsScDiag *b = *(const MsScDiag *const *) pb;
    if (a->loc.line != b->loc.line)
        return a->loc.line < b->loc.line ? -1 : 1;
    if (a->loc.column != b->loc.column)
        return a->loc.column < b->loc.column ? -1 : 1;
    return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
}

char *ms_sc_diags_format(MsScDiags *diags, const char *file)
{
    g_ptr_array_sort(diags->items, diag_cmp);
    GString *out = g_string_new(NULL);
    guint total = ms_sc_diags_count(diags);
    guint shown = MIN(diags->items->len, (guint) MS_SC_MAX_SHOWN_ERRORS);
    for (guint i = 0; i < shown; i++) {
        const MsScDiag *d = g_ptr_array_index(diags->items, i);
        if (i > 0)
            g_string_append_c(out, '\n');
        g_string_append_printf(out, "%s:%u:%u: error: %s", file, d->loc.line,
                               d->loc.column, d->message);
    }
    if (total > shown) {
        const MsScDiag *next = g_ptr_array_index(diags->items, shown);
        if (ms_sc_diags_full(diags)) {
            /* Reading stopped at the last error kept, the last one found
             * (not the first one left out of the list, which is far
             * earlier in the file). */
            const MsScDiag *last = next;
            for (guint i = 0; i < diags->items->len; i++) {
                const MsScDiag *d = g_ptr_array_index(diags->items, i);
                if (d->seq > last->seq)
                    last = d;
            }
            g_string_append_printf(out, "\n%s:%u:%u: error: too many errors (more than %u); "
                                   "the file was not checked after this point",
                                   file, last->loc.line, last->loc.column, total);
        } else
            g_string_append_printf(out, "\n%s:%u:%u: error: too many errors; %u more not shown",
                                   file, next->loc.line, next->loc.column, total - shown);
    }
    return g_string_free(out, FALSE);
}

/* Longest piece of input quoted in a message, in bytes. */
#define QUOTE_MAX 40

static char *quote_up_to(const char *text, gsize max)
{
    GString *out = g_string_new(NULL);
    const char *p = text;
    while (*p != '\0') {
        if (out->len >= max) {
            g_string_append(out, "...");
            break;
        }
        guchar c = (guchar) *p;
        if (c == '\n') {
            g_string_append(out, "\\n");
        } else if (c == '\t') {
            g_string_append(out, "\\t");
        } else if (c < 0x20 || c == 0x7F) {
            g_string_append_printf(out, "\\x%02X", c);
        } else if (c >= 0x80) {
            /* Keep whole UTF-8 characters; escape bytes that are not. */
            gunichar u = g_utf8_get_char_validated(p, -1);
            if (u == (gunichar) -1 || u == (gunichar) -2) {
                g_string_append_printf(out, "\\x%02X", c);
            } else {
                gsize n = (gsize) g_unichar_to_utf8(u, NULL);
                g_string_append_len(out, p, (gssize) n);
                p += n;
                continue;
            }
        } else {
            g_string_append_c(out, (char) c);
        }
        p++;
    }
    return g_string_free(out, FALSE);
}

char *ms_sc_quote(const char *text)
{
    return quote_up_to(text, QUOTE_MAX);
}

char *ms_sc_escape(const char *text)
{
    return quote_up_to(text, G_MAXSIZE);
}
