/* cursor.c - reading the tokens of one statement.
 *
 * Every reader of a statement (parser.c, actions.c, send.c) walks its
 * tokens with a cursor and stops at the first thing it cannot accept,
 * reporting "expected X, found Y" at that token.  One error per statement
 * is enough: once a statement is off the rails, what follows in it says
 * little.  The helpers here read the values that several statements share:
 * host names, addresses, durations, on/off switches, choices, numbers and
 * "keyword value" options in any order.
 */
#include "scenario-private.h"

#include <string.h>

MsScToken *ms_sc_peek(const MsScCursor *c)
{
    return c->pos < c->st->tokens->len ? g_ptr_array_index(c->st->tokens, c->pos) : NULL;
}

MsScToken *ms_sc_take(MsScCursor *c)
{
    MsScToken *tok = ms_sc_peek(c);
    if (tok != NULL)
        c->pos++;
    return tok;
}

MsLoc ms_sc_loc_of(const MsScCursor *c, const MsScToken *tok)
{
    return tok != NULL ? tok->loc : c->st->end;
}

char *ms_sc_describe(const MsScToken *tok)
{
    if (tok == NULL)
        return g_strdup("end of line");
    g_autofree char *q = ms_sc_quote(tok->text);
    switch (tok->kind) {
    case MS_SC_TOK_STRING: return g_strdup_printf("the string \"%s\"", q);
    case MS_SC_TOK_COMMA: return g_strdup("','");
    case MS_SC_TOK_ANGLE: return g_strdup_printf("'<%s>'", q);
    case MS_SC_TOK_WORD:
    case MS_SC_N_TOKENS:
    default: return g_strdup_printf("'%s'", q);
    }
}

void ms_sc_fail(MsScCursor *c, MsLoc loc, const char *fmt, ...)
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

void ms_sc_fail_expected(MsScCursor *c, const MsScToken *tok, const char *what)
{
    g_autofree char *found = ms_sc_describe(tok);
    ms_sc_fail(c, ms_sc_loc_of(c, tok), "expected %s, found %s", what, found);
}

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

void ms_sc_fail_choice(MsScCursor *c, const MsScToken *tok, const char *const *choices,
                       const char *where)
{
    g_autofree char *found = ms_sc_describe(tok);
    g_autofree char *list = option_list(choices);
    const char *hint = ms_sc_is_text(tok) ? ms_sc_suggest(tok->text, choices) : NULL;
    if (hint != NULL)
        ms_sc_fail(c, ms_sc_loc_of(c, tok), "expected %s%s, found %s; did you mean '%s'?",
                   list, where, found, hint);
    else
        ms_sc_fail(c, ms_sc_loc_of(c, tok), "expected %s%s, found %s", list, where, found);
}

gboolean ms_sc_is_text(const MsScToken *tok)
{
    return tok != NULL && (tok->kind == MS_SC_TOK_WORD || tok->kind == MS_SC_TOK_STRING);
}

/* Keywords are bare words: a quoted "send" is a name, not the keyword. */
gboolean ms_sc_is_word(const MsScToken *tok, const char *word)
{
    return tok != NULL && tok->kind == MS_SC_TOK_WORD && strcmp(tok->text, word) == 0;
}

MsScToken *ms_sc_expect_host(MsScCursor *c, const char *what)
{
    MsScToken *tok = ms_sc_take(c);
    if (!ms_sc_is_text(tok) || !ms_sc_is_host_name(tok->text)) {
        ms_sc_fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

MsScToken *ms_sc_expect_address(MsScCursor *c, const char *what)
{
    MsScToken *tok = ms_sc_take(c);
    if (!ms_sc_is_text(tok) || !ms_sc_is_address(tok->text)) {
        ms_sc_fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

MsScToken *ms_sc_expect_text(MsScCursor *c, const char *what)
{
    MsScToken *tok = ms_sc_take(c);
    if (!ms_sc_is_text(tok)) {
        ms_sc_fail_expected(c, tok, what);
        return NULL;
    }
    return tok;
}

gboolean ms_sc_expect_end(MsScCursor *c, const char *statement)
{
    MsScToken *tok = ms_sc_peek(c);
    if (tok == NULL)
        return TRUE;
    g_autofree char *found = ms_sc_describe(tok);
    ms_sc_fail(c, tok->loc, "expected the end of the %s statement, found %s", statement,
               found);
    return FALSE;
}

static gboolean value_parses(MsScValueKind kind, const char *text)
{
    g_autofree char *why = NULL;
    MsTime t = 0;
    guint64 v = 0;
    switch (kind) {
    case MS_SC_VALUE_DURATION: return ms_sc_parse_duration(text, &t, &why);
    case MS_SC_VALUE_RATE: return ms_sc_parse_rate(text, &v, &why);
    default: g_assert_not_reached();
    }
}

void ms_sc_fail_value(MsScCursor *c, const MsScToken *tok, const char *why, MsScValueKind kind)
{
    /* "1 min", "10 Mbit": the number and its unit written apart, the
     * slip most often made (units are written right after the number). */
    const MsScToken *next = ms_sc_peek(c);
    gboolean number = tok->kind == MS_SC_TOK_WORD && g_ascii_isdigit(tok->text[0]);
    for (const char *q = tok->text; number && *q != '\0'; q++)
        number = g_ascii_isdigit(*q) || *q == '.';
    if (number && next != NULL && next->kind == MS_SC_TOK_WORD) {
        g_autofree char *joined = g_strconcat(tok->text, next->text, NULL);
        if (value_parses(kind, joined)) {
            g_autofree char *q = ms_sc_quote(joined);
            ms_sc_fail(c, tok->loc, "%s; did you mean '%s'? (write the unit right after the "
                                    "number, with no space)", why, q);
            return;
        }
    }
    ms_sc_fail(c, tok->loc, "%s", why);
}

gboolean ms_sc_read_duration(MsScCursor *c, MsTime *out, const MsScToken **tok_out)
{
    const MsScToken *tok = ms_sc_expect_text(c, "a duration such as 40ms or 2s");
    if (tok == NULL)
        return FALSE;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_duration(tok->text, out, &why)) {
        ms_sc_fail_value(c, tok, why, MS_SC_VALUE_DURATION);
        return FALSE;
    }
    if (tok_out != NULL)
        *tok_out = tok;
    return TRUE;
}

gboolean ms_sc_read_switch(MsScCursor *c, gboolean *out)
{
    static const char *const values[] = { "on", "off", NULL };
    int i = ms_sc_read_choice(c, values, "");
    if (i < 0)
        return FALSE;
    *out = i == 0;
    return TRUE;
}

int ms_sc_read_choice(MsScCursor *c, const char *const *choices, const char *where)
{
    MsScToken *tok = ms_sc_take(c);
    for (int i = 0; tok != NULL && tok->kind == MS_SC_TOK_WORD && choices[i] != NULL; i++) {
        if (strcmp(tok->text, choices[i]) == 0)
            return i;
    }
    ms_sc_fail_choice(c, tok, choices, where);
    return -1;
}

gboolean ms_sc_read_whole(MsScCursor *c, guint64 min, guint64 max, const char *what,
                          guint64 *out)
{
    MsScToken *tok = ms_sc_expect_text(c, what);
    if (tok == NULL)
        return FALSE;
    g_autofree char *why = NULL;
    if (!ms_sc_parse_whole(tok->text, min, max, what, out, &why)) {
        ms_sc_fail(c, tok->loc, "%s", why);
        return FALSE;
    }
    return TRUE;
}

MsScToken *ms_sc_read_password(MsScCursor *c)
{
    MsScToken *tok = ms_sc_expect_text(c, "a password, a word or a string in double quotes");
    if (tok == NULL)
        return NULL;
    /* RFC 1939 7 and RFC 3501 6.2.3: the password travels inside one
     * command line, so it may hold spaces but no line break or other
     * control character. */
    gboolean bad = tok->text[0] == '\0';
    for (const char *q = tok->text; *q != '\0'; q++) {
        if ((guchar) *q < 0x20 || *q == 0x7F)
            bad = TRUE;
    }
    if (bad) {
        ms_sc_fail(c, tok->loc,
                   "a password must be non-empty and hold no control character or line break");
        return NULL;
    }
    return tok;
}

int ms_sc_next_option(MsScCursor *c, const char *const *names, MsLoc *seen, guint repeatable,
                      const char *where)
{
    MsScToken *tok = ms_sc_peek(c);
    if (tok == NULL)
        return -1;
    if (tok->kind == MS_SC_TOK_WORD) {
        for (int i = 0; names[i] != NULL; i++) {
            g_assert(i < MS_SC_MAX_OPTIONS);
            if (strcmp(tok->text, names[i]) != 0)
                continue;
            if (seen[i].line != 0 && (repeatable & (1u << i)) == 0) {
                ms_sc_fail(c, tok->loc, "'%s' is given twice in one %s (first at %u:%u)",
                           names[i], where, seen[i].line, seen[i].column);
                return -2;
            }
            if (seen[i].line == 0)
                seen[i] = tok->loc;
            c->pos++;
            return i;
        }
    }
    g_autofree char *found = ms_sc_describe(tok);
    g_autofree char *list = option_list(names);
    if (tok->kind == MS_SC_TOK_COMMA || (tok->kind == MS_SC_TOK_WORD && strchr(tok->text, '@'))) {
        /* An address where an option was expected: most likely a list of
         * addresses with a comma forgotten, or a comma too many. */
        ms_sc_fail(c, tok->loc, "expected %s, found %s (separate addresses with one ',')",
                   list, found);
        return -2;
    }
    g_autofree char *in = g_strdup_printf(" in %s %s", strchr("aeiou", where[0]) != NULL
                                                          ? "an"
                                                          : "a",
                                          where);
    ms_sc_fail_choice(c, tok, names, in);
    return -2;
}
