/* parser.c - turns statements of tokens into a scenario: the declarations
 * (scenario, seed, start, mss, rto, server, agent, mailbox, link) and the
 * dispatch of every statement to its reader.
 *
 * Each statement starts with a keyword that picks its reader from a table.
 * The words of a statement that could not be read are remembered as
 * "unsure", so the later checks do not blame other lines for a host that
 * this one was probably meant to declare.  A telnet block ('at ... telnet'
 * up to 'end') is the one construct that spans lines: while it is open,
 * 'type' and 'pause' lines belong to it.
 */
#include "scenario-private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- Statements ------------------------------------------------------- */

/* A statement that may appear once per file: FALSE, after reporting,
 * on the second. */
static gboolean first_time(MsScCursor *c, const MsScToken *kw, guint *line, const char *what)
{
    if (*line != 0) {
        ms_sc_fail(c, kw->loc, "a second '%s' statement: the %s was already given at line %u",
                   kw->text, what, *line);
        return FALSE;
    }
    *line = kw->loc.line;
    return TRUE;
}

static void parse_scenario(MsScCursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (!first_time(c, kw, &p->scenario_line, "name"))
        return;
    MsScToken *name = ms_sc_expect_text(c, "the scenario's name in double quotes, such as "
                                           "\"Alice sends Bob a message\"");
    if (name == NULL)
        return;
    /* scenario "NAME" zh "中文名": the title of the Chinese outputs. */
    MsScToken *zh = NULL;
    MsScToken *next = ms_sc_peek(c);
    if (next != NULL && !ms_sc_is_word(next, "zh")) {
        static const char *const after_name[] = { "zh", NULL };
        ms_sc_fail_choice(c, next, after_name, " after the scenario's name");
        return;
    }
    if (next != NULL) {
        ms_sc_take(c);
        zh = ms_sc_expect_text(c, "the scenario's Chinese name in double quotes after 'zh', "
                                  "such as \"Alice 给 Bob 发一封邮件\"");
        if (zh == NULL)
            return;
    }
    if (!ms_sc_expect_end(c, "scenario"))
        return;
    if (name->text[0] == '\0' || (zh != NULL && zh->text[0] == '\0')) {
        ms_sc_fail(c, (zh != NULL && zh->text[0] == '\0' ? zh : name)->loc,
                   "the scenario's name is empty");
        return;
    }
    g_free(p->sc->name);
    p->sc->name = g_strdup(name->text);
    g_free(p->sc->name_zh);
    p->sc->name_zh = zh != NULL ? g_strdup(zh->text) : NULL;
}

static void parse_seed(MsScCursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (!first_time(c, kw, &p->seed_line, "seed"))
        return;
    MsScToken *tok = ms_sc_expect_text(c, "a seed, a whole number such as 1 or 42");
    if (tok == NULL)
        return;
    guint64 seed = 0;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_seed(tok->text, &seed, &why)) {
        ms_sc_fail(c, tok->loc, "%s", why);
        return;
    }
    if (ms_sc_expect_end(c, "seed"))
        p->sc->seed = seed;
}

static void parse_start(MsScCursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (!first_time(c, kw, &p->start_line, "start time"))
        return;
    MsScToken *tok = ms_sc_expect_text(c, "a date and time in UTC, such as "
                                          "\"2023-03-23 12:00\"");
    if (tok == NULL)
        return;
    gint64 start = 0;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_date(tok->text, &start, &why)) {
        ms_sc_fail(c, tok->loc, "%s", why);
        return;
    }
    if (ms_sc_expect_end(c, "start"))
        p->sc->start = start;
}

/* RFC 9293 3.7.1: the MSS counts the data of a segment; an IPv4 datagram of
 * at most 65535 bytes with 20-byte IP and TCP headers holds 65495. */
#define MAX_MSS 65495

static void parse_mss(MsScCursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (!first_time(c, kw, &p->mss_line, "segment size"))
        return;
    MsScToken *tok = ms_sc_expect_text(c, "a segment size in bytes, such as 1460 or 536B");
    if (tok == NULL)
        return;
    guint64 mss = 0;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_size(tok->text, &mss, &why)) {
        ms_sc_fail(c, tok->loc, "%s", why);
        return;
    }
    if (mss == 0 || mss > MAX_MSS) {
        g_autofree char *q = ms_sc_quote(tok->text);
        ms_sc_fail(c, tok->loc, "segment size '%s' is out of range: expected 1 to %u bytes",
                   q, MAX_MSS);
        return;
    }
    if (ms_sc_expect_end(c, "mss"))
        p->sc->mss = (guint32) mss;
}

static void parse_rto(MsScCursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (!first_time(c, kw, &p->rto_line, "retransmission timeout"))
        return;
    MsTime rto = 0;
    const MsScToken *tok = NULL;
    if (!ms_sc_read_duration(c, &rto, &tok))
        return;
    if (rto == 0) {
        ms_sc_fail(c, tok->loc, "a retransmission timeout of 0s would resend at once: "
                                "expected more than 0s");
        return;
    }
    if (ms_sc_expect_end(c, "rto"))
        p->sc->rto = rto;
}

/* A duration that must be more than zero (what: "a retry interval"). */
static gboolean read_positive(MsScCursor *c, const char *what, MsTime *out, MsLoc *loc_out)
{
    const MsScToken *tok = NULL;
    if (!ms_sc_read_duration(c, out, &tok))
        return FALSE;
    if (loc_out != NULL)
        *loc_out = tok->loc;
    if (*out == 0) {
        ms_sc_fail(c, tok->loc, "%s of 0s makes no sense: expected more than 0s", what);
        return FALSE;
    }
    return TRUE;
}

static gboolean read_max_size(MsScCursor *c, guint64 *out)
{
    MsScToken *tok = ms_sc_expect_text(c, "a size such as 10MB, or 'none'");
    if (tok == NULL)
        return FALSE;
    if (ms_sc_is_word(tok, "none")) {
        *out = 0;
        return TRUE;
    }
    g_autofree char *why = NULL;
    if (!ms_sc_parse_size(tok->text, out, &why)) {
        ms_sc_fail(c, tok->loc, "%s", why);
        return FALSE;
    }
    if (*out == 0) {
        ms_sc_fail(c, tok->loc, "a size limit of 0 bytes would refuse every message; "
                                "write 'max-size none' (or leave it out) for no limit");
        return FALSE;
    }
    return TRUE;
}

/* RFC 5321 4.5.4.1: the retry interval SHOULD be at least 30 minutes.  A
 * lecture wants to see retries sooner, so the floor is one second: below it
 * a queue that cannot deliver would fill the trace with attempts. */
#define MS_SC_MIN_RETRY MS_SEC
/* A message is retried at most this many times before it is bounced
 * (give-up / retry), which bounds the work of a queue that never empties. */
#define MS_SC_MAX_ATTEMPTS 1000

static gboolean read_retry(MsScCursor *c, MsTime *out, MsLoc *loc_out)
{
    const MsScToken *tok = NULL;
    if (!ms_sc_read_duration(c, out, &tok))
        return FALSE;
    *loc_out = tok->loc;
    if (*out == 0) {
        ms_sc_fail(c, tok->loc, "a retry interval of 0s makes no sense: expected at least 1s");
        return FALSE;
    }
    if (*out < MS_SC_MIN_RETRY) {
        g_autofree char *q = ms_sc_quote(tok->text);
        ms_sc_fail(c, tok->loc, "a retry interval of %s is too short: expected at least 1s "
                                "(RFC 5321 4.5.4.1 suggests 30min)", q);
        return FALSE;
    }
    return TRUE;
}

/* 'connect-timeout DURATION' (more than 0s) or 'connect-timeout none'. */
static gboolean read_connect_timeout(MsScCursor *c, MsTime *out)
{
    MsScToken *tok = ms_sc_peek(c);
    if (ms_sc_is_word(tok, "none")) {
        c->pos++;
        *out = 0;
        return TRUE;
    }
    MsLoc loc = { 0, 0 };
    return read_positive(c, "a connect timeout", out, &loc);
}

static void parse_server(MsScCursor *c, const MsScToken *kw)
{
    MsScToken *name = ms_sc_expect_host(c, "a server's host name such as crepes.fr");
    if (name == NULL)
        return;
    enum { OPT_DOMAIN, OPT_PROFILE, OPT_RELAY, OPT_RETRY, OPT_GIVE_UP, OPT_PERSISTENT,
           OPT_PIPELINING, OPT_8BITMIME, OPT_MAX_SIZE, OPT_SUBMISSION, OPT_WEBMAIL,
           OPT_UNKNOWN_USERS, OPT_CONNECT_TIMEOUT };
    static const char *const names[] = { "domain", "profile", "relay", "retry", "give-up",
                                         "persistent", "pipelining", "8bitmime", "max-size",
                                         "submission", "webmail", "unknown-users",
                                         "connect-timeout", NULL };
    static const char *const unknown[] = { "reject", "bounce", NULL };
    static const char *const relays[] = { "closed", "open", NULL };
    static const char *const ports[] = { "25", "587", NULL };
    static const char *const profiles[] = {
#define MS_SC_PROFILE_NAME_(e, s) s,
        MS_SC_PROFILES(MS_SC_PROFILE_NAME_)
#undef MS_SC_PROFILE_NAME_
        NULL
    };
    /* Defaults: see docs/scenario-language.md, "server". */
    MsScServer s = { .retry = 30 * MS_MINUTE, .give_up = 5 * MS_DAY, .persistent = TRUE,
                     .pipelining = TRUE, .eightbitmime = TRUE, .submission_port = 25 };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    MsScToken *domain = NULL;
    MsLoc retry_loc = kw->loc;
    MsLoc give_up_loc = { 0, 0 };
    for (int opt = ms_sc_next_option(c, names, seen, 0, "server statement"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "server statement")) {
        gboolean ok = FALSE;
        int i = 0;
        switch (opt) {
        case OPT_DOMAIN:
            domain = ms_sc_expect_host(c, "a mail domain such as crepes.fr");
            ok = domain != NULL;
            break;
        case OPT_PROFILE:
            i = ms_sc_read_choice(c, profiles, " after 'profile'");
            s.profile = (MsScProfile) i;
            ok = i >= 0;
            break;
        case OPT_RELAY:
            i = ms_sc_read_choice(c, relays, " after 'relay'");
            s.open_relay = i == 1;
            ok = i >= 0;
            break;
        case OPT_RETRY: ok = read_retry(c, &s.retry, &retry_loc); break;
        case OPT_GIVE_UP:
            ok = read_positive(c, "a give-up time", &s.give_up, &give_up_loc);
            break;
        case OPT_PERSISTENT: ok = ms_sc_read_switch(c, &s.persistent); break;
        case OPT_PIPELINING: ok = ms_sc_read_switch(c, &s.pipelining); break;
        case OPT_8BITMIME: ok = ms_sc_read_switch(c, &s.eightbitmime); break;
        case OPT_MAX_SIZE: ok = read_max_size(c, &s.max_size); break;
        case OPT_SUBMISSION:
            /* RFC 6409 3.1: 587 is the submission port; the lecture notes
             * submit to 25 like any other SMTP client. */
            i = ms_sc_read_choice(c, ports, " after 'submission'");
            s.submission_port = i == 1 ? 587 : 25;
            ok = i >= 0;
            break;
        case OPT_WEBMAIL:
            /* Web mail: the server also answers browsers over HTTP on
             * port 80. */
            ok = ms_sc_read_switch(c, &s.webmail);
            break;
        case OPT_UNKNOWN_USERS:
            /* 'bounce': accept any RCPT TO for the domain and find out at
             * delivery, so the bounce is a new SMTP session back. */
            i = ms_sc_read_choice(c, unknown, " after 'unknown-users'");
            s.bounce_unknown = i == 1;
            ok = i >= 0;
            break;
        case OPT_CONNECT_TIMEOUT:
            ok = read_connect_timeout(c, &s.connect_timeout);
            break;
        default: g_assert_not_reached();
        }
        if (!ok)
            return;
    }
    if (c->failed)
        return;
    if (domain == NULL) {
        ms_sc_fail_expected(c, NULL, "'domain' and the mail domain the server serves");
        return;
    }
    if (s.give_up / s.retry > MS_SC_MAX_ATTEMPTS) {
        g_autofree char *r = ms_time_format_human(s.retry);
        g_autofree char *g = ms_time_format_human(s.give_up);
        ms_sc_fail(c, give_up_loc.line != 0 ? give_up_loc : retry_loc, "a retry every %s until the give-up time of %s makes more "
                                 "than %d attempts per message: retry less often or give up "
                                 "sooner", r, g, MS_SC_MAX_ATTEMPTS);
        return;
    }

    MsScServer *out = g_new(MsScServer, 1);
    *out = s;
    out->name = g_strdup(name->text);
    out->domain = g_strdup(domain->text);
    out->loc = kw->loc;
    g_ptr_array_add(c->p->sc->servers, out);
    MsScServerLocs locs = { name->loc, domain->loc };
    g_array_append_val(c->p->server_locs, locs);
}

static void parse_agent(MsScCursor *c, const MsScToken *kw)
{
    MsScToken *host = ms_sc_expect_host(c, "the agent's host name such as alice-pc");
    if (host == NULL)
        return;
    enum { OPT_USER, OPT_SERVER, OPT_PASSWORD, OPT_PIPELINING, OPT_EHLO, OPT_LOWERCASE };
    static const char *const names[] = { "user", "server", "password", "pipelining", "ehlo",
                                         "lowercase", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    MsScToken *val[3] = { NULL, NULL, NULL };
    /* Defaults: see docs/scenario-language.md, "agent". */
    gboolean pipelining = FALSE, ehlo = TRUE, lowercase = FALSE;
    for (int opt = ms_sc_next_option(c, names, seen, 0, "agent statement"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "agent statement")) {
        gboolean ok = FALSE;
        switch (opt) {
        case OPT_USER:
            val[opt] = ms_sc_expect_address(c, "the user's address such as alice@crepes.fr");
            ok = val[opt] != NULL;
            break;
        case OPT_SERVER:
            val[opt] = ms_sc_expect_host(c, "the user's mail server such as crepes.fr");
            ok = val[opt] != NULL;
            break;
        case OPT_PASSWORD:
            val[opt] = ms_sc_read_password(c);
            ok = val[opt] != NULL;
            break;
        case OPT_PIPELINING: ok = ms_sc_read_switch(c, &pipelining); break;
        case OPT_EHLO: ok = ms_sc_read_switch(c, &ehlo); break;
        case OPT_LOWERCASE: ok = ms_sc_read_switch(c, &lowercase); break;
        default: g_assert_not_reached();
        }
        if (!ok)
            return;
    }
    if (c->failed)
        return;
    if (val[OPT_USER] == NULL) {
        ms_sc_fail_expected(c, NULL, "'user' and the user's address, as in user alice@crepes.fr");
        return;
    }
    if (val[OPT_SERVER] == NULL) {
        ms_sc_fail_expected(c, NULL,
                            "'server' and the user's mail server, as in server crepes.fr");
        return;
    }

    MsScAgent *a = g_new0(MsScAgent, 1);
    a->host = g_strdup(host->text);
    a->user = g_strdup(val[OPT_USER]->text);
    a->server = g_strdup(val[OPT_SERVER]->text);
    a->password = val[OPT_PASSWORD] != NULL ? g_strdup(val[OPT_PASSWORD]->text) : NULL;
    a->loc = kw->loc;
    a->pipelining = pipelining;
    a->ehlo = ehlo;
    a->lowercase = lowercase;
    g_ptr_array_add(c->p->sc->agents, a);
    MsLoc none = { 0, 0 };
    MsScAgentLocs locs = { host->loc, val[OPT_USER]->loc, val[OPT_SERVER]->loc,
                           val[OPT_PASSWORD] != NULL ? val[OPT_PASSWORD]->loc : none };
    g_array_append_val(c->p->agent_locs, locs);
}

static void parse_mailbox(MsScCursor *c, const MsScToken *kw)
{
    MsScToken *addr = ms_sc_expect_address(c, "the mailbox's address such as "
                                              "carol@hamburger.edu");
    if (addr == NULL)
        return;
    static const char *const names[] = { "password", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    MsScToken *password = NULL;
    for (int opt = ms_sc_next_option(c, names, seen, 0, "mailbox statement"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "mailbox statement")) {
        password = ms_sc_read_password(c);
        if (password == NULL)
            return;
    }
    if (c->failed)
        return;
    MsScMailbox *m = g_new0(MsScMailbox, 1);
    m->address = g_strdup(addr->text);
    m->password = password != NULL ? g_strdup(password->text) : NULL;
    m->loc = kw->loc;
    g_ptr_array_add(c->p->sc->mailboxes, m);
    MsLoc none = { 0, 0 };
    MsScMailboxLocs locs = { addr->loc, password != NULL ? password->loc : none };
    g_array_append_val(c->p->mailbox_locs, locs);
}

/* "link a b 2ms": a value with the name of its option left out.  Which
 * option it belongs to shows in the value itself (a duration is a
 * latency, a rate a bandwidth, a percentage a loss), so the hint names it. */
static int next_link_option(MsScCursor *c, const char *const *names, MsLoc *seen)
{
    MsScToken *tok = ms_sc_peek(c);
    gboolean known = FALSE;
    for (guint i = 0; tok != NULL && names[i] != NULL; i++)
        known = known || ms_sc_is_word(tok, names[i]);
    if (tok != NULL && tok->kind == MS_SC_TOK_WORD && !known) {
        g_autofree char *why_t = NULL;
        g_autofree char *why_r = NULL;
        g_autofree char *why_l = NULL;
        MsTime t = 0;
        guint64 rate = 0;
        double loss = 0.0;
        const char *option = NULL;
        if (ms_sc_parse_duration(tok->text, &t, &why_t))
            option = "latency";
        else if (ms_sc_parse_rate(tok->text, &rate, &why_r))
            option = "bandwidth";
        else if (g_str_has_suffix(tok->text, "%")
                 && ms_sc_parse_loss(tok->text, &loss, &why_l))
            option = "loss";
        if (option != NULL) {
            g_autofree char *q = ms_sc_quote(tok->text);
            ms_sc_fail(c, tok->loc, "expected 'latency', 'bandwidth' or 'loss' before the "
                                    "value in a link statement, found '%s'; did you mean "
                                    "'%s %s'?", q, option, q);
            return -2;
        }
    }
    return ms_sc_next_option(c, names, seen, 0, "link statement");
}

static void parse_link(MsScCursor *c, const MsScToken *kw)
{
    MsScToken *a = ms_sc_expect_host(c, "the host at one end of the link, such as alice-pc");
    if (a == NULL)
        return;
    MsScToken *b = ms_sc_expect_host(c, "the host at the other end of the link, such as crepes.fr");
    if (b == NULL)
        return;
    if (g_ascii_strcasecmp(a->text, b->text) == 0) {
        g_autofree char *q = ms_sc_quote(b->text);
        ms_sc_fail(c, b->loc, "a link joins two different hosts, but both ends are '%s'", q);
        return;
    }
    enum { OPT_LATENCY, OPT_BANDWIDTH, OPT_LOSS };
    static const char *const names[] = { "latency", "bandwidth", "loss", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    MsTime latency = MS_MSEC;         /* defaults: see docs/scenario-language.md */
    guint64 bandwidth = 10000000;     /* 10 Mbit/s */
    double loss = 0.0;
    int opt;
    for (opt = next_link_option(c, names, seen); opt >= 0;
         opt = next_link_option(c, names, seen)) {
        g_autofree char *why = NULL;
        if (opt == OPT_LATENCY) {
            if (!ms_sc_read_duration(c, &latency, NULL))
                return;
            continue;
        }
        const MsScToken *tok = ms_sc_expect_text(c, opt == OPT_BANDWIDTH
                                                 ? "a rate such as 10Mbit or 512kbit"
                                                 : "a loss such as 1% or 0.01");
        if (tok == NULL)
            return;
        gboolean ok = opt == OPT_BANDWIDTH ? ms_sc_parse_rate(tok->text, &bandwidth, &why)
                                           : ms_sc_parse_loss(tok->text, &loss, &why);
        if (!ok) {
            if (opt == OPT_BANDWIDTH)
                ms_sc_fail_value(c, tok, why, MS_SC_VALUE_RATE);
            else
                ms_sc_fail(c, tok->loc, "%s", why);
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

typedef void (*StatementFn)(MsScCursor *c, const MsScToken *kw);

static const struct {
    const char *keyword;
    StatementFn parse;
} statement_table[] = {
    { "scenario", parse_scenario },
    { "seed", parse_seed },
    { "start", parse_start },
    { "mss", parse_mss },
    { "rto", parse_rto },
    { "server", parse_server },
    { "agent", parse_agent },
    { "mailbox", parse_mailbox },
    { "link", parse_link },
    { "at", ms_sc_parse_at },
};

static const char *const keywords[] = { "scenario", "seed", "start", "mss", "rto", "server",
                                        "agent", "mailbox", "link", "at", NULL };
/* The lines of a telnet block. */
static const char *const block_words[] = { "type", "pause", "end", NULL };

static StatementFn statement_reader(const MsScToken *kw)
{
    for (guint k = 0; kw->kind == MS_SC_TOK_WORD && k < G_N_ELEMENTS(statement_table); k++) {
        if (strcmp(kw->text, statement_table[k].keyword) == 0)
            return statement_table[k].parse;
    }
    return NULL;
}

static gboolean is_block_word(const MsScToken *kw)
{
    for (guint k = 0; block_words[k] != NULL; k++) {
        if (ms_sc_is_word(kw, block_words[k]))
            return TRUE;
    }
    return FALSE;
}

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
    gboolean other = first != NULL && is_block_word(first);
    for (guint k = 0; first != NULL && k < G_N_ELEMENTS(statement_table); k++) {
        if (strcmp(first->text, statement_table[k].keyword) == 0)
            other = strcmp(first->text, "link") != 0;
    }
    if (!other)
        p->links_unsure = TRUE;
    /* An 'at ... telnet' line that could not be read still opens its
     * block: its 'type' lines must not each be blamed for being outside
     * one. */
    if (first != NULL && ms_sc_is_word(first, "at") && !p->block_open) {
        for (guint i = 1; i < st->tokens->len && i <= 3; i++) {
            const MsScToken *tok = g_ptr_array_index(st->tokens, i);
            if (ms_sc_is_word(tok, "telnet")) {
                p->block_open = TRUE;
                p->block = NULL;
                p->block_loc = tok->loc;
            }
        }
    }
}

gboolean ms_sc_is_unsure(const MsScParse *p, const char *name)
{
    g_autofree char *key = g_ascii_strdown(name, -1);
    return g_hash_table_contains(p->unsure, key);
}

/* The open telnet block ends without its 'end' line, at next (the first
 * statement after it) or at the end of the file (next NULL). */
static void block_unclosed(MsScParse *p, const MsScToken *next)
{
    if (p->block != NULL) {
        if (next != NULL)
            ms_sc_diag(&p->diags, p->block_loc, "the telnet block that starts here has no "
                                                "'end': expected 'end' before line %u",
                       next->loc.line);
        else
            ms_sc_diag(&p->diags, p->block_loc, "the telnet block that starts here has no "
                                                "'end': expected 'end' before the end of "
                                                "the file");
    }
    p->block_open = FALSE;
    p->block = NULL;
}

static void unknown_keyword(MsScCursor *c, const MsScToken *kw)
{
    g_autofree char *found = ms_sc_describe(kw);
    if (c->p->block_open) {
        /* Inside a block a stray word is most likely a misspelt line of it. */
        g_autofree char *where = g_strdup_printf(" in the telnet block opened at line %u",
                                                 c->p->block_loc.line);
        ms_sc_fail_choice(c, kw, block_words, where);
        return;
    }
    static const char *const verbs[] = { "send", "reply", "forward", "pop3", "imap", "telnet",
                                         "web", NULL };
    for (guint k = 0; kw->kind == MS_SC_TOK_WORD && verbs[k] != NULL; k++) {
        if (strcmp(kw->text, verbs[k]) == 0) {
            ms_sc_fail(c, kw->loc, "an action starts with 'at TIME HOST', as in 'at 0s "
                                   "alice-pc %s ...', found %s", verbs[k], found);
            return;
        }
    }
    const char *hint = kw->kind == MS_SC_TOK_WORD ? ms_sc_suggest(kw->text, keywords) : NULL;
    if (hint == NULL && kw->kind == MS_SC_TOK_WORD)
        hint = ms_sc_suggest(kw->text, block_words);
    if (hint != NULL)
        ms_sc_fail(c, kw->loc, "unknown keyword %s; did you mean '%s'?", found, hint);
    else if (kw->kind == MS_SC_TOK_WORD)
        ms_sc_fail(c, kw->loc, "unknown keyword %s: a statement starts with scenario, seed, "
                               "start, mss, rto, server, agent, mailbox, link or at", found);
    else
        ms_sc_fail(c, kw->loc, "expected a keyword (scenario, seed, start, mss, rto, server, "
                               "agent, mailbox, link or at), found %s", found);
}

void ms_sc_parse_statements(MsScParse *p, GPtrArray *statements)
{
    for (guint i = 0; i < statements->len && !ms_sc_diags_full(&p->diags); i++) {
        MsScStatement *st = g_ptr_array_index(statements, i);
        const MsScToken *kw = st->tokens->len > 0 ? g_ptr_array_index(st->tokens, 0) : NULL;
        StatementFn fn = kw != NULL ? statement_reader(kw) : NULL;
        /* A statement of another kind ends an open block: its 'end' is
         * missing. */
        if (p->block_open && fn != NULL)
            block_unclosed(p, kw);
        if (st->broken) {
            give_up(p, st);
            continue;
        }
        MsScCursor c = { .p = p, .st = st, .pos = 1 };
        if (fn != NULL)
            fn(&c, kw);
        else if (is_block_word(kw))
            ms_sc_parse_block_line(&c, kw);
        else
            unknown_keyword(&c, kw);
        if (c.failed)
            give_up(p, st);
    }
    if (p->block_open)
        block_unclosed(p, NULL);
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
    return ms_scenario_parse_string_bounded(text, len, filename, MS_SCENARIO_MAX_MESSAGES,
                                            error);
}

MsScenario *ms_scenario_parse_string_bounded(const char *text, gssize len,
                                             const char *filename, guint max_messages,
                                             GError **error)
{
    g_return_val_if_fail(text != NULL || len == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    gsize n = len < 0 ? strlen(text) : (gsize) len;
    const char *file = filename != NULL ? filename : "<string>";

    MsScParse p = { 0 };
    p.max_messages = CLAMP(max_messages, 1, MS_SCENARIO_MAX_MESSAGES_CEILING);
    ms_sc_diags_init(&p.diags);
    p.sc = ms_sc_scenario_new();
    p.sc->file = g_strdup(file);
    p.server_locs = g_array_new(FALSE, FALSE, sizeof(MsScServerLocs));
    p.agent_locs = g_array_new(FALSE, FALSE, sizeof(MsScAgentLocs));
    p.link_locs = g_array_new(FALSE, FALSE, sizeof(MsScLinkLocs));
    p.mailbox_locs = g_array_new(FALSE, FALSE, sizeof(MsScMailboxLocs));
    p.action_locs = g_ptr_array_new_with_free_func(ms_sc_action_locs_free);
    p.base_dir = filename != NULL ? g_path_get_dirname(filename) : g_strdup(".");
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
    g_array_unref(p.mailbox_locs);
    g_ptr_array_unref(p.action_locs);
    g_free(p.base_dir);
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
    return ms_scenario_parse_file_bounded(path, MS_SCENARIO_MAX_MESSAGES, error);
}

MsScenario *ms_scenario_parse_file_bounded(const char *path, guint max_messages,
                                           GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    gsize len = 0;
    g_autofree char *text = read_whole_file(path, &len, error);
    if (text == NULL)
        return NULL;
    return ms_scenario_parse_string_bounded(text, (gssize) len, path, max_messages, error);
}
