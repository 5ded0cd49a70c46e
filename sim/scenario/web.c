/* web.c - reads the web-mail actions: an agent using a browser.
 *
 * With web mail the user agent is an ordinary browser that talks HTTP to
 * the user's mail server (the lecture notes' "基于Web的电子邮件"):
 *   at T HOST web login [password P]      POST /login, follow to the inbox
 *   at T HOST web inbox                   GET /inbox
 *   at T HOST web read N                  GET /message/N (N from 1)
 *   at T HOST web send to ADDR[,ADDR...] [subject S] [body S]
 *                                         POST /send, follow to the inbox
 *   at T HOST web logout                  GET /logout
 * Here only the words are read; validate.c checks that the agent's server
 * has 'webmail on' and that every step but login comes after a login.
 */
#include "scenario-private.h"

#include <string.h>

static gboolean web_login(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    static const char *const names[] = { "password", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    int opt;
    for (opt = ms_sc_next_option(c, names, seen, 0, "web login action"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "web login action")) {
        MsScToken *pw = ms_sc_read_password(c);
        if (pw == NULL)
            return FALSE;
        act->password = g_strdup(pw->text);
    }
    return opt == -1;
}

static gboolean web_plain(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    return ms_sc_expect_end(c, ms_sc_action_name(act->kind));
}

static gboolean web_read(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    (void) locs;
    guint64 n = 0;
    if (!ms_sc_read_whole(c, 1, G_MAXUINT32, "a message number such as 1 (its place in "
                                             "the inbox listing, from 1)", &n))
        return FALSE;
    act->number = (guint) n;
    return ms_sc_expect_end(c, "web read");
}

static gboolean web_send(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    enum { OPT_TO, OPT_SUBJECT, OPT_BODY };
    static const char *const names[] = { "to", "subject", "body", NULL };
    MsLoc seen[MS_SC_MAX_OPTIONS] = { { 0, 0 } };
    int opt;
    for (opt = ms_sc_next_option(c, names, seen, 0, "web send action"); opt >= 0;
         opt = ms_sc_next_option(c, names, seen, 0, "web send action")) {
        MsScToken *tok = NULL;
        switch (opt) {
        case OPT_TO:
            if (!ms_sc_read_addresses(c, act->to, NULL, locs->to,
                                      "the web compose form has one text field for "
                                      "addresses, without display names"))
                return FALSE;
            break;
        case OPT_SUBJECT:
            tok = ms_sc_expect_text(c, "the subject in double quotes, such as \"Ketchup\"");
            if (tok == NULL)
                return FALSE;
            /* The form's subject is a one-line input field, and the
             * header field it becomes is one line (RFC 5322 2.2). */
            if (strpbrk(tok->text, "\r\n") != NULL) {
                ms_sc_fail(c, tok->loc, "a subject is one line: it cannot hold a line break");
                return FALSE;
            }
            act->subject = g_strdup(tok->text);
            break;
        case OPT_BODY:
            tok = ms_sc_expect_text(c, "the body in double quotes, such as \"Hi!\\n\"");
            if (tok == NULL)
                return FALSE;
            act->body = g_strdup(tok->text);
            break;
        default: g_assert_not_reached();
        }
    }
    if (opt == -2)
        return FALSE;
    if (act->to->len == 0) {
        ms_sc_fail_expected(c, NULL, "'to' and at least one address, as in to bob@hamburger.edu");
        return FALSE;
    }
    return TRUE;
}

static const struct {
    const char *word;
    MsScActionKind kind;
    gboolean (*parse)(MsScCursor *c, MsScAction *act, MsScActionLocs *locs);
} web_table[] = {
    { "login", MS_SC_WEB_LOGIN, web_login },
    { "inbox", MS_SC_WEB_INBOX, web_plain },
    { "read", MS_SC_WEB_READ, web_read },
    { "send", MS_SC_WEB_SEND, web_send },
    { "logout", MS_SC_WEB_LOGOUT, web_plain },
};

static const char *const web_words[] = { "login", "inbox", "read", "send", "logout", NULL };

gboolean ms_sc_parse_web(MsScCursor *c, MsScAction *act, MsScActionLocs *locs)
{
    MsScToken *tok = ms_sc_take(c);
    for (guint i = 0; i < G_N_ELEMENTS(web_table); i++) {
        if (ms_sc_is_word(tok, web_table[i].word)) {
            act->kind = web_table[i].kind;
            return web_table[i].parse(c, act, locs);
        }
    }
    ms_sc_fail_choice(c, tok, web_words, " after 'web'");
    return FALSE;
}
