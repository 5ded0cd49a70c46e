/* imap_writer.c - writing IMAP's wire format: atoms, quoted strings and
 * literals (RFC 3501 4.1 - 4.3), and a response or command cut into the
 * lines a transcript shows.
 *
 * A literal's octets may hold line ends of their own, and what follows a
 * literal goes on the same line as its last octets, so a response is built
 * whole in bytes and only then cut at each LF; the cut lines, put back
 * together, are exactly the bytes built.
 */
#include "imap-private.h"

#include <string.h>

/* Most responses and commands are a line or two; a fetched message grows
 * the buffer once or twice, and a writer that is reused keeps it. */
#define WRITER_FIRST 256

void ms_imap_writer_init(MsImapWriter *w)
{
    w->data = g_malloc(WRITER_FIRST);
    w->len = 0;
    w->cap = WRITER_FIRST;
    w->literals = NULL;
    w->n_literals = 0;
    w->literals_room = 0;
}

void ms_imap_writer_clear(MsImapWriter *w)
{
    g_clear_pointer(&w->data, g_free);
    g_clear_pointer(&w->literals, g_free);
    w->len = 0;
    w->cap = 0;
    w->n_literals = 0;
    w->literals_room = 0;
}

void ms_imap_writer_reset(MsImapWriter *w)
{
    w->len = 0;
    w->n_literals = 0;
}

void ms_imap_writer_grow(MsImapWriter *w, gsize len)
{
    gsize cap = MAX(w->cap, (gsize) WRITER_FIRST);
    while (cap - w->len < len)
        cap *= 2;
    w->data = g_realloc(w->data, cap);
    w->cap = cap;
}

void ms_imap_writer_add(MsImapWriter *w, const char *text)
{
    ms_imap_writer_add_len(w, text, strlen(text));
}

void ms_imap_writer_printf(MsImapWriter *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ms_imap_writer_add(w, s);
}

void ms_imap_writer_uint(MsImapWriter *w, guint64 v)
{
    char digits[MS_PROTO_UINT_MAX_LEN];
    gsize n = ms_proto_format_uint(digits, v);
    ms_imap_writer_add_len(w, digits, n);
}

void ms_imap_writer_literal(MsImapWriter *w, const char *data, gsize len)
{
    /* RFC 3501 4.3: "{" octet count "}" CRLF, then the octets. */
    ms_imap_writer_add_len(w, "{", 1);
    ms_imap_writer_uint(w, len);
    ms_imap_writer_add_len(w, "}\r\n", 3);
    gsize start = w->len;
    ms_imap_writer_add_len(w, data, len);
    if (w->n_literals == w->literals_room) {
        w->literals_room = MAX(w->literals_room * 2, 8);
        w->literals = g_renew(gsize, w->literals, w->literals_room);
    }
    w->literals[w->n_literals++] = start;
    w->literals[w->n_literals++] = w->len;
}

static gboolean quotable(const char *data, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar) data[i];
        /* QUOTED-CHAR is a 7-bit TEXT-CHAR: no NUL, CR or LF. */
        if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
            return FALSE;
    }
    return TRUE;
}

void ms_imap_writer_string(MsImapWriter *w, const char *data, gsize len)
{
    if (!quotable(data, len)) {
        ms_imap_writer_literal(w, data, len);
        return;
    }
    ms_imap_writer_add_len(w, "\"", 1);
    for (gsize i = 0; i < len; i++) {
        if (data[i] == '"' || data[i] == '\\')
            ms_imap_writer_add_len(w, "\\", 1);
        ms_imap_writer_add_len(w, data + i, 1);
    }
    ms_imap_writer_add_len(w, "\"", 1);
}

void ms_imap_writer_nstring(MsImapWriter *w, const char *text)
{
    if (text == NULL)
        ms_imap_writer_add(w, "NIL");
    else
        ms_imap_writer_string(w, text, strlen(text));
}

void ms_imap_writer_astring(MsImapWriter *w, const char *text)
{
    /* ASTRING-CHAR = ATOM-CHAR / resp-specials */
    gboolean atom = text[0] != '\0' && !ms_imap_ascii_caseeq(text, "NIL");
    for (const char *p = text; atom && *p != '\0'; p++) {
        guchar c = (guchar) *p;
        atom = c > 0x20 && c < 0x7f && strchr("(){%*\"\\", c) == NULL;
    }
    if (atom)
        ms_imap_writer_add(w, text);
    else
        ms_imap_writer_string(w, text, strlen(text));
}

static gboolean in_literal(const MsImapWriter *w, gsize offset)
{
    for (guint i = 0; i + 1 < w->n_literals; i += 2) {
        if (offset >= w->literals[i] && offset < w->literals[i + 1])
            return TRUE;
    }
    return FALSE;
}

/* The lines are copied into the engine's output blocks, which it keeps
 * from one step to the next: every line of a fetched message passes
 * here. */
void ms_imap_writer_emit_range(const MsImapWriter *w, gsize from, gsize to,
                               MsProtoOutput *output, const char *phase, const char *note,
                               const char *literal_note)
{
    const char *data = w->data;
    gsize start = from;
    while (start < to) {
        const char *nl = memchr(data + start, '\n', to - start);
        gsize end = nl != NULL ? (gsize) (nl - data) : to;
        gsize next = nl != NULL ? end + 1 : to;
        const char *eol = nl != NULL ? "\n" : "";
        if (nl != NULL && end > start && data[end - 1] == '\r') {
            end--;
            eol = "\r\n";
        }
        const char *n = in_literal(w, start) ? literal_note : note;
        ms_proto_output_add_len(output, data + start, end - start, eol, phase, n);
        start = next;
    }
}

void ms_imap_writer_emit(MsImapWriter *w, MsProtoOutput *output, const char *phase,
                         const char *note, const char *literal_note)
{
    ms_imap_writer_add_len(w, "\r\n", 2);
    ms_imap_writer_emit_range(w, 0, w->len, output, phase, note, literal_note);
    ms_imap_writer_reset(w);
}
