/* message-private.h - what message.c, message_fields.c, message_bytes.c,
 * mime.c and compose.c share and the rest of the simulator does not need. */
#pragma once

#include <string.h>

#include "mailsim/message.h"

/* ---- A message as message.c, message_fields.c and message_bytes.c see it --- */

/* A field and its name and value are one allocation (a message is made or
 * parsed field by field at every hop); its raw text, which a field can have
 * rewritten, is another. */
typedef struct {
    char *raw;     /* the field as written, final line ending included */
    gsize raw_len;
    char *name;    /* NULL: a malformed line kept in place; else in text */
    char *value;   /* unfolded, trimmed; in text */
    char text[];   /* name and value, each with its NUL */
} Field;

struct MsMessage {
    GPtrArray *fields;     /* Field * */
    char *separator;       /* the empty line: "\r\n", "\n" or "" (none) */
    GBytes *body;
    const char *eol;       /* static "\r\n" or "\n": for fields added later */
    GPtrArray *warnings;   /* char * */
};

static inline void field_free(gpointer p)
{
    Field *f = p;
    g_free(f->raw);
    g_free(f);
}

static inline gboolean is_wsp(guchar c)
{
    return c == ' ' || c == '\t';
}

/* One line of input: [start, content_end) is the text, [content_end, end)
 * the line ending ("" for a last line without one). */
typedef struct {
    gsize start, content_end, end;
} Line;

/* Always inline: the header scan steps through every line of every header
 * it peeks at, and a call a line cost as much as the step. */
G_ALWAYS_INLINE static inline gboolean next_line(const char *p, gsize len, gsize pos,
                                                 Line *line)
{
    if (pos >= len)
        return FALSE;
    const char *nl = memchr(p + pos, '\n', len - pos);
    line->start = pos;
    if (nl == NULL) {
        line->content_end = len;
        line->end = len;
        return TRUE;
    }
    line->end = (gsize) (nl - p) + 1;
    line->content_end = line->end - 1;
    if (line->content_end > pos && p[line->content_end - 1] == '\r')
        line->content_end--;
    return TRUE;
}

/* Where a field name ends, per RFC 5322 3.6.8: field-name = 1*ftext, ftext
 * being printable ASCII but ":".  Returns the length of the name and sets
 * *colon_out to the colon's offset; 0 when the line is not a field.  The
 * obsolete form with white space before the colon (RFC 5322 4.5) is
 * accepted and flagged through *obs_out. */
static inline gsize field_name_len(const char *p, gsize n, gsize *colon_out, gboolean *obs_out)
{
    /* 33..126 but ':' by a table (the rest of it 0): every header line of
     * every message passed on is measured here. */
    static const guint8 ftext[256] = {
        [32] =
        /*  32 */ 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /*  48 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1,
        /*  64 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /*  80 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /*  96 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        /* 112 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    };
    gsize i = 0;
    while (i < n && ftext[(guchar) p[i]])
        i++;
    gsize name_len = i;
    if (name_len == 0)
        return 0;
    while (i < n && is_wsp((guchar) p[i]))
        i++;
    if (i >= n || p[i] != ':')
        return 0;
    *obs_out = i > name_len;
    *colon_out = i;
    return name_len;
}

static inline gboolean has_empty_line(const char *p, gsize len)
{
    Line l;
    for (gsize pos = 0; next_line(p, len, pos, &l); pos = l.end) {
        if (l.content_end == l.start && l.end > l.start)
            return TRUE;
    }
    return FALSE;
}

/* RFC 5322 1.2.2: field names are case-insensitive. */
static inline gboolean name_is(const Field *f, const char *name)
{
    return f->name != NULL && g_ascii_strcasecmp(f->name, name) == 0;
}

/* "name: value" and eol, for a value that ms_message_fits_as_is(), at out. */
static inline void put_as_is(char *out, const char *name, gsize name_len, const char *value,
                             gsize value_len, const char *eol, gsize eol_len)
{
    memcpy(out, name, name_len);
    out[name_len] = ':';
    out[name_len + 1] = ' ';
    memcpy(out + name_len + 2, value, value_len);
    memcpy(out + name_len + 2 + value_len, eol, eol_len);
}

/* The unfolded value of the raw value p[0..len), allocated (transfer full). */
char *ms_message_unfold(const char *p, gsize len);
/* A field of the given raw text (taken), with its name (NULL: none) and the
 * value unfolded from raw_value. */
Field *ms_message_field_new(char *raw, gsize raw_len, const char *name, gsize name_len,
                            const char *raw_value, gsize raw_value_len);
/* Gives a last field without a line ending one (message_fields.c). */
void ms_message_terminate_last_field(MsMessage *msg);
/* A field folded where the value has line breaks, with its line ending,
 * written to out or only measured (out NULL); its length (message_fields.c). */
gsize ms_message_folded_raw_to(const char *name, const char *value, const char *eol, char *out);

/* ---- For the other files of sim/mail too ----------------------------------- */

/* A message with no header fields whose body is the given bytes: what a
 * MIME part that is not even a header section becomes. */
MsMessage *ms_message_new_body_only(const void *data, gsize len);

/* ms_message_fold_field() with another line width: RFC 2047 2 wants lines
 * holding encoded-words at most 76 characters. */
char *ms_message_fold_field_width(const char *name, const char *value, const char *eol,
                                  gsize width);
/* ms_message_add() with that width. */
void ms_message_add_width(MsMessage *msg, const char *name, const char *value, gsize width);
/* Whether a field of a name name_len long and value, folded at width, is
 * "name: value" as it is (one line, nothing to trim); the value's length
 * in *len_out. */
gboolean ms_message_fits_as_is(gsize name_len, const char *value, gsize width,
                               gsize *len_out);

/* The RFC 2045 5.1 token characters: printable ASCII but tspecials. */
gboolean ms_mime_is_token_char(guchar c);
