/* actions.c - reads what happens, and when: the 'at' statements.
 *
 * An 'at TIME' statement is either an agent acting (send, pop3, imap,
 * telnet, web) or the network changing (a link or a host going down or up).
 * The IMAP actions are steps of one session each agent opens with 'imap
 * login'; a telnet action opens a block of typed lines that ends with
 * 'end'.  Expanding polls, sessions and typed lines into events is the
 * world's job: the parser only records what the file says, checked.
 */
#include "scenario-private.h"

#include <string.h>

/* A poll that would start more fetches than this is a typo ("every 1ms
 * until 30d"), not a lesson. */
#define MAX_POLLS 100000
#define MS_SC_MAX_TELNET_LINES 1000

/* Past the 'at TIME' and the verb: the rest of the action. */
typedef gboolean (*ActionFn)(MsScCursor *c, MsScAction *act, MsScActionLocs *locs);

MsScActionLocs *ms_sc_action_locs_new(void)
{
    MsScActionLocs *l = g_new0(MsScActionLocs, 1);
    l->to = g_array_new(FALSE, FALSE, sizeof(MsLoc));
    l->cc = g_array_new(FALSE, FALSE, sizeof(MsLoc));
    l->bcc = g_array_new(FALSE, FALSE, sizeof(MsLoc));
    return l;
}

void ms_sc_action_locs_free(gpointer data)
{
    MsScActionLocs *l = data;
    if (l == NULL)
        return;
    g_free(l->time_text);
    g_free(l->until_text);
    g_clear_pointer(&l->to, g_array_unref);
    g_clear_pointer(&l->cc, g_array_unref);
    g_clear_pointer(&l->bcc, g_array_unref);
    g_free(l);
}

/* ---- Polling: 'every DURATION until TIME' ------------------------------ */

static gboolean read_every(MsScCursor *c, MsScAction *act)
{
    const MsScToken *tok = NULL;
    if (!ms_sc_read_duration(c, &act->every, &tok))
        return FALSE;
    if (act->every == 0) {
        ms_sc_fail(c, tok->loc, "a polling interval of 0s would poll without pause: "
                                "expected more than 0s");
        return FALSE;
    }
    return TRUE;
}

static gboolean read_until(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    const MsScToken *tok = NULL;
    /* The cursor is just past the word 'until'. */
    locs->until_word = ((MsScToken *) g_ptr_array_index(c->st->tokens, c->pos - 1))->loc;
    if (!ms_sc_read_duration(c, &act->until, &tok))
        return FALSE;
    locs->until = tok->loc;
    locs->until_text = g_strdup(tok->text);
    return TRUE;
}

/* Both halves given, in a sensible order, and not absurdly many polls. */
static gboolean check_polling(MsScCursor *c, MsScAction *act, MsScActionLocs *locs,
                              const char *what)
{
    if (act->every == 0 && locs->until.line == 0)
        return TRUE;
    if (act->every == 0) {
        ms_sc_fail(c, locs->until_word, "'until' goes with 'every': write %s every DURATION "
                                   "until TIME", what);
        return FALSE;
    }
    if (locs->until.line == 0) {
        ms_sc_fail_expected(c, NULL, "'until' and the time polling stops, as in "
                                     "every 5min until 1h (polling needs an end)");
        return FALSE;
    }
    g_autofree char *u = ms_sc_quote(locs->until_text);
    g_autofree char *t = ms_sc_quote(locs->time_text);
    if (act->until < act->at) {
        ms_sc_fail(c, locs->until, "polling would stop at %s, before it starts at %s", u, t);
        return FALSE;
    }
    guint64 polls = (guint64) (act->until - act->at) / (guint64) act->every + 1;
    if (polls > MAX_POLLS) {
        ms_sc_fail(c, locs->until, "polling from %s until %s would poll %" G_GUINT64_FORMAT
                                   " times: at most %d", t, u, polls, MAX_POLLS);
        return FALSE;
    }
    return TRUE;
}

/* ---- pop3 fetch -------------------------------------------------------- */

static gboolean parse_pop3(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsScToken *tok = ms_sc_take(c);
    if (!ms_sc_is_word(tok, "fetch")) {
        ms_sc_fail_expected(c, tok, "'fetch' after 'pop3'");
        return FALSE;
    }
    enum { OPT_DELETE, OPT_KEEP, OPT_LIST_ONLY, OPT_APOP, OPT_EVERY, OPT_UNTIL, OPT_PASSWORD,
           OPT_STAT, OPT_RSET };
    static const char *const names[] = { "delete", "keep", "list-only", "apop", "every",
                                         "until", "password", "stat", "rset", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    int opt;
    for (opt = ms_sc_next_option(c, names, seen, 0, "pop3 fetch action"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "pop3 fetch action")) {
        gboolean ok = TRUE;
        MsScToken *pw = NULL;
        switch (opt) {
        /* RFC 1939 5: DELE in the transaction state marks a message, which
         * the update state removes after QUIT; 'keep' never sends DELE. */
        case OPT_DELETE: act->keep = FALSE; break;
        case OPT_KEEP: act->keep = TRUE; break;
        case OPT_LIST_ONLY: act->list_only = TRUE; break;
        case OPT_APOP: act->apop = TRUE; break; /* RFC 1939 7 */
        case OPT_STAT: act->stat = TRUE; break; /* RFC 1939 5: the drop listing */
        /* RFC 1939 5: RSET unmarks what DELE marked, so QUIT removes nothing. */
        case OPT_RSET: act->rset = TRUE; break;
        case OPT_EVERY: ok = read_every(c, act); break;
        case OPT_UNTIL: ok = read_until(c, act, locs); break;
        case OPT_PASSWORD:
            pw = ms_sc_read_password(c);
            act->password = pw != NULL ? g_strdup(pw->text) : NULL;
            ok = pw != NULL;
            break;
        default: g_assert_not_reached();
        }
        if (!ok)
            return FALSE;
    }
    if (opt == -2)
        return FALSE;
    if (seen[OPT_DELETE].line != 0 && seen[OPT_KEEP].line != 0) {
        MsLoc later = seen[OPT_DELETE].column > seen[OPT_KEEP].column ? seen[OPT_DELETE]
                                                                      : seen[OPT_KEEP];
        ms_sc_fail(c, later, "'delete' and 'keep' contradict each other: give one of them");
        return FALSE;
    }
    if (seen[OPT_DELETE].line != 0 && act->list_only) {
        ms_sc_fail(c, seen[OPT_LIST_ONLY], "'list-only' downloads nothing, so 'delete' "
                                           "would delete mail never read: drop one of them");
        return FALSE;
    }
    if (act->rset && (act->keep || act->list_only)) {
        ms_sc_fail(c, seen[OPT_RSET], "'rset' undoes the deletion marks of DELE, but '%s' "
                                      "sends no DELE: drop one of them",
                   act->list_only ? "list-only" : "keep");
        return FALSE;
    }
    return check_polling(c, act, locs, "pop3 fetch");
}

/* ---- imap -------------------------------------------------------------- */

static gboolean no_arguments(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
}

/* RFC 3501 5.1: a mailbox name.  We keep to printable ASCII without the
 * LIST wildcards '*' and '%' (6.3.8) and without the quote and backslash
 * that would need escaping, so the name reads the same in every transcript. */
static MsScToken *read_folder(MsScCursor *c, const char *what)
{
    MsScToken *tok = ms_sc_expect_text(c, what);
    if (tok == NULL)
        return NULL;
    const char *bad = NULL;
    for (const char *q = tok->text; *q != '\0' && bad == NULL; q++) {
        if ((guchar) *q < 0x20 || (guchar) *q >= 0x7F || strchr("*%\"\\", *q) != NULL)
            bad = q;
    }
    gsize len = strlen(tok->text);
    if (len == 0 || tok->text[0] == ' ' || tok->text[len - 1] == ' ' || bad != NULL) {
        g_autofree char *q = ms_sc_quote(tok->text);
        ms_sc_fail(c, tok->loc, "'%s' is not a folder name: expected printable ASCII "
                                "without * %% \" or \\, and no spaces at either end", q);
        return NULL;
    }
    return tok;
}

static gboolean read_number(MsScCursor *c, MsScAction *act)
{
    guint64 n = 0;
    if (!ms_sc_read_whole(c, 1, G_MAXUINT32, "a message number such as 1 (its sequence "
                                             "number in the folder, from 1)", &n))
        return FALSE;
    act->number = (guint) n;
    return TRUE;
}

/* An optional 'to' before a folder ("imap move 3 to Archive"), unless the
 * folder itself is called "to". */
static void skip_to(MsScCursor *c)
{
    if (ms_sc_is_word(ms_sc_peek(c), "to") && c->pos + 1 < c->st->tokens->len)
        c->pos++;
}

static gboolean one_folder(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    MsScToken *f = read_folder(c, "a folder name such as INBOX or Archive");
    if (f == NULL)
        return FALSE;
    act->folder = g_strdup(f->text);
    return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
}

static gboolean imap_rename(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    MsScToken *from = read_folder(c, "the folder to rename, such as Work");
    if (from == NULL)
        return FALSE;
    skip_to(c);
    MsScToken *to = read_folder(c, "the folder's new name, such as Projects");
    if (to == NULL)
        return FALSE;
    act->folder = g_strdup(from->text);
    act->new_folder = g_strdup(to->text);
    return ms_sc_expect_end(c, "imap rename");
}

static gboolean imap_login(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    static const char *const names[] = { "password", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    int opt;
    for (opt = ms_sc_next_option(c, names, seen, 0, "imap login action"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "imap login action")) {
        MsScToken *pw = ms_sc_read_password(c);
        if (pw == NULL)
            return FALSE;
        act->password = g_strdup(pw->text);
    }
    return opt == -1;
}

static gboolean imap_fetch(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    MsScToken *tok = ms_sc_take(c);
    if (!ms_sc_is_word(tok, "new")) {
        ms_sc_fail_expected(c, tok, "'new' after 'imap fetch' (imap fetch new)");
        return FALSE;
    }
    return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
}

static gboolean imap_read(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    return read_number(c, act) && ms_sc_expect_end(c, "imap read");
}

/* RFC 3501 2.3.2: the system flags. */
static const char *const flag_words[] = { "seen", "answered", "flagged", "deleted", "draft",
                                          NULL };
static const char *const flag_names[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
                                          "\\Draft", NULL };

static gboolean imap_flag(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    if (!read_number(c, act))
        return FALSE;
    MsScToken *tok = ms_sc_take(c);
    const char *flag = NULL;
    for (guint i = 0; ms_sc_is_text(tok) && flag_words[i] != NULL; i++) {
        /* Either the word (seen) or the IMAP name ("\\Seen"), any case, as
         * flags are case-insensitive (RFC 3501 2.3.2). */
        if (g_ascii_strcasecmp(tok->text, flag_words[i]) == 0
            || g_ascii_strcasecmp(tok->text, flag_names[i]) == 0)
            flag = flag_names[i];
    }
    if (flag == NULL) {
        ms_sc_fail_choice(c, tok, flag_words, " as the flag (or \"\\\\Seen\" and so on)");
        return FALSE;
    }
    act->flag = g_strdup(flag);
    return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
}

static gboolean imap_copy(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    if (!read_number(c, act))
        return FALSE;
    skip_to(c);
    return one_folder(c, act, locs);
}

/* The rest of the line: words as written, strings as IMAP quoted strings
 * when there are several tokens (RFC 3501 4.3), one string as it is. */
static gboolean imap_search(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    guint first = c->pos;
    guint n = c->st->tokens->len - first;
    if (n == 0) {
        ms_sc_fail_expected(c, NULL, "search criteria such as UNSEEN or \"FROM alice\"");
        return FALSE;
    }
    GString *out = g_string_new(NULL);
    for (guint i = first; i < c->st->tokens->len; i++) {
        const MsScToken *tok = g_ptr_array_index(c->st->tokens, i);
        if (tok->kind == MS_SC_TOK_ANGLE) {
            g_string_free(out, TRUE);
            ms_sc_fail_expected(c, tok, "search criteria such as UNSEEN or \"FROM alice\"");
            return FALSE;
        }
        if (strpbrk(tok->text, "\r\n") != NULL) {
            g_string_free(out, TRUE);
            ms_sc_fail(c, tok->loc, "search criteria are one command line: they cannot "
                                    "hold a line break");
            return FALSE;
        }
        const MsScToken *prev = i > first ? g_ptr_array_index(c->st->tokens, i - 1) : NULL;
        if (prev != NULL && tok->kind != MS_SC_TOK_COMMA && prev->kind != MS_SC_TOK_COMMA)
            g_string_append_c(out, ' ');
        if (tok->kind == MS_SC_TOK_STRING && n > 1) {
            g_string_append_c(out, '"');
            for (const char *q = tok->text; *q != '\0'; q++) {
                if (*q == '"' || *q == '\\')
                    g_string_append_c(out, '\\');
                g_string_append_c(out, *q);
            }
            g_string_append_c(out, '"');
        } else {
            g_string_append(out, tok->text);
        }
    }
    c->pos = c->st->tokens->len;
    if (out->len == 0) {
        g_string_free(out, TRUE);
        ms_sc_fail(c, ms_sc_loc_of(c, g_ptr_array_index(c->st->tokens, first)),
                   "the search criteria are empty: expected such as UNSEEN or ALL");
        return FALSE;
    }
    act->criteria = g_string_free(out, FALSE);
    return TRUE;
}

static gboolean imap_idle(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    MsScToken *tok = ms_sc_take(c);
    if (!ms_sc_is_word(tok, "for")) {
        ms_sc_fail_expected(c, tok, "'for' and how long to idle, as in imap idle for 10min");
        return FALSE;
    }
    const MsScToken *d = NULL;
    if (!ms_sc_read_duration(c, &act->duration, &d))
        return FALSE;
    if (act->duration == 0) {
        ms_sc_fail(c, d->loc, "idling for 0s would end at once: expected more than 0s");
        return FALSE;
    }
    return ms_sc_expect_end(c, "imap idle");
}

static gboolean imap_poll(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    enum { OPT_EVERY, OPT_UNTIL, OPT_PASSWORD };
    static const char *const names[] = { "every", "until", "password", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    int opt;
    for (opt = ms_sc_next_option(c, names, seen, 0, "imap poll action"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "imap poll action")) {
        gboolean ok = TRUE;
        MsScToken *pw = NULL;
        if (opt == OPT_EVERY) {
            ok = read_every(c, act);
        } else if (opt == OPT_UNTIL) {
            ok = read_until(c, act, locs);
        } else {
            pw = ms_sc_read_password(c);
            act->password = pw != NULL ? g_strdup(pw->text) : NULL;
            ok = pw != NULL;
        }
        if (!ok)
            return FALSE;
    }
    if (opt == -2)
        return FALSE;
    if (act->every == 0 && locs->until.line == 0) {
        ms_sc_fail_expected(c, NULL, "'every' and the polling interval, as in imap poll "
                                     "every 5min until 1h");
        return FALSE;
    }
    act->folder = g_strdup("INBOX");
    return check_polling(c, act, locs, "imap poll");
}

static const struct {
    const char *word;
    MsScActionKind kind;
    ActionFn parse;
} imap_table[] = {
    { "login", MS_SC_IMAP_LOGIN, imap_login },
    { "select", MS_SC_IMAP_SELECT, one_folder },
    { "examine", MS_SC_IMAP_EXAMINE, one_folder },
    { "list", MS_SC_IMAP_LIST, no_arguments },
    { "fetch", MS_SC_IMAP_FETCH_NEW, imap_fetch },
    { "read", MS_SC_IMAP_READ, imap_read },
    { "flag", MS_SC_IMAP_FLAG, imap_flag },
    { "unflag", MS_SC_IMAP_UNFLAG, imap_flag },
    { "copy", MS_SC_IMAP_COPY, imap_copy },
    { "move", MS_SC_IMAP_MOVE, imap_copy },
    { "expunge", MS_SC_IMAP_EXPUNGE, no_arguments },
    { "create", MS_SC_IMAP_CREATE, one_folder },
    { "rename", MS_SC_IMAP_RENAME, imap_rename },
    { "delete", MS_SC_IMAP_DELETE, one_folder },
    { "search", MS_SC_IMAP_SEARCH, imap_search },
    { "idle", MS_SC_IMAP_IDLE, imap_idle },
    { "logout", MS_SC_IMAP_LOGOUT, no_arguments },
    { "poll", MS_SC_IMAP_POLL, imap_poll },
};

static const char *const imap_words[] = { "login", "select", "examine", "list", "fetch",
                                          "read", "flag", "unflag", "copy", "move", "expunge",
                                          "create", "rename", "delete", "search", "idle",
                                          "logout", "poll", NULL };

static gboolean parse_imap(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsScToken *tok = ms_sc_take(c);
    for (guint i = 0; i < G_N_ELEMENTS(imap_table); i++) {
        if (ms_sc_is_word(tok, imap_table[i].word)) {
            act->kind = imap_table[i].kind;
            return imap_table[i].parse(c, act, locs);
        }
    }
    ms_sc_fail_choice(c, tok, imap_words, " after 'imap'");
    return FALSE;
}

/* ---- telnet ------------------------------------------------------------- */

static gboolean parse_telnet(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsScToken *target = ms_sc_expect_host(c, "the server to connect to, such as "
                                             "hamburger.edu");
    if (target == NULL)
        return FALSE;
    guint64 port = 0;
    if (!ms_sc_read_whole(c, 1, 65535, "a port number from 1 to 65535, such as 25", &port))
        return FALSE;
    act->target = g_strdup(target->text);
    act->port = (guint) port;
    locs->target = target->loc;
    return ms_sc_expect_end(c, "telnet");
}

void ms_sc_parse_block_line(MsScCursor *c, const MsScToken *kw)
{
    MsScParse *p = c->p;
    if (!p->block_open) {
        if (ms_sc_is_word(kw, "end"))
            ms_sc_fail(c, kw->loc, "'end' without a telnet block to end");
        else
            ms_sc_fail(c, kw->loc, "'%s' belongs in a telnet block: write it on the lines "
                                   "after 'at TIME HOST telnet SERVER PORT'", kw->text);
        return;
    }
    if (ms_sc_is_word(kw, "end")) {
        if (ms_sc_expect_end(c, "end")) {
            p->block_open = FALSE;
            p->block = NULL;
        }
        return;
    }
    /* Each line is a round trip and two lines of transcript; a block is
     * something a person types, not a load test (docs/limits.md). */
    if (p->block != NULL && p->block->steps->len == MS_SC_MAX_TELNET_LINES) {
        ms_sc_fail(c, kw->loc, "a telnet block holds at most %d lines: split the session",
                   MS_SC_MAX_TELNET_LINES);
        return;
    }
    MsScTelnetStep *step = g_new0(MsScTelnetStep, 1);
    step->loc = kw->loc;
    gboolean ok = FALSE;
    if (ms_sc_is_word(kw, "pause")) {
        step->kind = MS_SC_STEP_PAUSE;
        const MsScToken *d = NULL;
        ok = ms_sc_read_duration(c, &step->pause, &d);
        if (ok && step->pause == 0) {
            ms_sc_fail(c, d->loc, "a pause of 0s does nothing: expected more than 0s");
            ok = FALSE;
        }
    } else {
        step->kind = MS_SC_STEP_TYPE;
        MsScToken *text = ms_sc_expect_text(c, "the line to type, in double quotes, such as "
                                               "\"HELO crepes.fr\"");
        if (text != NULL && strpbrk(text->text, "\r\n") != NULL) {
            ms_sc_fail(c, text->loc, "a typed line cannot hold a line break: type two lines, "
                                     "or end this one with 'lf' or 'cr' after the string");
        } else if (text != NULL) {
            step->text = g_strdup(text->text);
            ok = TRUE;
            static const char *const ends[] = {
#define MS_SC_LINE_END_NAME_(e, s, octets) s,
                MS_SC_LINE_ENDS(MS_SC_LINE_END_NAME_)
#undef MS_SC_LINE_END_NAME_
                NULL
            };
            if (ms_sc_peek(c) != NULL) {
                int i = ms_sc_read_choice(c, ends, " as the line's ending");
                step->end = i >= 0 ? (MsScLineEnd) i : MS_SC_EOL_CRLF;
                ok = i >= 0;
            }
        }
    }
    ok = ok && ms_sc_expect_end(c, kw->text);
    /* A block whose first line could not be read keeps nothing. */
    if (ok && p->block != NULL)
        g_ptr_array_add(p->block->steps, step);
    else
        ms_sc_step_free(step);
}

/* ---- Network events ---------------------------------------------------- */

/* 'down' or 'up', and for 'down' an optional 'for DURATION'. */
static gboolean read_down_up(MsScCursor *c, MsScAction *act, MsScActionKind down,
                             MsScActionKind up)
{
    static const char *const states[] = { "down", "up", NULL };
    int i = ms_sc_read_choice(c, states, "");
    if (i < 0)
        return FALSE;
    act->kind = i == 0 ? down : up;
    MsScToken *tok = ms_sc_peek(c);
    if (!ms_sc_is_word(tok, "for"))
        return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
    if (i == 1) {
        ms_sc_fail(c, tok->loc, "'for' goes with 'down' only: write 'down for DURATION' "
                                "(what comes up stays up)");
        return FALSE;
    }
    c->pos++;
    const MsScToken *d = NULL;
    if (!ms_sc_read_duration(c, &act->duration, &d))
        return FALSE;
    if (act->duration == 0) {
        ms_sc_fail(c, d->loc, "down for 0s would change nothing: expected more than 0s");
        return FALSE;
    }
    return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
}

static gboolean parse_link_event(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsScToken *a = ms_sc_expect_host(c, "the host at one end of the link, such as alice-pc");
    if (a == NULL)
        return FALSE;
    MsScToken *b = ms_sc_expect_host(c, "the host at the other end of the link");
    if (b == NULL)
        return FALSE;
    act->link_a = g_strdup(a->text);
    act->link_b = g_strdup(b->text);
    locs->link_a = a->loc;
    locs->link_b = b->loc;
    return read_down_up(c, act, MS_SC_LINK_DOWN, MS_SC_LINK_UP);
}

static gboolean parse_host_event(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsScToken *h = ms_sc_expect_host(c, locs->server_only ? "a server's host name such as "
                                                            "hamburger.edu"
                                                          : "a host name such as bob-pc");
    if (h == NULL)
        return FALSE;
    act->target = g_strdup(h->text);
    locs->target = h->loc;
    MsScToken *next = ms_sc_peek(c);
    if (!ms_sc_is_word(next, "service"))
        return read_down_up(c, act, MS_SC_HOST_DOWN, MS_SC_HOST_UP);
    /* 'server NAME service smtp down': the program stops, the machine
     * stays up, so its port refuses connections at once (a RST). */
    if (!locs->server_only) {
        g_autofree char *q = ms_sc_quote(h->text);
        ms_sc_fail(c, next->loc, "a service runs on a server: write 'server %s service smtp "
                                 "down' (a 'host' goes down as a whole machine)", q);
        return FALSE;
    }
    c->pos++;
    static const char *const services[] = { "smtp", "pop3", "imap", "http", NULL };
    int i = ms_sc_read_choice(c, services, " after 'service'");
    if (i < 0)
        return FALSE;
    act->service = g_strdup(services[i]);
    return read_down_up(c, act, MS_SC_SERVICE_DOWN, MS_SC_SERVICE_UP);
}

/* ---- 'at TIME ...' ------------------------------------------------------ */

static const struct {
    const char *word;
    MsScActionKind kind; /* imap, web: refined by parse_imap, ms_sc_parse_web */
    ActionFn parse;
} agent_verbs[] = {
    { "send", MS_SC_SEND, ms_sc_parse_send },
    { "reply", MS_SC_REPLY, ms_sc_parse_send },
    { "forward", MS_SC_FORWARD, ms_sc_parse_send },
    { "pop3", MS_SC_POP3_FETCH, parse_pop3 },
    { "imap", MS_SC_IMAP_LOGIN, parse_imap },
    { "telnet", MS_SC_TELNET, parse_telnet },
    { "web", MS_SC_WEB_LOGIN, ms_sc_parse_web },
};

static const char *const verb_words[] = { "send", "reply", "forward", "pop3", "imap", "telnet",
                                          "web", NULL };

static int agent_verb(const MsScToken *tok)
{
    for (guint i = 0; i < G_N_ELEMENTS(agent_verbs); i++) {
        if (ms_sc_is_word(tok, agent_verbs[i].word))
            return (int) i;
    }
    return -1;
}

/* "at 0s hamburger.edu down" and "at 0s alice-pc crepes.fr down": a
 * network event written without the word that says what changes.  Reports
 * the error with the statement as it was probably meant; FALSE when the
 * words do not look like such an event. */
static gboolean event_hint(MsScCursor *c, const MsScToken *time_tok, const MsScToken *host,
                           const MsScToken *verb)
{
    static const char *const expected = "expected 'send', 'reply', 'forward', 'pop3', 'imap', "
                                        "'telnet' or 'web' as the action";
    static const char *const why = "a network event says what changes: 'server NAME', "
                                   "'host NAME' or 'link HOST HOST'";
    g_autofree char *t = ms_sc_quote(time_tok->text);
    g_autofree char *h = ms_sc_quote(host->text);
    g_autofree char *found = ms_sc_describe(verb);
    const MsScToken *after = ms_sc_peek(c);
    const char *more = c->pos + 1 < c->st->tokens->len ? " ..." : "";
    if (ms_sc_is_word(verb, "down") || ms_sc_is_word(verb, "up")) {
        const char *rest = c->pos < c->st->tokens->len ? " ..." : "";
        const MsScenario *sc = c->p->sc;
        if (ms_scenario_find_server(sc, host->text) != NULL)
            ms_sc_fail(c, verb->loc, "%s, found %s; did you mean 'at %s server %s %s%s'? (%s)",
                       expected, found, t, h, verb->text, rest, why);
        else if (ms_scenario_find_agent(sc, host->text) != NULL)
            ms_sc_fail(c, verb->loc, "%s, found %s; did you mean 'at %s host %s %s%s'? (%s)",
                       expected, found, t, h, verb->text, rest, why);
        else
            ms_sc_fail(c, verb->loc, "%s, found %s; did you mean 'at %s server %s %s%s' or "
                                     "'at %s host %s %s%s'? (%s)", expected, found, t, h,
                       verb->text, rest, t, h, verb->text, rest, why);
        return TRUE;
    }
    if (ms_sc_is_text(verb) && ms_sc_is_host_name(verb->text)
        && (ms_sc_is_word(after, "down") || ms_sc_is_word(after, "up"))) {
        g_autofree char *b = ms_sc_quote(verb->text);
        ms_sc_fail(c, verb->loc, "%s, found %s; did you mean 'at %s link %s %s %s%s'? (%s)",
                   expected, found, t, h, b, after->text, more, why);
        return TRUE;
    }
    return FALSE;
}

void ms_sc_parse_at(MsScCursor *c, const MsScToken *kw)
{
    MsTime at = 0;
    const MsScToken *time_tok = NULL;
    if (!ms_sc_read_duration(c, &at, &time_tok))
        return;
    MsScToken *first = ms_sc_peek(c);
    /* 'link', 'server' and 'host' start a network event, unless an agent
     * with that very name acts ("at 0s server send ..."). */
    gboolean event = (ms_sc_is_word(first, "link") || ms_sc_is_word(first, "server")
                      || ms_sc_is_word(first, "host"))
                     && agent_verb(c->pos + 1 < c->st->tokens->len
                                       ? g_ptr_array_index(c->st->tokens, c->pos + 1)
                                       : NULL) < 0;
    MsScAction *act = ms_sc_action_new(MS_SC_SEND);
    MsScActionLocs *locs = ms_sc_action_locs_new();
    act->at = at;
    act->loc = kw->loc;
    locs->time = time_tok->loc;
    locs->time_text = g_strdup(time_tok->text);
    gboolean ok = FALSE;
    if (event) {
        MsScToken *verb = ms_sc_take(c);
        locs->verb = verb->loc;
        locs->server_only = ms_sc_is_word(verb, "server");
        ok = ms_sc_is_word(verb, "link") ? parse_link_event(c, act, locs)
                                         : parse_host_event(c, act, locs);
    } else {
        MsScToken *host = ms_sc_expect_host(c, "the host name of the agent that acts, such "
                                               "as alice-pc");
        MsScToken *verb = host != NULL ? ms_sc_take(c) : NULL;
        int v = host != NULL ? agent_verb(verb) : -1;
        if (host != NULL && v < 0 && !event_hint(c, time_tok, host, verb))
            ms_sc_fail_choice(c, verb, verb_words, " as the action");
        if (v >= 0) {
            act->kind = agent_verbs[v].kind;
            act->host = g_strdup(host->text);
            locs->host = host->loc;
            locs->verb = verb->loc;
            if (act->kind == MS_SC_TELNET) {
                /* The block opens even if this line turns out wrong, so its
                 * lines are not each blamed for being outside one. */
                c->p->block_open = TRUE;
                c->p->block = NULL;
                c->p->block_loc = verb->loc;
            }
            ok = agent_verbs[v].parse(c, act, locs);
        }
    }
    if (!ok) {
        ms_sc_action_free(act);
        ms_sc_action_locs_free(locs);
        return;
    }
    if (act->kind == MS_SC_TELNET)
        c->p->block = act;
    g_ptr_array_add(c->p->sc->actions, act);
    g_ptr_array_add(c->p->action_locs, locs);
}
