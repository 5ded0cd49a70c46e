/* parser.c - turns statements of tokens into a scenario.
 *
 * Each statement starts with a keyword that picks its reader from a table;
 * the reader walks the tokens left to right and stops at the first thing it
 * cannot accept, reporting "expected X, found Y" at that token.  One error
 * per statement is enough: once a statement is off the rails, what follows
 * in it says little.  The words of a statement that could not be read are
 * remembered as "unsure", so the later checks do not blame other lines for
 * a host that this one was probably meant to declare.
 */
#include "scenario-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    MsScParse *p;
    MsScStatement *st;
    guint pos;       /* next token */
    gboolean failed; /* an error was reported in this statement */
} Cursor;

static MsScToken *peek(const Cursor *c)
{
    return c->pos < c->st->tokens->len ? g_ptr_array_index(c->st->tokens, c->pos) : NULL;
}

static MsScToken *take(Cursor *c)
{
    MsScToken *tok = peek(c);
    if (tok != NULL)
        c->pos++;
    return tok;
}

/* Where a token is, or where the statement ends when there is none. */
static MsLoc loc_of(const Cursor *c, const MsScToken *tok)
{
    return tok != NULL ? tok->loc : c->st->end;
}

/* How a token reads in "found ...". */
static char *describe(const MsScToken *tok)
{
    if (tok == NULL)
        return g_strdup("end of line");
    g_autofree char *q = ms_sc_quote(tok->text);
    switch (tok->kind) {
    case MS_SC_TOK_STRING: return g_strdup_printf("the string \"%s\"", q);
    case MS_SC_TOK_COMMA: return g_strdup("','");
    case MS_SC_TOK_WORD:
    case MS_SC_N_TOKENS:
    default: return g_strdup_printf("'%s'", q);
    }
}

static void G_GNUC_PRINTF(3, 4) fail(Cursor *c, MsLoc loc, const char *fmt, ...)
{
    if (c->failed)
        return;
    c->failed = TRUE;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ms_sc_diag(&c->p->diags, loc, "%s", msg);
}

/* "expected <what>, found <token>" at the token (or the end of line). */
static void fail_expected(Cursor *c, const MsScToken *tok, const char *what)
{
    g_autofree char *found = describe(tok);
    fail(c, loc_of(c, tok), "expected %s, found %s", what, found);
}

static gboolean is_text(const MsScToken *tok)
{
    return tok != NULL && (tok->kind == MS_SC_TOK_WORD || tok->kind == MS_SC_TOK_STRING);
}

/* A host name, bare or quoted. */
static MsScToken *expect_host(Cursor *c, const char *what)
{
    MsScToken *tok = take(c);
    if (!is_text(tok) || !ms_sc_is_host_name(tok->text)) {
        fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

static MsScToken *expect_address(Cursor *c, const char *what)
{
    MsScToken *tok = take(c);
    if (!is_text(tok) || !ms_sc_is_address(tok->text)) {
        fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

/* Any word or string: a name, a subject, a body, a password. */
static MsScToken *expect_text(Cursor *c, const char *what)
{
    MsScToken *tok = take(c);
    if (!is_text(tok)) {
        fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

static gboolean expect_end(Cursor *c, const char *statement)
{
    MsScToken *tok = peek(c);
    if (tok == NULL)
        return TRUE;
    g_autofree char *found = describe(tok);
    fail(c, tok->loc, "expected the end of the %s statement, found %s", statement, found);
    return FALSE;
}

static const MsScToken *value_text(Cursor *c, const char *what)
{
    MsScToken *tok = take(c);
    if (!is_text(tok)) {
        fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

static gboolean read_duration(Cursor *c, MsTime *out, const MsScToken **tok_out)
{
    const MsScToken *tok = value_text(c, "a duration such as 40ms or 2s");
    if (tok == NULL)
        return FALSE;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_duration(tok->text, out, &why)) {
        fail(c, tok->loc, "%s", why);
        return FALSE;
    }
    if (tok_out != NULL)
        *tok_out = tok;
    return TRUE;
}

/* ---- Options: "keyword value" pairs in any order, each at most once ---- */

#define MAX_OPTIONS 8

/* "'latency', 'bandwidth' or 'loss'" (transfer full). */
static char *option_list(const char *const *names)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; names[i] != NULL; i++) {
        if (i > 0)
            g_string_append(s, names[i + 1] == NULL ? " or " : ", ");
        g_string_append_printf(s, "'%s'", names[i]);
    }
    return g_string_free(s, FALSE);
}

/* Returns the index of the next option keyword in names, -1 at the end of
 * the statement, -2 after reporting an error. */
static int next_option(Cursor *c, const char *const *names, MsLoc *seen, const char *where)
{
    MsScToken *tok = peek(c);
    if (tok == NULL)
        return -1;
    if (tok->kind == MS_SC_TOK_WORD) {
        for (int i = 0; names[i] != NULL; i++) {
            if (strcmp(tok->text, names[i]) != 0)
                continue;
            if (seen[i].line != 0) {
                fail(c, tok->loc, "'%s' is given twice in one %s (first at %u:%u)",
                     names[i], where, seen[i].line, seen[i].column);
                return -2;
            }
            seen[i] = tok->loc;
            c->pos++;
            return i;
        }
    }
    g_autofree char *found = describe(tok);
    g_autofree char *list = option_list(names);
    if (tok->kind == MS_SC_TOK_COMMA || (tok->kind == MS_SC_TOK_WORD && strchr(tok->text, '@'))) {
        /* An address where an option was expected: most likely a list of
         * addresses with a comma forgotten, or a comma too many. */
        fail(c, tok->loc, "expected %s, found %s (separate addresses with one ',')", list,
             found);
        return -2;
    }
    const char *hint = tok->kind == MS_SC_TOK_WORD ? ms_sc_suggest(tok->text, names) : NULL;
    if (hint != NULL)
        fail(c, tok->loc, "expected %s in a %s, found %s; did you mean '%s'?", list, where,
             found, hint);
    else
        fail(c, tok->loc, "expected %s in a %s, found %s", list, where, found);
    return -2;
}

/* ---- Statements ------------------------------------------------------- */

static void parse_scenario(Cursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (p->scenario_line != 0) {
        fail(c, kw->loc, "a second 'scenario' statement: the name was already given "
                         "at line %u", p->scenario_line);
        return;
    }
    p->scenario_line = kw->loc.line;
    MsScToken *name = expect_text(c, "the scenario's name in double quotes, such as "
                                     "\"Alice sends Bob a message\"");
    if (name == NULL || !expect_end(c, "scenario"))
        return;
    if (name->text[0] == '\0') {
        fail(c, name->loc, "the scenario's name is empty");
        return;
    }
    g_free(p->sc->name);
    p->sc->name = g_strdup(name->text);
}

static void parse_seed(Cursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (p->seed_line != 0) {
        fail(c, kw->loc, "a second 'seed' statement: the seed was already given at line %u",
             p->seed_line);
        return;
    }
    p->seed_line = kw->loc.line;
    MsScToken *tok = expect_text(c, "a seed, a whole number such as 1 or 42");
    if (tok == NULL)
        return;
    guint64 seed = 0;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_seed(tok->text, &seed, &why)) {
        fail(c, tok->loc, "%s", why);
        return;
    }
    if (expect_end(c, "seed"))
        p->sc->seed = seed;
}

static void parse_server(Cursor *c, const MsScToken *kw)
{
    MsScToken *name = expect_host(c, "a server's host name such as crepes.fr");
    if (name == NULL)
        return;
    static const char *const names[] = { "domain", NULL };
    MsLoc seen[1] = { { 0, 0 } };
    MsScToken *domain = NULL;
    int opt = next_option(c, names, seen, "server statement");
    if (opt == -1) {
        fail_expected(c, NULL, "'domain' and the mail domain the server serves");
        return;
    }
    if (opt < 0)
        return;
    domain = expect_host(c, "a mail domain such as crepes.fr");
    if (domain == NULL || !expect_end(c, "server"))
        return;

    MsScServer *s = g_new0(MsScServer, 1);
    s->name = g_strdup(name->text);
    s->domain = g_strdup(domain->text);
    s->loc = kw->loc;
    g_ptr_array_add(c->p->sc->servers, s);
    MsScServerLocs locs = { name->loc, domain->loc };
    g_array_append_val(c->p->server_locs, locs);
}

static gboolean has_control(const char *text)
{
    for (const char *q = text; *q != '\0'; q++) {
        if ((guchar) *q < 0x20 || *q == 0x7F)
            return TRUE;
    }
    return FALSE;
}

static void parse_agent(Cursor *c, const MsScToken *kw)
{
    MsScToken *host = expect_host(c, "the agent's host name such as alice-pc");
    if (host == NULL)
        return;
    enum { OPT_USER, OPT_SERVER, OPT_PASSWORD };
    static const char *const names[] = { "user", "server", "password", NULL };
    MsLoc seen[MAX_OPTIONS] = { { 0, 0 } };
    MsScToken *val[3] = { NULL, NULL, NULL };
    int opt;
    for (opt = next_option(c, names, seen, "agent statement"); opt >= 0;
         opt = next_option(c, names, seen, "agent statement")) {
        if (opt == OPT_USER)
            val[opt] = expect_address(c, "the user's address such as alice@crepes.fr");
        else if (opt == OPT_SERVER)
            val[opt] = expect_host(c, "the user's mail server such as crepes.fr");
        else
            val[opt] = expect_text(c, "a password, a word or a string");
        if (val[opt] == NULL)
            return;
    }
    if (opt == -2)
        return;
    if (val[OPT_USER] == NULL) {
        fail_expected(c, NULL, "'user' and the user's address, as in user alice@crepes.fr");
        return;
    }
    if (val[OPT_SERVER] == NULL) {
        fail_expected(c, NULL, "'server' and the user's mail server, as in server crepes.fr");
        return;
    }
    /* RFC 1939 7: PASS takes the rest of the line, so a password may hold
     * spaces but no line break or other control character. */
    if (val[OPT_PASSWORD] != NULL
        && (val[OPT_PASSWORD]->text[0] == '\0' || has_control(val[OPT_PASSWORD]->text))) {
        fail(c, val[OPT_PASSWORD]->loc,
             "a password must be non-empty and hold no control character or line break");
        return;
    }

    MsScAgent *a = g_new0(MsScAgent, 1);
    a->host = g_strdup(host->text);
    a->user = g_strdup(val[OPT_USER]->text);
    a->server = g_strdup(val[OPT_SERVER]->text);
    a->password = val[OPT_PASSWORD] != NULL ? g_strdup(val[OPT_PASSWORD]->text) : NULL;
    a->loc = kw->loc;
    g_ptr_array_add(c->p->sc->agents, a);
    MsScAgentLocs locs = { host->loc, val[OPT_USER]->loc, val[OPT_SERVER]->loc };
    g_array_append_val(c->p->agent_locs, locs);
}

static void parse_link(Cursor *c, const MsScToken *kw)
{
    MsScToken *a = expect_host(c, "the host at one end of the link, such as alice-pc");
    if (a == NULL)
        return;
    MsScToken *b = expect_host(c, "the host at the other end of the link, such as crepes.fr");
    if (b == NULL)
        return;
    if (g_ascii_strcasecmp(a->text, b->text) == 0) {
        g_autofree char *q = ms_sc_quote(b->text);
        fail(c, b->loc, "a link joins two different hosts, but both ends are '%s'", q);
        return;
    }
    enum { OPT_LATENCY, OPT_BANDWIDTH, OPT_LOSS };
    static const char *const names[] = { "latency", "bandwidth", "loss", NULL };
    MsLoc seen[MAX_OPTIONS] = { { 0, 0 } };
    MsTime latency = MS_MSEC;         /* defaults: see docs/scenario-language.md */
    guint64 bandwidth = 10000000;     /* 10 Mbit/s */
    double loss = 0.0;
    int opt;
    for (opt = next_option(c, names, seen, "link statement"); opt >= 0;
         opt = next_option(c, names, seen, "link statement")) {
        g_autofree char *why = NULL;
        if (opt == OPT_LATENCY) {
            if (!read_duration(c, &latency, NULL))
                return;
            continue;
        }
        const MsScToken *tok = value_text(c, opt == OPT_BANDWIDTH
                                                 ? "a rate such as 10Mbit or 512kbit"
                                                 : "a loss such as 1% or 0.01");
        if (tok == NULL)
            return;
        gboolean ok = opt == OPT_BANDWIDTH ? ms_sc_parse_rate(tok->text, &bandwidth, &why)
                                           : ms_sc_parse_loss(tok->text, &loss, &why);
        if (!ok) {
            fail(c, tok->loc, "%s", why);
            return;
        }
    }
    if (opt == -2)
        return;

    MsScLink *l = g_new0(MsScLink, 1);
    l->a = g_strdup(a->text);
    l->b = g_strdup(b->text);
    l->latency = latency;
    l->bandwidth = bandwidth;
    l->loss = loss;
    l->loc = kw->loc;
    g_ptr_array_add(c->p->sc->links, l);
    MsScLinkLocs locs = { a->loc, b->loc };
    g_array_append_val(c->p->link_locs, locs);
}

/* ADDRESS ("," ADDRESS)* into list, positions into locs. */
static gboolean read_addresses(Cursor *c, GPtrArray *list, GArray *locs)
{
    const char *what = "an address such as bob@hamburger.edu";
    for (;;) {
        MsScToken *tok = expect_address(c, what);
        if (tok == NULL)
            return FALSE;
        g_ptr_array_add(list, g_strdup(tok->text));
        g_array_append_val(locs, tok->loc);
        MsScToken *next = peek(c);
        if (next == NULL || next->kind != MS_SC_TOK_COMMA)
            return TRUE;
        c->pos++;
        what = "another address after ','";
    }
}

static gboolean parse_send(Cursor *c, MsScAction *act, MsScActionLocs *locs)
{
    enum { OPT_TO, OPT_CC, OPT_BCC, OPT_SUBJECT, OPT_BODY };
    static const char *const names[] = { "to", "cc", "bcc", "subject", "body", NULL };
    MsLoc seen[MAX_OPTIONS] = { { 0, 0 } };
    int opt;
    for (opt = next_option(c, names, seen, "send action"); opt >= 0;
         opt = next_option(c, names, seen, "send action")) {
        if (opt == OPT_TO || opt == OPT_CC || opt == OPT_BCC) {
            GPtrArray *list = opt == OPT_TO ? act->to : opt == OPT_CC ? act->cc : act->bcc;
            GArray *where = opt == OPT_TO ? locs->to : opt == OPT_CC ? locs->cc : locs->bcc;
            if (!read_addresses(c, list, where))
                return FALSE;
            continue;
        }
        MsScToken *tok = expect_text(c, opt == OPT_SUBJECT
                                            ? "the subject in double quotes, such as \"Ketchup\""
                                            : "the body in double quotes, such as \"Hi!\\n\"");
        if (tok == NULL)
            return FALSE;
        if (opt == OPT_SUBJECT) {
            /* RFC 5322 2.2: a header field is one line; an unfolded
             * subject cannot hold a line break. */
            if (strpbrk(tok->text, "\r\n") != NULL) {
                fail(c, tok->loc, "a subject is one line: it cannot hold a line break");
                return FALSE;
            }
            act->subject = g_strdup(tok->text);
        } else {
            act->body = g_strdup(tok->text);
        }
    }
    if (opt == -2)
        return FALSE;
    if (act->to->len == 0) {
        fail_expected(c, NULL, "'to' and at least one address, as in to bob@hamburger.edu");
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_pop3(Cursor *c, MsScAction *act)
{
    MsScToken *tok = take(c);
    if (tok == NULL || tok->kind != MS_SC_TOK_WORD || strcmp(tok->text, "fetch") != 0) {
        fail_expected(c, tok, "'fetch' after 'pop3'");
        return FALSE;
    }
    tok = take(c);
    if (tok != NULL) {
        /* RFC 1939 3: DELE in the transaction state removes a message at
         * QUIT; "keep" fetches without DELE. */
        if (tok->kind == MS_SC_TOK_WORD && strcmp(tok->text, "keep") == 0) {
            act->keep = TRUE;
        } else if (tok->kind != MS_SC_TOK_WORD || strcmp(tok->text, "delete") != 0) {
            static const char *const modes[] = { "delete", "keep", NULL };
            const char *hint = tok->kind == MS_SC_TOK_WORD ? ms_sc_suggest(tok->text, modes) : NULL;
            g_autofree char *found = describe(tok);
            if (hint != NULL)
                fail(c, tok->loc, "expected 'delete' or 'keep', found %s; did you mean '%s'?",
                     found, hint);
            else
                fail(c, tok->loc, "expected 'delete' or 'keep', found %s", found);
            return FALSE;
        }
    }
    return expect_end(c, "pop3 fetch");
}

static void action_locs_free(gpointer data)
{
    MsScActionLocs *l = data;
    if (l == NULL)
        return;
    g_free(l->time_text);
    g_clear_pointer(&l->to, g_array_unref);
    g_clear_pointer(&l->cc, g_array_unref);
    g_clear_pointer(&l->bcc, g_array_unref);
    g_free(l);
}

static MsScActionLocs *action_locs_new(void)
{
    MsScActionLocs *l = g_new0(MsScActionLocs, 1);
    l->to = g_array_new(FALSE, FALSE, sizeof(MsLoc));
    l->cc = g_array_new(FALSE, FALSE, sizeof(MsLoc));
    l->bcc = g_array_new(FALSE, FALSE, sizeof(MsLoc));
    return l;
}

static void parse_at(Cursor *c, const MsScToken *kw)
{
    MsTime at = 0;
    const MsScToken *time_tok = NULL;
    if (!read_duration(c, &at, &time_tok))
        return;
    MsScToken *host = expect_host(c, "the host name of the agent that acts, such as alice-pc");
    if (host == NULL)
        return;
    MsScToken *verb = take(c);
    static const char *const verbs[] = { "send", "pop3", NULL };
    MsScActionKind kind;
    if (verb != NULL && verb->kind == MS_SC_TOK_WORD && strcmp(verb->text, "send") == 0) {
        kind = MS_SC_SEND;
    } else if (verb != NULL && verb->kind == MS_SC_TOK_WORD && strcmp(verb->text, "pop3") == 0) {
        kind = MS_SC_POP3_FETCH;
    } else {
        const char *hint = is_text(verb) ? ms_sc_suggest(verb->text, verbs) : NULL;
        g_autofree char *found = describe(verb);
        if (hint != NULL)
            fail(c, loc_of(c, verb), "expected an action, 'send' or 'pop3 fetch', found %s; "
                                     "did you mean '%s'?", found, hint);
        else
            fail(c, loc_of(c, verb), "expected an action, 'send' or 'pop3 fetch', found %s",
                 found);
        return;
    }

    MsScAction *act = ms_sc_action_new(kind);
    MsScActionLocs *locs = action_locs_new();
    act->at = at;
    act->host = g_strdup(host->text);
    act->loc = kw->loc;
    locs->time = time_tok->loc;
    locs->host = host->loc;
    locs->verb = verb->loc;
    locs->time_text = g_strdup(time_tok->text);

    gboolean ok = kind == MS_SC_SEND ? parse_send(c, act, locs) : parse_pop3(c, act);
    if (!ok) {
        ms_sc_action_free(act);
        action_locs_free(locs);
        return;
    }
    g_ptr_array_add(c->p->sc->actions, act);
    g_ptr_array_add(c->p->action_locs, locs);
}

typedef void (*StatementFn)(Cursor *c, const MsScToken *kw);

static const struct {
    const char *keyword;
    StatementFn parse;
} statement_table[] = {
    { "scenario", parse_scenario },
    { "seed", parse_seed },
    { "server", parse_server },
    { "agent", parse_agent },
    { "link", parse_link },
    { "at", parse_at },
};

static const char *const keywords[] = { "scenario", "seed", "server", "agent", "link", "at",
                                        NULL };

/* A statement that could not be read: remember its words (see top). */
static void give_up(MsScParse *p, const MsScStatement *st)
{
    for (guint i = 0; i < st->tokens->len; i++) {
        const MsScToken *tok = g_ptr_array_index(st->tokens, i);
        if (tok->kind != MS_SC_TOK_COMMA)
            g_hash_table_add(p->unsure, g_ascii_strdown(tok->text, -1));
    }
    /* A link we could not read, or a statement we cannot tell is not one,
     * may be the missing piece of a path between two hosts. */
    const MsScToken *first = st->tokens->len > 0 ? g_ptr_array_index(st->tokens, 0) : NULL;
    gboolean other = FALSE;
    for (guint k = 0; first != NULL && k < G_N_ELEMENTS(statement_table); k++) {
        if (strcmp(first->text, statement_table[k].keyword) == 0)
            other = strcmp(first->text, "link") != 0;
    }
    if (!other)
        p->links_unsure = TRUE;
}

gboolean ms_sc_is_unsure(const MsScParse *p, const char *name)
{
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_contains(p->unsure, key);
}

void ms_sc_parse_statements(MsScParse *p, GPtrArray *statements)
{
    for (guint i = 0; i < statements->len && !ms_sc_diags_full(&p->diags); i++) {
        MsScStatement *st = g_ptr_array_index(statements, i);
        if (st->broken) {
            give_up(p, st);
            continue;
        }
        Cursor c = { .p = p, .st = st, .pos = 1 };
        const MsScToken *kw = g_ptr_array_index(st->tokens, 0);
        StatementFn fn = NULL;
        for (guint k = 0; kw->kind == MS_SC_TOK_WORD && k < G_N_ELEMENTS(statement_table); k++) {
            if (strcmp(kw->text, statement_table[k].keyword) == 0)
                fn = statement_table[k].parse;
        }
        if (fn != NULL) {
            fn(&c, kw);
        } else {
            g_autofree char *found = describe(kw);
            const char *hint = kw->kind == MS_SC_TOK_WORD ? ms_sc_suggest(kw->text, keywords)
                                                          : NULL;
            if (hint != NULL)
                fail(&c, kw->loc, "unknown keyword %s; did you mean '%s'?", found, hint);
            else if (kw->kind == MS_SC_TOK_WORD)
                fail(&c, kw->loc, "unknown keyword %s: a statement starts with scenario, "
                                  "seed, server, agent, link or at", found);
            else
                fail(&c, kw->loc, "expected a keyword (scenario, seed, server, agent, link "
                                  "or at), found %s", found);
        }
        if (c.failed)
            give_up(p, st);
    }
}

/* ---- Entry points ----------------------------------------------------- */

/* "scenarios/smtp-basic.mss" -> "smtp-basic" */
static char *file_stem(const char *file)
{
    char *base = g_path_get_basename(file);
    char *dot = strrchr(base, '.');
    if (dot != NULL && dot != base)
        *dot = '\0';
    return base;
}

MsScenario *ms_scenario_parse_string(const char *text, gssize len, const char *filename,
                                     GError **error)
{
    g_return_val_if_fail(text != NULL || len == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    gsize n = len < 0 ? strlen(text) : (gsize) len;
    const char *file = filename != NULL ? filename : "<string>";

    MsScParse p = { 0 };
    ms_sc_diags_init(&p.diags);
    p.sc = ms_sc_scenario_new();
    p.sc->file = g_strdup(file);
    p.server_locs = g_array_new(FALSE, FALSE, sizeof(MsScServerLocs));
    p.agent_locs = g_array_new(FALSE, FALSE, sizeof(MsScAgentLocs));
    p.link_locs = g_array_new(FALSE, FALSE, sizeof(MsScLinkLocs));
    p.action_locs = g_ptr_array_new_with_free_func(action_locs_free);
    p.unsure = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    GPtrArray *statements = ms_sc_lex(text != NULL ? text : "", n, &p.diags);
    ms_sc_parse_statements(&p, statements);
    g_ptr_array_unref(statements);
    /* A full list means a file that is not a scenario at all; checking
     * its few readable statements against each other would add nothing. */
    if (!ms_sc_diags_full(&p.diags))
        ms_sc_validate(&p);

    MsScenario *result = NULL;
    if (ms_sc_diags_count(&p.diags) > 0) {
        g_autofree char *msg = ms_sc_diags_format(&p.diags, file);
        g_set_error_literal(error, MS_ERROR, MS_ERROR_SCENARIO, msg);
        ms_scenario_free(p.sc);
    } else {
        result = p.sc;
        if (result->name == NULL)
            result->name = filename != NULL ? file_stem(filename) : g_strdup("scenario");
    }
    ms_sc_diags_clear(&p.diags);
    g_array_unref(p.server_locs);
    g_array_unref(p.agent_locs);
    g_array_unref(p.link_locs);
    g_ptr_array_unref(p.action_locs);
    g_hash_table_unref(p.unsure);
    return result;
}

static char *read_whole_file(const char *path, gsize *len_out, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int e = errno;
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "%s: cannot read the scenario file: %s",
                    path, g_strerror(e));
        return NULL;
    }
    g_autoptr(GString) buf = g_string_new(NULL);
    char chunk[8192];
    size_t got = fread(chunk, 1, sizeof chunk, f);
    while (got > 0) {
        g_string_append_len(buf, chunk, (gssize) got);
        got = fread(chunk, 1, sizeof chunk, f);
    }
    int e = errno;
    gboolean bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "%s: cannot read the scenario file: %s",
                    path, g_strerror(e));
        return NULL;
    }
    *len_out = buf->len;
    return g_string_free(g_steal_pointer(&buf), FALSE);
}

MsScenario *ms_scenario_parse_file(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    gsize len = 0;
    g_autofree char *text = read_whole_file(path, &len, error);
    if (text == NULL)
        return NULL;
    return ms_scenario_parse_string(text, (gssize) len, path, error);
}
