/* lexer.c - cuts scenario text into statements of tokens.
 *
 * The language is line-oriented: a statement is one line, '#' starts a
 * comment that runs to the end of the line (outside strings), and a
 * backslash as the last character of a line joins the next line to it.
 * A token is a bare word of [A-Za-z0-9._@+%-] (plus 'µ' for microseconds),
 * a double-quoted string with C-like escapes, or a comma between
 * addresses.  Columns count bytes from 1, so they match what an editor
 * shows for ASCII text and point at the offending byte otherwise.
 */
#include "scenario-private.h"

#include <string.h>

typedef struct {
    const char *text;
    gsize len;
    gsize i;          /* next byte to read */
    guint line;       /* line of byte i, from 1 */
    gsize line_start; /* offset of the first byte of that line */
    MsScDiags *diags;
    GPtrArray *statements;
    MsScStatement *cur; /* statement being read, NULL between statements */
    gboolean bare_cr_named; /* a CR-only line end was reported */
} Lexer;

static const char *const token_names[] = {
#define MS_SC_TOK_NAME_(e, s) s,
    MS_SC_TOKENS(MS_SC_TOK_NAME_)
#undef MS_SC_TOK_NAME_
};

const char *ms_sc_token_kind_name(MsScTokenKind kind)
{
    g_return_val_if_fail(kind < MS_SC_N_TOKENS, "?");
    return token_names[kind];
}

static void token_free(gpointer data)
{
    MsScToken *tok = data;
    if (tok == NULL)
        return;
    g_free(tok->text);
    g_free(tok);
}

static void statement_free(gpointer data)
{
    MsScStatement *st = data;
    if (st == NULL)
        return;
    g_ptr_array_unref(st->tokens);
    g_free(st);
}

static MsLoc loc_at(const Lexer *lx, gsize offset)
{
    MsLoc loc = { lx->line, (guint) (offset - lx->line_start + 1) };
    return loc;
}

static MsScStatement *current(Lexer *lx)
{
    if (lx->cur == NULL) {
        lx->cur = g_new0(MsScStatement, 1);
        lx->cur->tokens = g_ptr_array_new_with_free_func(token_free);
    }
    return lx->cur;
}

static void finish_statement(Lexer *lx)
{
    if (lx->cur != NULL)
        g_ptr_array_add(lx->statements, g_steal_pointer(&lx->cur));
}

/* Only the first lexical error of a statement is reported: what follows a
 * stray byte is usually fine, and repeating the cause helps nobody. */
static void G_GNUC_PRINTF(3, 4) lex_error(Lexer *lx, MsLoc loc, const char *fmt, ...)
{
    MsScStatement *st = current(lx);
    if (st->broken)
        return;
    st->broken = TRUE;
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ms_sc_diag(lx->diags, loc, "%s", msg);
}

static void add_token(Lexer *lx, MsScTokenKind kind, char *text, MsLoc loc)
{
    MsScStatement *st = current(lx);
    MsScToken *tok = g_new0(MsScToken, 1);
    tok->kind = kind;
    tok->text = text;
    tok->loc = loc;
    g_ptr_array_add(st->tokens, tok);
    /* The statement ends, for "found end of line" messages, right after its
     * last token; lx->i is already past it. */
    st->end = loc_at(lx, lx->i);
}

static void new_line(Lexer *lx)
{
    lx->line++;
    lx->line_start = lx->i;
}

/* Length of 'µ' at p (MICRO SIGN U+00B5 or GREEK SMALL LETTER MU U+03BC,
 * both in UTF-8), or 0. */
static gsize micro_len(const char *p, gsize avail)
{
    if (avail >= 2) {
        guchar a = (guchar) p[0];
        guchar b = (guchar) p[1];
        if ((a == 0xC2 && b == 0xB5) || (a == 0xCE && b == 0xBC))
            return 2;
    }
    return 0;
}

static gboolean is_word_byte(char c)
{
    return g_ascii_isalnum(c) || strchr("._@+%-/", c) != NULL;
}

/* Length of the word character at i (1 or 2 bytes), 0 if none. */
static gsize word_char_len(const Lexer *lx, gsize i)
{
    if (i >= lx->len)
        return 0;
    if (lx->text[i] != '\0' && is_word_byte(lx->text[i]))
        return 1;
    return micro_len(lx->text + i, lx->len - i);
}

static void lex_word(Lexer *lx)
{
    gsize start = lx->i;
    MsLoc loc = loc_at(lx, start);
    gsize n = word_char_len(lx, lx->i);
    while (n > 0) {
        lx->i += n;
        n = word_char_len(lx, lx->i);
    }
    add_token(lx, MS_SC_TOK_WORD, g_strndup(lx->text + start, lx->i - start), loc);
}

/* RFC 5322 3.4 angle-addr: "<bob@hamburger.edu>", the address after a
 * display name ("Bob Smith" <bob@hamburger.edu>).  Inside the brackets
 * only printable ASCII without blanks, quotes or brackets; whether it is
 * an address is the parser's business. */
static void lex_angle(Lexer *lx)
{
    MsLoc loc = loc_at(lx, lx->i);
    gsize j = lx->i + 1;
    while (j < lx->len && lx->text[j] != '>' && g_ascii_isgraph(lx->text[j])
           && strchr("<\"#", lx->text[j]) == NULL)
        j++;
    if (j >= lx->len || lx->text[j] != '>') {
        lex_error(lx, loc, "expected an address and a closing '>' after '<', as in "
                           "\"Bob Smith\" <bob@hamburger.edu>");
        lx->i = j;
        return;
    }
    add_token(lx, MS_SC_TOK_ANGLE, g_strndup(lx->text + lx->i + 1, j - lx->i - 1), loc);
    lx->i = j + 1;
    current(lx)->end = loc_at(lx, lx->i);
}

static int hex_value(char c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* Is there a line end (LF or CRLF) at offset i?  Returns its length. */
static gsize line_end_len(const Lexer *lx, gsize i)
{
    if (i < lx->len && lx->text[i] == '\n')
        return 1;
    if (i + 1 < lx->len && lx->text[i] == '\r' && lx->text[i + 1] == '\n')
        return 2;
    return 0;
}

/* Reads one escape after the backslash at lx->i; appends the byte it
 * stands for.  Returns FALSE (and reports) when the escape is wrong. */
static gboolean lex_escape(Lexer *lx, GString *out)
{
    MsLoc loc = loc_at(lx, lx->i);
    gsize nl = line_end_len(lx, lx->i + 1);
    if (nl > 0) {
        /* Backslash-newline inside a string: the string goes on at the
         * start of the next line, without the line break. */
        lx->i += 1 + nl;
        new_line(lx);
        return TRUE;
    }
    if (lx->i + 1 >= lx->len) {
        lx->i++;
        return TRUE; /* end of input: the caller reports the open string */
    }
    char c = lx->text[lx->i + 1];
    switch (c) {
    case 'n': g_string_append_c(out, '\n'); break;
    case 't': g_string_append_c(out, '\t'); break;
    case 'r': g_string_append_c(out, '\r'); break;
    case '\\': g_string_append_c(out, '\\'); break;
    case '"': g_string_append_c(out, '"'); break;
    case 'x': {
        int hi = lx->i + 2 < lx->len ? hex_value(lx->text[lx->i + 2]) : -1;
        int lo = lx->i + 3 < lx->len ? hex_value(lx->text[lx->i + 3]) : -1;
        if (hi < 0 || lo < 0) {
            lex_error(lx, loc, "expected two hex digits after '\\x' in a string, "
                               "as in \\x41");
            lx->i += 2;
            return FALSE;
        }
        if (hi == 0 && lo == 0) {
            lex_error(lx, loc, "'\\x00' (a NUL byte) cannot be part of a string");
            lx->i += 4;
            return FALSE;
        }
        g_string_append_c(out, (char) (hi * 16 + lo));
        lx->i += 4;
        return TRUE;
    }
    default:
        if ((guchar) c < 0x20 || (guchar) c >= 0x7F)
            lex_error(lx, loc, "unknown escape: '\\' followed by byte 0x%02X in a "
                               "string", (guchar) c);
        else
            lex_error(lx, loc, "unknown escape '\\%c' in a string; "
                               "use \\n, \\t, \\r, \\\\, \\\" or \\xHH",
                      c);
        lx->i += 2;
        return FALSE;
    }
    lx->i += 2;
    return TRUE;
}

static void lex_string(Lexer *lx)
{
    MsLoc loc = loc_at(lx, lx->i);
    g_autoptr(GString) out = g_string_new(NULL);
    gboolean ok = TRUE;
    lx->i++; /* the opening quote */
    for (;;) {
        if (lx->i >= lx->len || line_end_len(lx, lx->i) > 0) {
            lex_error(lx, loc, "unterminated string: expected a closing '\"' "
                               "before the end of the line (write \\n for a line "
                               "break inside a string)");
            return;
        }
        char c = lx->text[lx->i];
        if (c == '"') {
            lx->i++;
            break;
        }
        if (c == '\\') {
            ok = lex_escape(lx, out) && ok;
            continue;
        }
        if ((guchar) c < 0x20 && c != '\t') {
            lex_error(lx, loc_at(lx, lx->i),
                      "control byte 0x%02X inside a string; write it as \\x%02X",
                      (guchar) c, (guchar) c);
            ok = FALSE;
        }
        g_string_append_c(out, c);
        lx->i++;
    }
    if (!ok)
        return;
    if (!g_utf8_validate(out->str, (gssize) out->len, NULL)) {
        lex_error(lx, loc, "the string is not valid UTF-8 text");
        return;
    }
    add_token(lx, MS_SC_TOK_STRING, g_string_free(g_steal_pointer(&out), FALSE), loc);
}

/* A backslash outside a string continues the statement on the next line
 * when only blanks follow it on its line.  Returns TRUE if it did. */
static gboolean lex_continuation(Lexer *lx)
{
    gsize j = lx->i + 1;
    while (j < lx->len && (lx->text[j] == ' ' || lx->text[j] == '\t'))
        j++;
    if (j >= lx->len) {
        lx->i = j;
        return TRUE;
    }
    gsize nl = line_end_len(lx, j);
    if (nl == 0)
        return FALSE;
    lx->i = j + nl;
    new_line(lx);
    return TRUE;
}

static void lex_stray(Lexer *lx)
{
    MsLoc loc = loc_at(lx, lx->i);
    guchar c = (guchar) lx->text[lx->i];
    if (c == '\\') {
        lex_error(lx, loc, "unexpected '\\': a backslash joins the next line only "
                           "as the last character of a line");
        lx->i++;
        return;
    }
    if (c < 0x80) {
        if (g_ascii_isprint((char) c))
            lex_error(lx, loc, "unexpected character '%c': names are made of "
                               "letters, digits and . _ - + @ %%; put other text "
                               "in double quotes", c);
        else
            lex_error(lx, loc, "unexpected control byte 0x%02X", c);
        lx->i++;
        return;
    }
    gsize avail = MIN(lx->len - lx->i, (gsize) 6);
    gunichar u = g_utf8_get_char_validated(lx->text + lx->i, (gssize) avail);
    if (u == (gunichar) -1 || u == (gunichar) -2) {
        lex_error(lx, loc, "unexpected byte 0x%02X: the file is not valid UTF-8 here", c);
        lx->i++;
        return;
    }
    gsize n = (gsize) g_unichar_to_utf8(u, NULL);
    g_autofree char *shown = g_strndup(lx->text + lx->i, n);
    if (u == 0xFEFF)
        lex_error(lx, loc, "unexpected byte order mark (U+FEFF, invisible in most "
                           "editors): it may only begin the file; delete it");
    else if (u == 0x201C || u == 0x201D || u == 0x201E)
        lex_error(lx, loc, "unexpected character '%s': strings use plain double "
                           "quotes (\")", shown);
    else
        lex_error(lx, loc, "unexpected character '%s': names are made of ASCII "
                           "letters, digits and . _ - + @ %%; put other text in "
                           "double quotes", shown);
    lx->i += n;
}

/* A CR not followed by LF ends lines in files saved with classic Mac OS
 * line ends.  It is named once, at its first place, and then taken as the
 * line end it was meant to be, so the rest of the file is still read line
 * by line. */
static void lex_bare_cr(Lexer *lx)
{
    if (!lx->bare_cr_named) {
        lx->bare_cr_named = TRUE;
        lex_error(lx, loc_at(lx, lx->i),
                  "a line ends with a bare CR (byte 0x0D) not followed by LF: the file "
                  "has CR-only line ends; save it with LF or CRLF line ends");
    }
    lx->i++;
    finish_statement(lx);
    new_line(lx);
}

/* A comment runs to the end of the line; a backslash inside it is part of
 * the comment and joins nothing.  Its text must still be text: a NUL or a
 * byte that is not UTF-8 means the file is not what it seems. */
static void lex_comment(Lexer *lx)
{
    gsize start = lx->i;
    while (lx->i < lx->len && lx->text[lx->i] != '\n' &&
           !(lx->text[lx->i] == '\r' && line_end_len(lx, lx->i) == 0))
        lx->i++;
    const char *bad = NULL;
    if (g_utf8_validate_len(lx->text + start, lx->i - start, &bad))
        return;
    guchar c = (guchar) *bad;
    if (c == 0)
        lex_error(lx, loc_at(lx, (gsize) (bad - lx->text)),
                  "NUL byte in a comment: a scenario is a text file");
    else
        lex_error(lx, loc_at(lx, (gsize) (bad - lx->text)),
                  "byte 0x%02X in a comment is not valid UTF-8 text", c);
}

GPtrArray *ms_sc_lex(const char *text, gsize len, MsScDiags *diags)
{
    Lexer lx = { .text = text, .len = len, .line = 1, .diags = diags };
    lx.statements = g_ptr_array_new_with_free_func(statement_free);
    /* Some editors start a UTF-8 file with a byte order mark; it is not
     * text, and columns count from after it, as the editor shows them. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        lx.i = 3;
        lx.line_start = 3;
    }

    while (lx.i < lx.len && !ms_sc_diags_full(diags)) {
        char c = text[lx.i];
        if (c == '\n') {
            lx.i++;
            finish_statement(&lx);
            new_line(&lx);
        } else if (c == '\r' && line_end_len(&lx, lx.i) == 0) {
            lex_bare_cr(&lx);
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            lx.i++;
        } else if (c == '#') {
            lex_comment(&lx);
        } else if (c == '"') {
            lex_string(&lx);
        } else if (c == '<') {
            lex_angle(&lx);
        } else if (c == ',') {
            lx.i++;
            add_token(&lx, MS_SC_TOK_COMMA, g_strdup(","), loc_at(&lx, lx.i - 1));
        } else if (c == '\\') {
            if (!lex_continuation(&lx))
                lex_stray(&lx);
        } else if (word_char_len(&lx, lx.i) > 0) {
            lex_word(&lx);
        } else {
            lex_stray(&lx);
        }
    }
    finish_statement(&lx);
    return lx.statements;
}
