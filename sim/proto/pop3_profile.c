/* pop3_profile.c - the wording of a POP3 server's replies, as data.
 *
 * RFC 1939 fixes only the status indicator (+OK / -ERR) and a few formats
 * (STAT, scan listings); the text after the indicator is the server's own.
 * A profile is one set of such texts: "default" follows the examples of RFC
 * 1939, "textbook" the sample POP3 session in Kurose & Ross, Computer
 * Networking: A Top-Down Approach (terse "+OK" lines).  A template names its variables in
 * braces: {user} {count} {s} (plural ending) {octets} {n} {host} {verb}
 * {state} {timestamp}.
 */
#include "pop3-private.h"

#include <string.h>

struct MsPop3Profile {
    const char *name;
    /* NULL: use the default profile's text. */
    const char *text[MS_POP3_N_TEXTS];
};

#define TEXT_OK_(e, ok, note) [e] = ok,
static const gboolean text_ok[] = { MS_POP3_TEXTS(TEXT_OK_) };
#undef TEXT_OK_

#define TEXT_NOTE_(e, ok, note) [e] = note,
static const char *const text_note[] = { MS_POP3_TEXTS(TEXT_NOTE_) };
#undef TEXT_NOTE_

static const MsPop3Profile profile_default = {
    .name = "default",
    .text = {
        /* Section 4: the greeting; the timestamp is there when APOP is on. */
        [MS_POP3_T_GREETING] = "POP3 server ready {timestamp}",
        /* Section 7, USER and PASS examples. */
        [MS_POP3_T_USER_OK] = "{user} is a real hoopy frood",
        [MS_POP3_T_USER_UNKNOWN] = "sorry, no mailbox for {user} here",
        [MS_POP3_T_LOGIN_OK] = "{user}'s maildrop has {count} message{s} ({octets} octets)",
        [MS_POP3_T_AUTH_FAILED] = "invalid user name or password",
        [MS_POP3_T_NO_USER] = "USER command expected before PASS",
        [MS_POP3_T_APOP_UNAVAILABLE] = "APOP not supported",
        [MS_POP3_T_LOCKED] = "maildrop already locked",
        [MS_POP3_T_LOAD_FAILED] = "unable to open maildrop",
        /* Sections 4 and 6, QUIT examples. */
        [MS_POP3_T_QUIT_AUTH] = "{host} POP3 server signing off",
        [MS_POP3_T_QUIT_EMPTY] = "{host} POP3 server signing off (maildrop empty)",
        [MS_POP3_T_QUIT_LEFT] = "{host} POP3 server signing off ({count} message{s} left)",
        /* Section 5, examples of each TRANSACTION command. */
        [MS_POP3_T_LIST_ALL] = "{count} message{s} ({octets} octets)",
        [MS_POP3_T_RETR] = "{octets} octets",
        [MS_POP3_T_TOP] = "top of message follows",
        [MS_POP3_T_DELE] = "message {n} deleted",
        [MS_POP3_T_NOOP] = "",
        [MS_POP3_T_RSET] = "maildrop has {count} message{s} ({octets} octets)",
        [MS_POP3_T_UIDL_ALL] = "",
        /* RFC 2449 section 5. */
        [MS_POP3_T_CAPA] = "Capability list follows",
        [MS_POP3_T_NO_SUCH] = "no such message, only {count} message{s} in maildrop",
        [MS_POP3_T_DELETED] = "message {n} already deleted",
        [MS_POP3_T_BAD_ARG] = "invalid argument",
        [MS_POP3_T_UNKNOWN] = "unknown command",
        [MS_POP3_T_WRONG_STATE] = "{verb} not allowed in the {state} state",
        [MS_POP3_T_TOO_LONG] = "command line too long",
        [MS_POP3_T_TOO_MANY_ERRORS] = "too many bad commands, closing connection",
    },
};

/* Kurose & Ross show "+OK POP3 server ready", a bare "+OK" to user,
 * "+OK user successfully logged on" to pass, listings and messages without
 * commentary, and "+OK POP3 server signing off". */
static const MsPop3Profile profile_textbook = {
    .name = "textbook",
    .text = {
        [MS_POP3_T_USER_OK] = "",
        [MS_POP3_T_LOGIN_OK] = "user successfully logged on",
        [MS_POP3_T_QUIT_AUTH] = "POP3 server signing off",
        [MS_POP3_T_QUIT_EMPTY] = "POP3 server signing off",
        [MS_POP3_T_QUIT_LEFT] = "POP3 server signing off",
        [MS_POP3_T_LIST_ALL] = "",
        [MS_POP3_T_RETR] = "",
        [MS_POP3_T_TOP] = "",
        [MS_POP3_T_DELE] = "",
    },
};

static const MsPop3Profile *const profiles[] = { &profile_default, &profile_textbook };
static const char *const profile_names[] = { "default", "textbook", NULL };

const MsPop3Profile *ms_pop3_profile_find(const char *name)
{
    if (name == NULL)
        return &profile_default;
    for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++) {
        if (strcmp(profiles[i]->name, name) == 0)
            return profiles[i];
    }
    return NULL;
}

gboolean ms_pop3_profile_exists(const char *name)
{
    return ms_pop3_profile_find(name) != NULL;
}

const char *const *ms_pop3_profile_names(void)
{
    return profile_names;
}

gboolean ms_pop3_text_is_ok(MsPop3TextId id)
{
    g_return_val_if_fail(id < MS_POP3_N_TEXTS, FALSE);
    return text_ok[id];
}

const char *ms_pop3_text_note(MsPop3TextId id)
{
    g_return_val_if_fail(id < MS_POP3_N_TEXTS, NULL);
    return text_note[id];
}

/* The value of the variable named by the len octets at name, or NULL.
 * Names are short and compared in place: every reply of a run looks up
 * one or two. */
static const char *lookup_var(const char *const *vars, const char *name, gsize len)
{
    for (gsize i = 0; vars != NULL && vars[i] != NULL && vars[i + 1] != NULL; i += 2) {
        const char *key = vars[i];
        gsize k = 0;
        while (k < len && key[k] == name[k])
            k++;
        if (k == len && key[k] == '\0')
            return vars[i + 1];
    }
    return NULL;
}

void ms_pop3_profile_expand(const MsPop3Profile *profile, MsPop3TextId id,
                            const char *const *vars, GString *line)
{
    g_return_if_fail(profile != NULL && id < MS_POP3_N_TEXTS);
    const char *tmpl = profile->text[id];
    if (tmpl == NULL)
        tmpl = profile_default.text[id];
    g_assert(tmpl != NULL);

    /* RFC 1939 section 3: status indicator, then the text after a space. */
    line->len = 0;
    if (text_ok[id])
        ms_pop3_string_put(line, "+OK ", 4);
    else
        ms_pop3_string_put(line, "-ERR ", 5);
    gsize status_len = line->len;
    const char *p = tmpl;
    while (*p != '\0') {
        const char *run = p + 1;
        if (*p == '{') {
            /* A "{" that names no variable is text like any other. */
            const char *close = strchr(p, '}');
            const char *value = close != NULL ? lookup_var(vars, p + 1, (gsize) (close - p - 1))
                                              : NULL;
            if (value != NULL) {
                ms_pop3_string_put(line, value, strlen(value));
                p = close + 1;
                continue;
            }
        }
        while (*run != '\0' && *run != '{')
            run++;
        ms_pop3_string_put(line, p, (gsize) (run - p));
        p = run;
    }
    /* An empty variable at the end ("ready {timestamp}" without APOP) must
     * not leave a trailing space, nor an empty text the space before it. */
    gsize len = line->len;
    while (len >= status_len && line->str[len - 1] == ' ')
        len--;
    line->len = len;
    line->str[len] = '\0';
}

char *ms_pop3_profile_reply(const MsPop3Profile *profile, MsPop3TextId id,
                            const char *const *vars)
{
    GString *line = g_string_new(NULL);
    ms_pop3_profile_expand(profile, id, vars, line);
    return g_string_free(line, FALSE);
}
