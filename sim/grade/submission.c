/* submission.c - what a student hands in, read as untrusted input.
 *
 * A submission is read with a bound (never more than MS_GRADE_MAX_BYTES + 1
 * bytes, whatever the file's size) and screened before anything else looks
 * at it: a NUL byte, invalid UTF-8, an endless line or too many lines make
 * it fail with a message that says where.  A dialogue keeps each line's
 * own ending, because the line end is part of what is graded: a line the
 * student ended with a bare LF reaches the server as a bare LF.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "grade/grade-private.h"

char *ms_grade_read_bounded(const char *path, gsize *len_out, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot open %s: %s", path, g_strerror(e));
        return NULL;
    }
    gsize cap = MS_GRADE_MAX_BYTES + 1;
    char *buf = g_malloc(cap + 1);
    gsize n = 0;
    while (n < cap) {
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            g_set_error(error, MS_ERROR, MS_ERROR_IO, "cannot read %s: %s", path,
                        g_strerror(e));
            close(fd);
            g_free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        n += (gsize) r;
    }
    close(fd);
    buf[n] = '\0';
    *len_out = n;
    return buf;
}

/* A number as text, for the words' {1}..{9}. */
static char *num(guint64 n)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

gboolean ms_grade_screen(const char *text, gsize len, const char *lang, char **why_out)
{
    g_autofree char *max_bytes = num(MS_GRADE_MAX_BYTES);
    g_autofree char *max_line = num(MS_GRADE_MAX_LINE);
    g_autofree char *max_lines = num(MS_GRADE_MAX_LINES);
    if (len > MS_GRADE_MAX_BYTES) {
        *why_out = ms_grade_fmt(lang, N_("the submission is larger than {1} bytes; a submission "
                                         "is a short text file"),
                                max_bytes, NULL);
        return FALSE;
    }
    if (len >= 2 && (((guchar) text[0] == 0xFF && (guchar) text[1] == 0xFE) ||
                     ((guchar) text[0] == 0xFE && (guchar) text[1] == 0xFF))) {
        *why_out = g_strdup(ms_grade_tr(lang, N_("the file is UTF-16 text; save it as UTF-8 "
                                                 "text")));
        return FALSE;
    }
    guint line = 1;
    gsize start = 0;
    for (gsize i = 0; i < len; i++) {
        if (text[i] == '\0') {
            g_autofree char *l = num(line);
            g_autofree char *c = num(i - start + 1);
            *why_out = ms_grade_fmt(lang, N_("line {1}, column {2}: a NUL byte; a submission is "
                                             "text, not a binary file"),
                                    l, c, NULL);
            return FALSE;
        }
        if (text[i] == '\n') {
            if (i - start > MS_GRADE_MAX_LINE) {
                g_autofree char *l = num(line);
                *why_out = ms_grade_fmt(lang, N_("line {1} is longer than {2} bytes"), l,
                                        max_line, NULL);
                return FALSE;
            }
            line++;
            start = i + 1;
            if (line > MS_GRADE_MAX_LINES) {
                *why_out = ms_grade_fmt(lang, N_("the submission has more than {1} lines"),
                                        max_lines, NULL);
                return FALSE;
            }
        }
    }
    if (len - start > MS_GRADE_MAX_LINE) {
        g_autofree char *l = num(line);
        *why_out = ms_grade_fmt(lang, N_("line {1} is longer than {2} bytes"), l, max_line,
                                NULL);
        return FALSE;
    }
    const char *bad = NULL;
    if (!g_utf8_validate_len(text, len, &bad)) {
        guint l = 1;
        gsize s = 0;
        for (const char *p = text; p < bad; p++) {
            if (*p == '\n') {
                l++;
                s = (gsize) (p - text) + 1;
            }
        }
        g_autofree char *ls = num(l);
        g_autofree char *cs = num((gsize) (bad - text) - s + 1);
        g_autofree char *bs = g_strdup_printf("0x%02X", (guint) (guchar) *bad);
        *why_out = ms_grade_fmt(lang, N_("line {1}, column {2}: byte {3} is not valid UTF-8; "
                                         "save the file as UTF-8 text"),
                                ls, cs, bs, NULL);
        return FALSE;
    }
    return TRUE;
}

static void typed_line_free(gpointer p)
{
    TypedLine *t = p;
    g_free(t->text);
    g_free(t);
}

void ms_grade_dialogue_free(Dialogue *d)
{
    if (d == NULL)
        return;
    g_ptr_array_unref(d->typed);
    g_ptr_array_unref(d->predictions);
    g_free(d);
}

/* One physical line of the file: its text and how it ended. */
typedef struct {
    const char *s;
    gsize n;
    MsScLineEnd end;
    gboolean ended; /* FALSE: the last line, with no line end */
} RawLine;

static GArray *split_lines(const char *text, gsize len)
{
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(RawLine));
    gsize i = 0;
    while (i < len) {
        gsize j = i;
        while (j < len && text[j] != '\n' && text[j] != '\r')
            j++;
        RawLine l = { text + i, j - i, MS_SC_EOL_CRLF, TRUE };
        if (j >= len) {
            l.ended = FALSE;
            i = len;
        } else if (text[j] == '\r' && j + 1 < len && text[j + 1] == '\n') {
            l.end = MS_SC_EOL_CRLF;
            i = j + 2;
        } else if (text[j] == '\r') {
            l.end = MS_SC_EOL_CR;
            i = j + 1;
        } else {
            l.end = MS_SC_EOL_LF;
            i = j + 1;
        }
        g_array_append_val(lines, l);
    }
    /* An editor often leaves the last line without an end: it is typed
     * with the ending of the line before it, as the student meant. */
    if (lines->len > 0) {
        RawLine *last = &g_array_index(lines, RawLine, lines->len - 1);
        if (!last->ended)
            last->end = lines->len > 1 ? g_array_index(lines, RawLine, lines->len - 2).end
                                       : MS_SC_EOL_CRLF;
    }
    return lines;
}

/* "C:" or "S:" at the start of a line (either case); the rest after one
 * optional space. */
static char prefix_of(const RawLine *l, const char **rest_out, gsize *n_out)
{
    if (l->n < 2 || l->s[1] != ':')
        return 0;
    char c = g_ascii_toupper(l->s[0]);
    if (c != 'C' && c != 'S')
        return 0;
    gsize skip = (l->n > 2 && l->s[2] == ' ') ? 3 : 2;
    *rest_out = l->s + skip;
    *n_out = l->n - skip;
    return c;
}

Dialogue *ms_grade_dialogue_parse(const char *text, gsize len, const char *lang,
                                  char **why_out)
{
    GArray *lines = split_lines(text, len);
    gboolean prefixed = FALSE;
    for (guint i = 0; i < lines->len && !prefixed; i++) {
        const char *rest;
        gsize n;
        prefixed = prefix_of(&g_array_index(lines, RawLine, i), &rest, &n) != 0;
    }
    Dialogue *d = g_new0(Dialogue, 1);
    d->typed = g_ptr_array_new_with_free_func(typed_line_free);
    d->predictions = g_ptr_array_new_with_free_func(g_free);
    GString *group = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++) {
        const RawLine *l = &g_array_index(lines, RawLine, i);
        const char *rest = l->s;
        gsize n = l->n;
        char p = prefixed ? prefix_of(l, &rest, &n) : 'C';
        if (p == 0) {
            gboolean blank = TRUE;
            for (gsize k = 0; k < l->n; k++)
                blank = blank && g_ascii_isspace(l->s[k]);
            if (blank || l->s[0] == '#')
                continue;
            g_autofree char *ln = num(i + 1);
            *why_out = ms_grade_fmt(lang, N_("line {1}: in a dialogue written with C: and S: "
                                             "lines, every line starts with C: (what you type) "
                                             "or S: (what you expect the server to answer), or "
                                             "is blank"),
                                    ln, NULL);
            g_string_free(group, TRUE);
            g_array_unref(lines);
            ms_grade_dialogue_free(d);
            return NULL;
        }
        if (p == 'S') {
            d->has_predictions = TRUE;
            if (group->len > 0)
                g_string_append_c(group, '\n');
            g_string_append_len(group, rest, (gssize) n);
            continue;
        }
        g_ptr_array_add(d->predictions, g_string_free(group, FALSE));
        group = g_string_new(NULL);
        TypedLine *t = g_new0(TypedLine, 1);
        t->text = g_strndup(rest, n);
        t->end = l->end;
        t->line = i + 1;
        g_ptr_array_add(d->typed, t);
    }
    g_ptr_array_add(d->predictions, g_string_free(group, FALSE));
    g_array_unref(lines);
    if (d->typed->len == 0) {
        *why_out = g_strdup(ms_grade_tr(lang, N_("the dialogue has no line to type")));
        ms_grade_dialogue_free(d);
        return NULL;
    }
    return d;
}

static gboolean name_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-';
}

GHashTable *ms_grade_answers_parse(const char *text, gsize len, const char *lang,
                                   char **why_out)
{
    GHashTable *answers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GArray *lines = split_lines(text, len);
    for (guint i = 0; i < lines->len; i++) {
        const RawLine *l = &g_array_index(lines, RawLine, i);
        g_autofree char *line = g_strndup(l->s, l->n);
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = g_strchomp(line);
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            continue;
        gsize k = 0;
        while (name_char(s[k]))
            k++;
        gsize eq = k;
        while (s[eq] == ' ' || s[eq] == '\t')
            eq++;
        if (k == 0 || (s[eq] != '=' && s[eq] != ':')) {
            const char *at = s + (k == 0 ? 0 : eq);
            g_autofree char *n = num(i + 1);
            /* Columns count characters, as an editor shows them. */
            g_autofree char *c = num((gsize) g_utf8_strlen(line, at - line) + 1);
            /* A Chinese input method's full-width = or : looks right. */
            if (g_str_has_prefix(at, "\xEF\xBC\x9D") || g_str_has_prefix(at, "\xEF\xBC\x9A"))
                *why_out = ms_grade_fmt(lang, N_("line {1}, column {2}: a full-width sign; "
                                                 "write the ASCII '=' (or ':')"),
                                        n, c, NULL);
            else
                *why_out = ms_grade_fmt(lang, N_("line {1}, column {2}: expected 'name = "
                                                 "value', such as 'delay_ms = 85'"),
                                        n, c, NULL);
            g_array_unref(lines);
            g_hash_table_unref(answers);
            return NULL;
        }
        g_autofree char *name = g_ascii_strdown(s, (gssize) k);
        if (g_hash_table_contains(answers, name)) {
            g_autofree char *n = num(i + 1);
            *why_out = ms_grade_fmt(lang, N_("line {1}: '{2}' is answered twice"), n, name, NULL);
            g_array_unref(lines);
            g_hash_table_unref(answers);
            return NULL;
        }
        char *value = g_strstrip(g_strdup(s + eq + 1));
        g_hash_table_insert(answers, g_steal_pointer(&name), value);
    }
    g_array_unref(lines);
    return answers;
}
