/* json_writer.c - a streaming JSON writer for trace.json.
 *
 * trace.json holds every record of a run: a tree of JSON-GLib nodes for it
 * took about 3 KB a record, far more than the trace itself.  This writer
 * emits each value as it is given and keeps only a small buffer and the
 * stack of open containers, so a trace of any length is written in constant
 * memory.  Its layout is exactly JSON-GLib's generator with pretty printing
 * and an indent of one space, which trace.json has always used (the tests
 * hold the two to the same bytes): a member is `"name" : value`, every
 * element on its own line, an empty array `[]`, an empty object `{` and
 * `}` with the object's own indentation between them, and the same string
 * escapes.
 */
#include <errno.h>
#include <string.h>

#include "report/report-private.h"

/* Flush to the file in blocks of about this size. */
#define FLUSH_AT (64u * 1024u)

typedef struct {
    gboolean object;
    guint count; /* elements written so far */
} Level;

struct MsJsonWriter {
    GString *buf;
    FILE *file;        /* NULL: keep everything in buf */
    GArray *stack;     /* of Level */
    const char *name;  /* the member name set for the next value */
    int error;         /* errno of the first failed write, 0 if none */
};

MsJsonWriter *ms_json_writer_new(FILE *file)
{
    MsJsonWriter *w = g_new0(MsJsonWriter, 1);
    w->buf = g_string_sized_new(file != NULL ? FLUSH_AT + 4096 : 4096);
    w->file = file;
    w->stack = g_array_new(FALSE, FALSE, sizeof(Level));
    return w;
}

void ms_json_writer_free(MsJsonWriter *w)
{
    if (w == NULL)
        return;
    g_string_free(w->buf, TRUE);
    g_array_unref(w->stack);
    g_free(w);
}

static void flush(MsJsonWriter *w)
{
    if (w->file == NULL || w->buf->len == 0)
        return;
    if (w->error == 0 && fwrite(w->buf->str, 1, w->buf->len, w->file) != w->buf->len)
        w->error = errno != 0 ? errno : EIO;
    g_string_truncate(w->buf, 0);
}

static void maybe_flush(MsJsonWriter *w)
{
    if (w->file != NULL && w->buf->len >= FLUSH_AT)
        flush(w);
}

static void indent(MsJsonWriter *w, guint level)
{
    for (guint i = 0; i < level; i++)
        g_string_append_c(w->buf, ' ');
}

/* JSON-GLib's escapes: backslash and quote; \b \f \n \r \t; other bytes
 * from 0x01 to 0x1e and 0x7f as \u00XX.  0x1f and bytes from 0x80 up pass
 * as they are, as JSON-GLib 1.6 writes them. */
static void append_escaped(GString *out, const char *s)
{
    const char *run = s;
    const char *p = s;
    for (; *p != '\0'; p++) {
        unsigned char c = (unsigned char) *p;
        if (c != '\\' && c != '"' && (c >= 0x1f || c == 0) && c != 0x7f)
            continue;
        g_string_append_len(out, run, p - run);
        run = p + 1;
        switch (c) {
        case '\\':
        case '"':
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char) c);
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        case '\f':
            g_string_append(out, "\\f");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            g_string_append_printf(out, "\\u00%02x", c);
            break;
        }
    }
    g_string_append_len(out, run, p - run);
}

/* What comes before any value: the separator from the previous element,
 * the indentation and, in an object, the member's name. */
static void begin_value(MsJsonWriter *w)
{
    guint depth = w->stack->len;
    if (depth == 0)
        return;
    Level *top = &g_array_index(w->stack, Level, depth - 1);
    g_string_append(w->buf, top->count == 0 ? "\n" : ",\n");
    top->count++;
    indent(w, depth);
    if (top->object) {
        g_assert(w->name != NULL);
        g_string_append_c(w->buf, '"');
        append_escaped(w->buf, w->name);
        g_string_append(w->buf, "\" : ");
        w->name = NULL;
    }
}

static void begin(MsJsonWriter *w, gboolean object)
{
    begin_value(w);
    g_string_append_c(w->buf, object ? '{' : '[');
    Level level = { object, 0 };
    g_array_append_val(w->stack, level);
}

static void end(MsJsonWriter *w, gboolean object)
{
    g_assert(w->stack->len > 0);
    Level top = g_array_index(w->stack, Level, w->stack->len - 1);
    g_assert(top.object == object);
    g_array_set_size(w->stack, w->stack->len - 1);
    guint level = w->stack->len;
    if (top.count > 0) {
        g_string_append_c(w->buf, '\n');
        indent(w, level);
    } else if (object) {
        indent(w, level);
    }
    g_string_append_c(w->buf, object ? '}' : ']');
    maybe_flush(w);
}

void ms_json_begin_object(MsJsonWriter *w)
{
    begin(w, TRUE);
}

void ms_json_end_object(MsJsonWriter *w)
{
    end(w, TRUE);
}

void ms_json_begin_array(MsJsonWriter *w)
{
    begin(w, FALSE);
}

void ms_json_end_array(MsJsonWriter *w)
{
    end(w, FALSE);
}

void ms_json_member(MsJsonWriter *w, const char *name)
{
    w->name = name;
}

void ms_json_string(MsJsonWriter *w, const char *value)
{
    begin_value(w);
    g_string_append_c(w->buf, '"');
    append_escaped(w->buf, value);
    g_string_append_c(w->buf, '"');
}

void ms_json_int(MsJsonWriter *w, gint64 value)
{
    begin_value(w);
    /* Digits backwards into a small buffer: faster than printf for the
     * many numbers of a trace. */
    char digits[24];
    guint n = 0;
    guint64 v = value < 0 ? (guint64) 0 - (guint64) value : (guint64) value;
    do {
        digits[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0)
        g_string_append_c(w->buf, '-');
    while (n > 0)
        g_string_append_c(w->buf, digits[--n]);
}

void ms_json_null(MsJsonWriter *w)
{
    begin_value(w);
    g_string_append(w->buf, "null");
}

gboolean ms_json_writer_finish(MsJsonWriter *w, GError **error)
{
    g_assert(w->stack->len == 0);
    flush(w);
    if (w->error != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(w->error), "%s",
                    g_strerror(w->error));
        return FALSE;
    }
    return TRUE;
}

char *ms_json_writer_steal(MsJsonWriter *w, gsize *len_out)
{
    g_assert(w->file == NULL && w->stack->len == 0);
    if (len_out != NULL)
        *len_out = w->buf->len;
    char *text = g_string_free(w->buf, FALSE);
    w->buf = g_string_new(NULL);
    return text;
}
