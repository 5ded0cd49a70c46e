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
 *
 * A packed writer (report.html's copy of the trace) writes compact JSON,
 * and the objects of one array as rows: [value, ..., shape], where the
 * shape (an index into "shapes") names the members in order and says which
 * values are strings, each written as an index into "strings" (a table of
 * every distinct string of the rows).  A long trace repeats its member
 * names and hosts on every record: packed, it is a third of the size, and a
 * browser reads it that much faster.
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
    Level *stack;      /* the open containers, innermost last */
    guint depth;       /* how many are open */
    guint stack_size;  /* room in stack */
    const char *name;  /* the member name set for the next value */
    gsize name_len;    /* its length, when name_plain */
    gboolean name_plain; /* it needs no escape (ms_json_member_plain()) */
    int error;         /* errno of the first failed write, 0 if none */
    /* Packed writers only (see above). */
    gboolean packed;
    guint row_parent;        /* depth of the array of rows; 0: none open */
    guint row_level;         /* depth of the row being written; 0: none */
    GString *shape;          /* its members: type letter and name, '\n' after each */
    GHashTable *shape_ids;   /* shape text -> index + 1 */
    GPtrArray *shapes;       /* shape texts, by index (owned) */
    GHashTable *string_ids;  /* string -> index + 1 */
    GPtrArray *strings;      /* distinct strings, by index (owned) */
};

MsJsonWriter *ms_json_writer_new(FILE *file)
{
    MsJsonWriter *w = g_new0(MsJsonWriter, 1);
    w->buf = g_string_sized_new(file != NULL ? FLUSH_AT + 4096 : 4096);
    w->file = file;
    w->stack_size = 8;
    w->stack = g_new(Level, w->stack_size);
    return w;
}

MsJsonWriter *ms_json_writer_new_packed(void)
{
    MsJsonWriter *w = ms_json_writer_new(NULL);
    w->packed = TRUE;
    w->shape = g_string_new(NULL);
    w->shapes = g_ptr_array_new_with_free_func(g_free);
    w->shape_ids = g_hash_table_new(g_str_hash, g_str_equal);
    w->strings = g_ptr_array_new_with_free_func(g_free);
    w->string_ids = g_hash_table_new(g_str_hash, g_str_equal);
    return w;
}

void ms_json_writer_free(MsJsonWriter *w)
{
    if (w == NULL)
        return;
    if (w->packed) {
        g_string_free(w->shape, TRUE);
        g_hash_table_unref(w->shape_ids);
        g_ptr_array_unref(w->shapes);
        g_hash_table_unref(w->string_ids);
        g_ptr_array_unref(w->strings);
    }
    g_string_free(w->buf, TRUE);
    g_free(w->stack);
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

/* Room for n more octets at the end of b, written through the pointer it
 * returns and then closed by done(): a value's separator, indentation and
 * name, or a number, go in with one check of the room instead of one an
 * octet. */
static G_GNUC_NO_INLINE void grow(GString *b, gsize n)
{
    gsize len = b->len;
    g_string_set_size(b, len + n);
    b->len = len;
    b->str[len] = '\0';
}

static inline char *room(GString *b, gsize n)
{
    if (G_UNLIKELY(b->len + n >= b->allocated_len))
        grow(b, n);
    return b->str + b->len;
}

static inline void done(GString *b, char *end)
{
    b->len = (gsize) (end - b->str);
    *end = '\0';
}

static void indent(MsJsonWriter *w, guint level)
{
    char *p = room(w->buf, level);
    memset(p, ' ', level);
    done(w->buf, p + level);
}

/* JSON-GLib's escapes: backslash and quote; \b \f \n \r \t; other bytes
 * from 0x01 to 0x1f and 0x7f as \u00XX.  (JSON-GLib 1.6 lets 0x1f pass as it
 * is, which RFC 8259 7 does not allow: it is escaped here.)  Bytes from 0x80 up pass as they are where they are UTF-8;
 * RFC 8259 8.1 says a JSON text MUST be UTF-8, and JSON-GLib would copy a
 * byte that is not, so here each such byte becomes the four characters
 * \xHH (in JSON "\\xFF"), as transcript.txt shows it (docs/trace-format.md).
 * Where to stop, by a table that also stops at the end of the string: a
 * trace's strings are nearly all plain ASCII, so the scan is the cost, one
 * look a byte. */
static const guint8 stop_at[128] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

/* Whether the writer stops at octet c: stop_at[], or any octet from 0x80
 * up, whose UTF-8 is checked there. */
static inline gboolean stops(guint8 c)
{
    return c >= 0x80 || stop_at[c];
}

/* Marks, by their high bits, the octets of x (eight of a string) that
 * stops() stops at: those below 0x20, the quote, the backslash, 0x7f and
 * those from 0x80 up.
 * If none of the eight is one, nothing is marked; if some are, the lowest
 * mark is the first of them.  Marks above it may be wrong (a borrow runs
 * upwards from a true one), so only the lowest is used. */
static inline guint64 stops8(guint64 x)
{
    const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
    const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);
    guint64 q = x ^ (ones * '"');
    guint64 b = x ^ (ones * '\\');
    guint64 d = x ^ (ones * 0x7f);
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) |
            ((d - ones) & ~d) | x) & highs;
}

/* Where the first octet to escape is in [p, end), or end: sixteen octets
 * at a time, then eight, then one at a time for the last few. */
static inline const char *next_stop(const char *p, const char *end)
{
    while (end - p >= 16) {
        MsOctets16 x = ms_octets16_load(p);
        guint at = ms_octets16_first(
            (MsOctets16) ((x < 0x20) | (x == '"') | (x == '\\') | (x == 0x7f) | (x >= 0x80)));
        if (at < 16)
            return p + at;
        p += 16;
    }
    if (end - p >= 8) {
        guint64 x;
        memcpy(&x, p, sizeof x);
        guint64 m = stops8(x);
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
        if (m != 0)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
#else
        if (m == 0)
            p += 8;
#endif
    }
    while (p < end && !stops((guint8) *p))
        p++;
    return p;
}

static void append_escaped_len(GString *out, const char *s, gsize len)
{
    const char *end = s + len;
    const char *run = s;
    for (const char *p = next_stop(s, end); p < end; p = next_stop(p, end)) {
        unsigned char c = (unsigned char) *p;
        ms_report_put(out, run, (gsize) (p - run));
        if (c >= 0x80) {
            /* A UTF-8 character passes whole; a byte that does not begin
             * one is shown as \xHH, never copied (RFC 8259 8.1). */
            gunichar u = g_utf8_get_char_validated(p, end - p);
            if (u == (gunichar) -1 || u == (gunichar) -2) {
                g_string_append_printf(out, "\\\\x%02X", c);
                run = ++p;
            } else {
                run = p;
                p = g_utf8_next_char(p);
            }
            continue;
        }
        run = ++p;
        switch (c) {
        case '\\':
        case '"':
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char) c);
            break;
        case '\b':
            ms_report_puts(out, "\\b");
            break;
        case '\f':
            ms_report_puts(out, "\\f");
            break;
        case '\n':
            ms_report_puts(out, "\\n");
            break;
        case '\r':
            ms_report_puts(out, "\\r");
            break;
        case '\t':
            ms_report_puts(out, "\\t");
            break;
        default:
            g_string_append_printf(out, "\\u00%02x", c);
            break;
        }
    }
    ms_report_put(out, run, (gsize) (end - run));
}

static void append_escaped(GString *out, const char *s)
{
    append_escaped_len(out, s, strlen(s));
}

/* What comes before any value: the separator from the previous element,
 * the indentation and, in an object, the member's name. */
static inline __attribute__((always_inline)) void begin_value(MsJsonWriter *w)
{
    guint depth = w->depth;
    if (depth == 0)
        return;
    Level *top = &w->stack[depth - 1];
    if (w->packed) {
        if (top->count++ > 0)
            g_string_append_c(w->buf, ',');
        if (top->object && depth == w->row_level) {
            w->name = NULL; /* the row's shape names it */
        } else if (top->object) {
            g_assert(w->name != NULL);
            g_string_append_c(w->buf, '"');
            if (w->name_plain)
                ms_report_put(w->buf, w->name, w->name_len);
            else
                append_escaped(w->buf, w->name);
            ms_report_puts(w->buf, "\":");
            w->name = NULL;
        }
        return;
    }
    /* ",\n", the indentation and, for a plain name, `"name" : `, all at
     * once. */
    gboolean plain = top->object && w->name_plain;
    /* (eight spaces more than needed: a shallow indentation is written as
     * eight, in one store, and what is past it written over) */
    char *p = room(w->buf, depth + 10 + (plain ? w->name_len + 5 : 0));
    if (top->count++ > 0)
        *p++ = ',';
    *p++ = '\n';
    if (depth <= 8)
        memcpy(p, "        ", 8);
    else
        memset(p, ' ', depth);
    p += depth;
    if (!top->object) {
        done(w->buf, p);
        return;
    }
    g_assert(w->name != NULL);
    *p++ = '"';
    if (plain) {
        memcpy(p, w->name, w->name_len);
        p += w->name_len;
        memcpy(p, "\" : ", 4);
        done(w->buf, p + 4);
    } else {
        done(w->buf, p);
        append_escaped(w->buf, w->name);
        ms_report_puts(w->buf, "\" : ");
    }
    w->name = NULL;
}

/* In a row being written: adds the next value's member to its shape,
 * with its type ('s' a string, written as an index, 'v' anything else). */
static void row_member(MsJsonWriter *w, char type)
{
    if (w->row_level == 0 || w->depth != w->row_level)
        return;
    g_assert(w->name != NULL);
    g_string_append_c(w->shape, type);
    ms_report_puts(w->shape, w->name);
    g_string_append_c(w->shape, '\n');
}

static guint intern(GHashTable *ids, GPtrArray *list, const char *text)
{
    gpointer id = g_hash_table_lookup(ids, text);
    if (id != NULL)
        return GPOINTER_TO_UINT(id) - 1;
    char *copy = g_strdup(text);
    g_ptr_array_add(list, copy);
    g_hash_table_insert(ids, copy, GUINT_TO_POINTER(list->len));
    return list->len - 1;
}

static void begin(MsJsonWriter *w, gboolean object)
{
    row_member(w, 'v');
    begin_value(w);
    gboolean row = object && w->row_parent != 0 && w->depth == w->row_parent;
    g_string_append_c(w->buf, object && !row ? '{' : '[');
    if (w->depth == w->stack_size) {
        w->stack_size *= 2;
        w->stack = g_renew(Level, w->stack, w->stack_size);
    }
    w->stack[w->depth++] = (Level) { object, 0 };
    if (row) {
        w->row_level = w->depth;
        g_string_truncate(w->shape, 0);
    }
}

static void end(MsJsonWriter *w, gboolean object)
{
    g_assert(w->depth > 0);
    Level top = w->stack[w->depth - 1];
    g_assert(top.object == object);
    if (w->packed) {
        if (w->row_level != 0 && w->depth == w->row_level) {
            guint id = intern(w->shape_ids, w->shapes, w->shape->str);
            if (top.count > 0)
                g_string_append_c(w->buf, ',');
            ms_report_append_int(w->buf, id);
            g_string_append_c(w->buf, ']');
            w->row_level = 0;
        } else {
            g_string_append_c(w->buf, object ? '}' : ']');
        }
        w->depth--;
        return;
    }
    guint level = --w->depth;
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
    w->name_plain = FALSE;
}

void ms_json_member_plain(MsJsonWriter *w, const char *name, gsize len)
{
    /* The sanitizer build, which every test runs, holds callers to it. */
    if (MS_UNDER_ASAN) {
        g_assert(strlen(name) == len);
        for (gsize i = 0; i < len; i++)
            g_assert(!stops((guint8) name[i]));
    }
    w->name = name;
    w->name_len = len;
    w->name_plain = TRUE;
}

void ms_json_string(MsJsonWriter *w, const char *value)
{
    if (w->row_level != 0 && w->depth == w->row_level) {
        row_member(w, 's');
        begin_value(w);
        ms_report_append_int(w->buf, intern(w->string_ids, w->strings, value));
        return;
    }
    begin_value(w);
    gsize len = strlen(value);
    /* The quotes and a string with nothing to escape, at once. */
    char *p = room(w->buf, len + 2);
    *p++ = '"';
    const char *stop = next_stop(value, value + len);
    memcpy(p, value, (gsize) (stop - value));
    p += stop - value;
    if (stop < value + len) {
        done(w->buf, p);
        append_escaped_len(w->buf, stop, len - (gsize) (stop - value));
        p = room(w->buf, 1);
    }
    *p++ = '"';
    done(w->buf, p);
}

void ms_json_int(MsJsonWriter *w, gint64 value)
{
    row_member(w, 'v');
    begin_value(w);
    char *p = room(w->buf, MS_REPORT_INT_MAX_LEN);
    done(w->buf, p + ms_report_format_int(p, value));
}

void ms_json_null(MsJsonWriter *w)
{
    row_member(w, 'v');
    begin_value(w);
    g_string_append(w->buf, "null");
}

void ms_json_pack_rows(MsJsonWriter *w)
{
    g_assert(w->packed && w->row_parent == 0);
    w->row_parent = w->depth + 1;
}

void ms_json_pack_end(MsJsonWriter *w)
{
    g_assert(w->packed && w->row_parent != 0 && w->depth < w->row_parent);
    w->row_parent = 0;
    /* [[names], "types"] per shape. */
    ms_json_member(w, "shapes");
    ms_json_begin_array(w);
    g_autoptr(GString) types = g_string_new(NULL);
    for (guint i = 0; i < w->shapes->len; i++) {
        g_autofree char *text = g_strdup(g_ptr_array_index(w->shapes, i));
        g_string_truncate(types, 0);
        ms_json_begin_array(w);
        ms_json_begin_array(w);
        char *p = text;
        while (*p != '\0') {
            char *nl = strchr(p, '\n');
            *nl = '\0';
            g_string_append_c(types, p[0]);
            ms_json_string(w, p + 1);
            p = nl + 1;
        }
        ms_json_end_array(w);
        ms_json_string(w, types->str);
        ms_json_end_array(w);
    }
    ms_json_end_array(w);
    ms_json_member(w, "strings");
    ms_json_begin_array(w);
    for (guint i = 0; i < w->strings->len; i++)
        ms_json_string(w, g_ptr_array_index(w->strings, i));
    ms_json_end_array(w);
}

gboolean ms_json_writer_finish(MsJsonWriter *w, GError **error)
{
    g_assert(w->depth == 0);
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
    g_assert(w->file == NULL && w->depth == 0);
    if (len_out != NULL)
        *len_out = w->buf->len;
    char *text = g_string_free(w->buf, FALSE);
    w->buf = g_string_new(NULL);
    return text;
}
