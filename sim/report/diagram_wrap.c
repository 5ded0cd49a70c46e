/* diagram_wrap.c - wrapping a slide's labels at the places a reader
 * expects a line to break.
 *
 * On a slide the columns are narrow, and a label broken inside a word reads
 * badly from the back of a lecture hall: "MAIL FROM:<alice@cr" / "epes.fr>".
 * So a row ends only at a space, before the '<' that opens an address, or
 * beside a wide (CJK) character, and never at the space of a two-word
 * command ("MAIL FROM:", "RCPT TO:"), which wraps after its colon at the
 * earliest (unless the command itself is wider than a row).  Only a piece wider than a whole row (a base64 line, a very
 * long address) is broken inside, and it starts on a row of its own, so
 * that every character is still on the slide.
 */
#include <string.h>

#include "report/diagram-private.h"

static guint char_w(gunichar c)
{
    return g_unichar_iswide(c) ? 2 : 1;
}

/* Whether the space at p (in text) joins the two words of a command. */
static gboolean command_space(const char *text, const char *p)
{
    static const struct {
        const char *first, *second;
    } joined[] = { { "MAIL", "FROM:" }, { "RCPT", "TO:" } };
    for (guint i = 0; i < G_N_ELEMENTS(joined); i++) {
        gsize n = strlen(joined[i].first);
        if ((gsize) (p - text) >= n && g_ascii_strncasecmp(p - n, joined[i].first, n) == 0 &&
            (p - n == text || p[-(gssize) n - 1] == ' ' || p[-(gssize) n - 1] == '\n') &&
            g_ascii_strncasecmp(p + 1, joined[i].second, strlen(joined[i].second)) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Drops characters from the end of the last row until "…" fits in it. */
static void end_with_ellipsis(GString *out, guint row_w, guint max_chars)
{
    while (out->len > 0 && out->str[out->len - 1] != '\n' &&
           (row_w + 1 > max_chars || out->str[out->len - 1] == ' ')) {
        const char *prev = g_utf8_find_prev_char(out->str, out->str + out->len);
        row_w -= char_w(g_utf8_get_char(prev));
        g_string_truncate(out, (gsize) (prev - out->str));
    }
    g_string_append(out, "\u2026");
}

/* The end of the piece that starts at p: the next place a row may end. */
static const char *piece_end(const char *text, const char *p)
{
    if (*p == ' ' || (*p != '\0' && g_unichar_iswide(g_utf8_get_char(p))))
        return g_utf8_next_char(p);
    for (const char *q = p; *q != '\0'; q = g_utf8_next_char(q)) {
        gunichar c = g_utf8_get_char(q);
        if (c == '\n' || g_unichar_iswide(c))
            return q;
        if (c == ' ' && !command_space(text, q))
            return q;
        if (c == '<' && q > p)
            return q;
    }
    return p + strlen(p);
}

static guint span_w(const char *p, const char *end)
{
    guint w = 0;
    for (; p < end; p = g_utf8_next_char(p))
        w += char_w(g_utf8_get_char(p));
    return w;
}

/* Where a row is full: a new row, or, when the label has all its rows,
 * an ellipsis to end it; FALSE then. */
static gboolean next_row(GString *out, guint *rows, guint *row_w, guint max_rows,
                         guint max_chars)
{
    if (*rows == max_rows) {
        end_with_ellipsis(out, *row_w, max_chars);
        return FALSE;
    }
    g_string_append_c(out, '\n');
    (*rows)++;
    *row_w = 0;
    return TRUE;
}

char *ms_dg_wrap_words(const char *text, guint max_chars, guint max_rows, guint *rows_out)
{
    if (max_chars < 2)
        max_chars = 2;
    if (max_rows < 1)
        max_rows = 1;
    GString *out = g_string_sized_new(strlen(text) + 8);
    guint rows = 1, row_w = 0;
    gboolean full = FALSE;
    const char *p = text;
    while (*p != '\0' && !full) {
        if (*p == '\n') {
            if (!next_row(out, &rows, &row_w, max_rows, max_chars))
                break;
            p++;
            continue;
        }
        /* A space between two pieces: kept if the next piece fits after
         * it, else it is where the row ends. */
        guint sep = 0;
        const char *start = p;
        if (*p == ' ' && p > text && p[-1] != '\n' && p[-1] != ' ') {
            sep = 1;
            start = p + 1;
        }
        const char *end = piece_end(text, start);
        guint w = span_w(start, end);
        /* A command wider than a row breaks at its own space first. */
        if (w > max_chars) {
            const char *space = memchr(start, ' ', (gsize) (end - start));
            if (space != NULL && space > start) {
                end = space;
                w = span_w(start, end);
            }
        }
        if (row_w > 0 && row_w + sep + w > max_chars) {
            if (!next_row(out, &rows, &row_w, max_rows, max_chars))
                break;
            sep = 0;
        }
        /* (At the start of a row the space was the break.) */
        if (sep == 1 && row_w > 0) {
            g_string_append_c(out, ' ');
            row_w++;
        }
        /* The piece itself, broken inside only where it is wider than a
         * row. */
        for (const char *q = start; q < end; q = g_utf8_next_char(q)) {
            gunichar c = g_utf8_get_char(q);
            if (row_w + char_w(c) > max_chars &&
                !next_row(out, &rows, &row_w, max_rows, max_chars)) {
                full = TRUE;
                break;
            }
            g_string_append_unichar(out, c);
            row_w += char_w(c);
        }
        p = end;
    }
    if (rows_out != NULL)
        *rows_out = rows;
    return g_string_free(out, FALSE);
}
