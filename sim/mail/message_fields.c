/* message_fields.c - writing a message's header fields: folding a field,
 * adding, prepending, setting and removing one.
 *
 * Only fields the simulator adds or changes are written fresh, folded at
 * white space to the RFC 5322 2.1.1 limits; the fields a message was parsed
 * with keep their raw text (message.c).
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

/* Appends name, colon and value folded at `width` to out (without a final
 * line ending).  A field is written for every message a run composes, relays
 * and delivers, so the value goes in as runs, not a character at a time. */
static void fold_into(GString *out, const char *name, const char *value, const char *eol,
                      gsize width)
{
    /* CR and LF would end the field early: a value is one logical line,
     * each of them white space in it. */
    const char *s = value != NULL ? value : "";
    gsize n = strlen(s);
    while (n > 0 && (is_wsp((guchar) *s) || *s == '\r' || *s == '\n')) {
        s++;
        n--;
    }
    while (n > 0 && (is_wsp((guchar) s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;

    g_string_append(out, name);
    g_string_append_c(out, ':');
    if (n == 0)
        return;
    g_string_append_c(out, ' ');
    gsize line_len = strlen(name) + 2;
    gsize i = 0;
    gboolean first = TRUE;
    while (i < n) {
        /* The next segment: its leading white space, then one word.  The
         * first word stays on the name's line. */
        gsize seg = i;
        while (seg < n && (is_wsp((guchar) s[seg]) || s[seg] == '\r' || s[seg] == '\n'))
            seg++;
        while (seg < n && !is_wsp((guchar) s[seg]) && s[seg] != '\r' && s[seg] != '\n')
            seg++;
        gsize seg_len = seg - i;
        /* RFC 5322 2.2.3: fold by putting a line ending before white
         * space, when the line would pass the preferred width. */
        if (!first && line_len + seg_len > width) {
            g_string_append(out, eol);
            line_len = 0;
        }
        gsize k = i;
        while (k < seg) {
            /* RFC 5322 2.1.1: 998 is a hard limit; an unbreakable word
             * that long is broken anyway. */
            if (line_len >= MS_MESSAGE_LINE_MUST) {
                g_string_append(out, eol);
                g_string_append_c(out, ' ');
                line_len = 1;
            }
            gsize run = MIN(seg - k, MS_MESSAGE_LINE_MUST - line_len);
            gsize at = out->len;
            g_string_append_len(out, s + k, (gssize) run);
            for (gsize c = at; c < out->len; c++) {
                if (out->str[c] == '\r' || out->str[c] == '\n')
                    out->str[c] = ' ';
            }
            line_len += run;
            k += run;
        }
        first = FALSE;
        i = seg;
    }
}

char *ms_message_fold_field_width(const char *name, const char *value, const char *eol,
                                  gsize width)
{
    GString *out = g_string_sized_new(strlen(name) + 80);
    fold_into(out, name, value, eol, width);
    return g_string_free(out, FALSE);
}

char *ms_message_fold_field(const char *name, const char *value, const char *eol)
{
    return ms_message_fold_field_width(name, value, eol, MS_MESSAGE_LINE_SHOULD);
}

/* Most values a run writes (addresses, dates, Message-IDs) fit on the
 * name's line and hold no line break or white space at either end: then
 * the field is "name: value" and its value is the value itself, which is
 * what folding (fold_into()) and unfolding would give. */
gboolean ms_message_fits_as_is(gsize name_len, const char *value, gsize width, gsize *len_out)
{
    const char *v = value != NULL ? value : "";
    gsize n = strcspn(v, "\r\n");
    *len_out = n;
    return v[n] == '\0' && n > 0 && !is_wsp((guchar) v[0]) && !is_wsp((guchar) v[n - 1]) &&
           name_len + 2 + n <= MIN(width, MS_MESSAGE_LINE_MUST);
}

static Field *new_field(const MsMessage *msg, const char *name, const char *value, gsize width)
{
    gsize name_len = strlen(name), n = 0;
    if (ms_message_fits_as_is(name_len, value, width, &n)) {
        gsize eol_len = strlen(msg->eol);
        gsize raw_len = name_len + 2 + n + eol_len;
        char *raw = g_malloc(raw_len + 1);
        put_as_is(raw, name, name_len, value, n, msg->eol, eol_len);
        raw[raw_len] = '\0';
        return ms_message_field_new(raw, raw_len, name, name_len, value, n);
    }
    GString *raw = g_string_sized_new(name_len + 80);
    fold_into(raw, name, value, msg->eol, width);
    g_string_append(raw, msg->eol);
    gsize raw_len = raw->len;
    char *text = g_string_free(raw, FALSE);
    return ms_message_field_new(text, raw_len, name, name_len, text + name_len + 1,
                                raw_len - name_len - 1);
}

/* A last field without a line ending (input that stopped mid-header)
 * gets one before anything is written after it. */
void ms_message_terminate_last_field(MsMessage *msg)
{
    if (msg->fields->len == 0)
        return;
    Field *last = g_ptr_array_index(msg->fields, msg->fields->len - 1);
    if (last->raw_len > 0 && last->raw[last->raw_len - 1] == '\n')
        return;
    char *raw = g_strconcat(last->raw, msg->eol, NULL);
    g_free(last->raw);
    last->raw = raw;
    last->raw_len = strlen(raw);
}

void ms_message_add_width(MsMessage *msg, const char *name, const char *value, gsize width)
{
    ms_message_terminate_last_field(msg);
    g_ptr_array_add(msg->fields, new_field(msg, name, value, width));
}

void ms_message_add(MsMessage *msg, const char *name, const char *value)
{
    ms_message_add_width(msg, name, value, MS_MESSAGE_LINE_SHOULD);
}

void ms_message_prepend(MsMessage *msg, const char *name, const char *value)
{
    g_ptr_array_insert(msg->fields, 0, new_field(msg, name, value, MS_MESSAGE_LINE_SHOULD));
}

/* Appends k octets at out + *n, or only counts them when out is NULL. */
static void put(char *out, gsize *n, const char *src, gsize k)
{
    if (out != NULL)
        memcpy(out + *n, src, k);
    *n += k;
}

/* A field folded where the value has line breaks, with its line ending,
 * written to out (no NUL), or only measured when out is NULL; returns its
 * length. */
gsize ms_message_folded_raw_to(const char *name, const char *value, const char *eol, char *out)
{
    gsize eol_len = strlen(eol), n = 0;
    put(out, &n, name, strlen(name));
    put(out, &n, ": ", 2);
    const char *c = value;
    while (*c != '\0') {
        gsize run = strcspn(c, "\r\n");
        put(out, &n, c, run);
        c += run;
        if (*c == '\n') {
            put(out, &n, eol, eol_len);
            put(out, &n, " ", 1);
            c++;
        } else if (*c == '\r') {
            put(out, &n, " ", 1);
            c++;
        }
    }
    put(out, &n, eol, eol_len);
    return n;
}

void ms_message_prepend_folded(MsMessage *msg, const char *name, const char *value)
{
    gsize raw_len = ms_message_folded_raw_to(name, value, msg->eol, NULL), name_len = strlen(name);
    char *text = g_malloc(raw_len + 1);
    ms_message_folded_raw_to(name, value, msg->eol, text);
    text[raw_len] = '\0';
    Field *f = ms_message_field_new(text, raw_len, name, name_len, text + name_len + 1,
                                    raw_len - name_len - 1);
    g_ptr_array_insert(msg->fields, 0, f);
}

void ms_message_set(MsMessage *msg, const char *name, const char *value)
{
    guint i = 0;
    while (i < msg->fields->len && !name_is(g_ptr_array_index(msg->fields, i), name))
        i++;
    if (i == msg->fields->len) {
        ms_message_add(msg, name, value);
        return;
    }
    field_free(g_ptr_array_index(msg->fields, i));
    msg->fields->pdata[i] = new_field(msg, name, value, MS_MESSAGE_LINE_SHOULD);
    for (guint k = msg->fields->len; k-- > i + 1;) {
        if (name_is(g_ptr_array_index(msg->fields, k), name))
            g_ptr_array_remove_index(msg->fields, k);
    }
}

guint ms_message_remove(MsMessage *msg, const char *name)
{
    guint removed = 0;
    for (guint k = msg->fields->len; k-- > 0;) {
        if (name_is(g_ptr_array_index(msg->fields, k), name)) {
            g_ptr_array_remove_index(msg->fields, k);
            removed++;
        }
    }
    return removed;
}
