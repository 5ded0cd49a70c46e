/* message.c - an Internet message (RFC 5322) as an ordered list of header
 * fields and a body, kept byte for byte.
 *
 * Relays and mailboxes must not change a message they only pass on, so the
 * parser keeps each field's raw text (folding and line endings included)
 * and anything malformed in place, with a warning, instead of "repairing"
 * it.  Only fields the simulator adds or changes are written fresh, folded
 * at white space to the RFC 5322 2.1.1 limits (message_fields.c); a message
 * passed on as bytes is read and added to without a parse (message_bytes.c).
 */
#include "message-private.h"

#include <string.h>

#include "mailsim/core.h"

/* Most values are one line, perhaps with its line ending: then unfolding
 * is trimming, and this says so, with the value in p[*a_out..*b_out). */
static inline gboolean trimmed_one_line(const char *p, gsize len, gsize *a_out, gsize *b_out)
{
    gsize one = len;
    if (one > 0 && p[one - 1] == '\n') {
        one--;
        if (one > 0 && p[one - 1] == '\r')
            one--;
    }
    if (memchr(p, '\n', one) != NULL)
        return FALSE;
    gsize a = 0, b = one;
    while (a < b && is_wsp((guchar) p[a]))
        a++;
    while (b > a && is_wsp((guchar) p[b - 1]))
        b--;
    *a_out = a;
    *b_out = b;
    return TRUE;
}

/* RFC 5322 2.2.3: unfolding removes every line ending that is followed by
 * white space; the value is also trimmed of the white space around it.
 * Writes the value and a NUL to out, or only measures it when out is NULL;
 * returns its length. */
static gsize unfold_to(const char *p, gsize len, char *out)
{
    gsize a, b;
    if (trimmed_one_line(p, len, &a, &b)) {
        if (out != NULL) {
            memcpy(out, p + a, b - a);
            out[b - a] = '\0';
        }
        return b - a;
    }
    /* Two passes over the value, the second only to write it. */
    gsize kept = 0, first = G_MAXSIZE, last = 0;
    for (gsize i = 0; i < len; i++) {
        if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
            continue;
        if (!is_wsp((guchar) p[i])) {
            if (first == G_MAXSIZE)
                first = kept;
            last = kept;
        }
        kept++;
    }
    gsize n = first == G_MAXSIZE ? 0 : last - first + 1;
    if (out == NULL)
        return n;
    gsize k = 0, at = 0;
    for (gsize i = 0; i < len && at < n; i++) {
        if (p[i] == '\n' || (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n'))
            continue;
        if (k++ >= first)
            out[at++] = p[i];
    }
    out[n] = '\0';
    return n;
}

/* The unfolded value, allocated (transfer full).  A value of one line
 * (a Message-ID, a Subject: nearly every value peeked at) is only
 * trimmed, so it is measured and copied in one pass rather than two. */
char *ms_message_unfold(const char *p, gsize len)
{
    gsize a, b;
    if (trimmed_one_line(p, len, &a, &b)) {
        char *out = g_malloc(b - a + 1);
        memcpy(out, p + a, b - a);
        out[b - a] = '\0';
        return out;
    }
    char *out = g_malloc(unfold_to(p, len, NULL) + 1);
    unfold_to(p, len, out);
    return out;
}

/* A field of the given raw text (taken), with its name (NULL: none) and the
 * value unfolded from raw_value. */
Field *ms_message_field_new(char *raw, gsize raw_len, const char *name, gsize name_len,
                            const char *raw_value, gsize raw_value_len)
{
    gsize value_len = unfold_to(raw_value, raw_value_len, NULL);
    gsize name_size = name != NULL ? name_len + 1 : 0;
    Field *f = g_malloc(sizeof *f + name_size + value_len + 1);
    f->raw = raw;
    f->raw_len = raw_len;
    f->name = NULL;
    if (name != NULL) {
        f->name = f->text;
        memcpy(f->name, name, name_len);
        f->name[name_len] = '\0';
    }
    f->value = f->text + name_size;
    unfold_to(raw_value, raw_value_len, f->value);
    return f;
}

/* ---- Life cycle ------------------------------------------------------------ */

MsMessage *ms_message_new(void)
{
    MsMessage *msg = g_new0(MsMessage, 1);
    msg->fields = g_ptr_array_new_with_free_func(field_free);
    msg->separator = g_strdup("\r\n");
    msg->body = g_bytes_new(NULL, 0);
    msg->eol = "\r\n";
    msg->warnings = g_ptr_array_new_with_free_func(g_free);
    return msg;
}

void ms_message_free(MsMessage *msg)
{
    if (msg == NULL)
        return;
    g_ptr_array_unref(msg->fields);
    g_free(msg->separator);
    g_bytes_unref(msg->body);
    g_ptr_array_unref(msg->warnings);
    g_free(msg);
}

MsMessage *ms_message_copy(const MsMessage *msg)
{
    MsMessage *copy = ms_message_new();
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        /* The text after the struct: name (if any) and value, with NULs. */
        gsize text = (gsize) (f->value - f->text) + strlen(f->value) + 1;
        Field *c = g_malloc(sizeof *c + text);
        memcpy(c->text, f->text, text);
        c->raw = g_memdup2(f->raw, f->raw_len + 1);
        c->raw_len = f->raw_len;
        c->name = f->name != NULL ? c->text : NULL;
        c->value = c->text + (f->value - f->text);
        g_ptr_array_add(copy->fields, c);
    }
    g_free(copy->separator);
    copy->separator = g_strdup(msg->separator);
    g_bytes_unref(copy->body);
    copy->body = g_bytes_ref(msg->body);
    copy->eol = msg->eol;
    for (guint i = 0; i < msg->warnings->len; i++)
        g_ptr_array_add(copy->warnings, g_strdup(g_ptr_array_index(msg->warnings, i)));
    return copy;
}

MsMessage *ms_message_new_body_only(const void *data, gsize len)
{
    MsMessage *msg = ms_message_new();
    msg->separator[0] = '\0';
    g_bytes_unref(msg->body);
    msg->body = g_bytes_new(data, len);
    return msg;
}

/* ---- Parsing ----------------------------------------------------------------- */

static void warn(MsMessage *msg, guint lineno, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void warn(MsMessage *msg, guint lineno, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(msg->warnings, g_strdup_printf("line %u: %s", lineno, text));
}

/* Warns about one field's content: 8-bit octets, over-long lines. */
static void check_field(MsMessage *msg, const Field *f, guint first_line)
{
    if (!ms_message_is_7bit(f->raw, f->raw_len))
        warn(msg, first_line, "8-bit octets in a header field (RFC 5322 2.2 allows US-ASCII only)");
    guint lineno = first_line;
    Line l;
    for (gsize pos = 0; next_line(f->raw, f->raw_len, pos, &l); pos = l.end, lineno++) {
        if (l.content_end - l.start > MS_MESSAGE_LINE_MUST)
            warn(msg, lineno, "line of %" G_GSIZE_FORMAT " characters (RFC 5322 2.1.1 allows 998)",
                 l.content_end - l.start);
    }
}

/* The field being read while its continuation lines are still coming. */
typedef struct {
    gboolean open;
    gsize start;      /* input offset of its first line */
    gsize value_off;  /* offset of the value within the field (after ":"), 0 if none */
    gsize name_len;   /* the name starts the field; 0 for a malformed line */
    guint lineno;
} Pending;

/* Closes the pending field: its raw text runs up to `end`. */
static void pending_close(MsMessage *msg, Pending *pend, const char *p, gsize end)
{
    if (!pend->open)
        return;
    gsize raw_len = end - pend->start;
    const char *raw = p + pend->start;
    Field *f = ms_message_field_new(g_strndup(raw, raw_len), raw_len,
                                    pend->name_len > 0 ? raw : NULL, pend->name_len,
                                    raw + pend->value_off, raw_len - pend->value_off);
    check_field(msg, f, pend->lineno);
    g_ptr_array_add(msg->fields, f);
    pend->open = FALSE;
}

MsMessage *ms_message_parse(const void *data, gsize len, GError **error)
{
    const char *p = data;
    if (len == 0) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE, "empty message");
        return NULL;
    }
    g_autoptr(MsMessage) msg = ms_message_new();
    int blank_ahead = -1; /* has_empty_line(), asked only when a line is not a field */
    Line l;
    next_line(p, len, 0, &l);
    /* Fields added later follow the convention of the first line. */
    msg->eol = (l.end == l.content_end + 1) ? "\n" : "\r\n";
    g_free(msg->separator);
    msg->separator = NULL;

    Pending pend = { 0 };
    guint good = 0;           /* well-formed fields */
    gsize body_start = len;
    guint lineno = 0;
    for (gsize pos = 0; next_line(p, len, pos, &l); pos = l.end) {
        lineno++;
        if (memchr(p + l.start, '\0', l.end - l.start) != NULL) {
            g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                        "line %u: NUL octet in the header section", lineno);
            return NULL;
        }
        /* RFC 5322 3.5: the header section ends at the first empty line. */
        if (l.content_end == l.start && l.end > l.start) {
            pending_close(msg, &pend, p, l.start);
            msg->separator = g_strndup(p + l.start, l.end - l.start);
            body_start = l.end;
            break;
        }
        /* RFC 5322 2.2.3: a line starting with white space continues the
         * field before it. */
        gboolean starts_wsp = is_wsp((guchar) p[l.start]);
        if (starts_wsp && pend.open)
            continue;
        gsize colon = 0;
        gboolean obs = FALSE;
        gsize name_len =
            starts_wsp ? 0 : field_name_len(p + l.start, l.content_end - l.start, &colon, &obs);
        if (name_len == 0 && blank_ahead < 0)
            blank_ahead = has_empty_line(p, len);
        if (name_len == 0 && !blank_ahead) {
            if (good == 0) {
                g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                            "line %u: not a header field, and no header field before it", lineno);
                return NULL;
            }
            /* No empty line anywhere: the header section must end here. */
            pending_close(msg, &pend, p, l.start);
            warn(msg, lineno, "not a header field and no empty line before it: the body starts here");
            msg->separator = g_strdup("");
            body_start = l.start;
            break;
        }
        pending_close(msg, &pend, p, l.start);
        pend.open = TRUE;
        pend.start = l.start;
        pend.lineno = lineno;
        pend.value_off = 0;
        pend.name_len = name_len;
        if (name_len > 0) {
            pend.value_off = colon + 1;
            good++;
            if (obs)
                warn(msg, lineno, "white space before the colon of \"%.*s\" (obsolete syntax, RFC 5322 4.5)",
                     (int) name_len, p + l.start);
        } else if (starts_wsp) {
            warn(msg, lineno, "a continuation line with no field before it; kept as it is");
        } else {
            warn(msg, lineno, "no colon in a header line (RFC 5322 2.2); kept as it is");
        }
    }
    pending_close(msg, &pend, p, body_start);
    if (msg->separator == NULL)
        msg->separator = g_strdup("");
    /* A message may have no fields only if it starts with the empty line. */
    if (good == 0 && !(msg->fields->len == 0 && msg->separator[0] != '\0')) {
        g_set_error(error, MS_ERROR, MS_ERROR_PARSE,
                    "no header field at all: this is not an RFC 5322 message");
        return NULL;
    }
    g_bytes_unref(msg->body);
    msg->body = g_bytes_new(p + body_start, len - body_start);
    return g_steal_pointer(&msg);
}

MsMessage *ms_message_parse_bytes(GBytes *bytes, GError **error)
{
    gsize len = 0;
    const void *data = g_bytes_get_data(bytes, &len);
    return ms_message_parse(data, len, error);
}

const GPtrArray *ms_message_warnings(const MsMessage *msg)
{
    return msg->warnings;
}

const char *ms_message_eol(const MsMessage *msg)
{
    return msg->eol;
}

/* ---- Serialising ---------------------------------------------------------------- */

gsize ms_message_header_bytes_count(const MsMessage *msg)
{
    gsize n = strlen(msg->separator);
    for (guint i = 0; i < msg->fields->len; i++)
        n += ((const Field *) g_ptr_array_index(msg->fields, i))->raw_len;
    return n;
}

gsize ms_message_body_bytes_count(const MsMessage *msg)
{
    return g_bytes_get_size(msg->body);
}

gsize ms_message_size(const MsMessage *msg)
{
    return ms_message_header_bytes_count(msg) + ms_message_body_bytes_count(msg);
}

static GByteArray *header_section(const MsMessage *msg)
{
    GByteArray *out = g_byte_array_sized_new((guint) ms_message_size(msg));
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        g_byte_array_append(out, (const guint8 *) f->raw, (guint) f->raw_len);
    }
    g_byte_array_append(out, (const guint8 *) msg->separator, (guint) strlen(msg->separator));
    return out;
}

GBytes *ms_message_to_bytes(const MsMessage *msg)
{
    GByteArray *out = header_section(msg);
    gsize blen = 0;
    const guint8 *body = g_bytes_get_data(msg->body, &blen);
    g_byte_array_append(out, body, (guint) blen);
    return g_byte_array_free_to_bytes(out);
}

guint ms_message_count_lines(const void *data, gsize len)
{
    const char *p = data;
    guint n = 0;
    for (gsize i = 0; i < len; i++) {
        if (p[i] == '\n')
            n++;
    }
    if (len > 0 && p[len - 1] != '\n')
        n++;
    return n;
}

guint ms_message_header_lines(const MsMessage *msg)
{
    guint n = msg->separator[0] != '\0' ? 1 : 0;
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        n += ms_message_count_lines(f->raw, f->raw_len);
    }
    return n;
}

guint ms_message_body_lines(const MsMessage *msg)
{
    gsize len = 0;
    const void *data = g_bytes_get_data(msg->body, &len);
    return ms_message_count_lines(data, len);
}

GBytes *ms_message_top(const MsMessage *msg, guint n)
{
    GByteArray *out = header_section(msg);
    gsize blen = 0;
    const char *body = g_bytes_get_data(msg->body, &blen);
    gsize end = 0;
    /* RFC 1939 7: the header, the blank line, then n lines of the body. */
    for (guint k = 0; k < n && end < blen; k++) {
        const char *nl = memchr(body + end, '\n', blen - end);
        end = nl != NULL ? (gsize) (nl - body) + 1 : blen;
    }
    g_byte_array_append(out, (const guint8 *) body, (guint) end);
    return g_byte_array_free_to_bytes(out);
}

/* ---- Reading fields --------------------------------------------------------------- */

guint ms_message_n_fields(const MsMessage *msg)
{
    return msg->fields->len;
}

static const Field *field_at(const MsMessage *msg, guint index)
{
    g_return_val_if_fail(index < msg->fields->len, NULL);
    return g_ptr_array_index(msg->fields, index);
}

const char *ms_message_field_name(const MsMessage *msg, guint index)
{
    const Field *f = field_at(msg, index);
    return f != NULL ? f->name : NULL;
}

const char *ms_message_field_value(const MsMessage *msg, guint index)
{
    const Field *f = field_at(msg, index);
    return f != NULL ? f->value : NULL;
}

const char *ms_message_field_raw(const MsMessage *msg, guint index, gsize *len_out)
{
    const Field *f = field_at(msg, index);
    if (len_out != NULL)
        *len_out = f != NULL ? f->raw_len : 0;
    return f != NULL ? f->raw : NULL;
}

const char *ms_message_get(const MsMessage *msg, const char *name)
{
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        if (name_is(f, name))
            return f->value;
    }
    return NULL;
}

char **ms_message_get_all(const MsMessage *msg, const char *name)
{
    GPtrArray *all = g_ptr_array_new();
    for (guint i = 0; i < msg->fields->len; i++) {
        const Field *f = g_ptr_array_index(msg->fields, i);
        if (name_is(f, name))
            g_ptr_array_add(all, g_strdup(f->value));
    }
    g_ptr_array_add(all, NULL);
    return (char **) g_ptr_array_free(all, FALSE);
}

char *ms_message_get_decoded(const MsMessage *msg, const char *name)
{
    const char *value = ms_message_get(msg, name);
    return value != NULL ? ms_rfc2047_decode(value) : NULL;
}

/* ---- Body ------------------------------------------------------------------------------ */

GBytes *ms_message_body(const MsMessage *msg)
{
    return g_bytes_ref(msg->body);
}

void ms_message_set_body(MsMessage *msg, const void *data, gsize len)
{
    /* RFC 5322 3.5: a body is separated from the header by an empty line. */
    if (msg->separator[0] == '\0') {
        ms_message_terminate_last_field(msg);
        g_free(msg->separator);
        msg->separator = g_strdup(msg->eol);
    }
    g_bytes_unref(msg->body);
    msg->body = g_bytes_new(data, len);
}

/* ---- The 7-bit rule ---------------------------------------------------------------------- */

gssize ms_message_first_8bit(const void *data, gsize len)
{
    const guchar *p = data;
    /* Eight octets at a time while none is above 127 or zero: every text
     * a run composes is asked.  A word with such an octet is read again
     * octet by octet, for where it is. */
    const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
    const guint64 highs = G_GUINT64_CONSTANT(0x8080808080808080);
    gsize i = 0;
    for (; i + sizeof(guint64) <= len; i += sizeof(guint64)) {
        guint64 w;
        memcpy(&w, p + i, sizeof w);
        /* The high bits, then (for a word without them) a zero octet. */
        if (((w | ((w - ones) & ~w)) & highs) != 0)
            break;
    }
    for (; i < len; i++) {
        /* RFC 2045 2.7: 7bit data has no octet above 127 and no NUL. */
        if (p[i] == 0 || p[i] > 127)
            return (gssize) i;
    }
    return -1;
}

gboolean ms_message_is_7bit(const void *data, gsize len)
{
    return ms_message_first_8bit(data, len) < 0;
}

/* ---- Dates and addresses ------------------------------------------------------------------ */

gsize ms_message_format_date_to(char *out, gint64 unix_seconds)
{
    static const char *const days[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    /* The Gregorian calendar, weekdays included, repeats every 400 years
     * (146,097 days, a whole number of weeks): a time before 1970 is moved
     * on by whole such eras, and the years taken back at the end, so that
     * the arithmetic below is unsigned, which costs fewer instructions a
     * division than signed (every message and every Received: field has a
     * date). */
    const gint64 era_seconds = G_GINT64_CONSTANT(146097) * 86400;
    gint64 eras_back = 0;
    if (unix_seconds < 0)
        eras_back = (-(unix_seconds + 1)) / era_seconds + 1;
    /* In [0, era_seconds): added without wrapping signed, which is UB. */
    guint64 t = (guint64) unix_seconds + (guint64) eras_back * (guint64) era_seconds;
    guint64 day = t / 86400;
    guint64 secs = t % 86400;
    /* Days from 1970-01-01 (a Thursday) to a civil date, after H. Hinnant's
     * days_from_civil inverse: eras of 400 years starting in March. */
    guint64 z = day + 719468;
    guint64 era = z / 146097;
    guint64 doe = z - era * 146097;
    guint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    guint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    guint64 mp = (5 * doy + 2) / 153;
    guint64 d = doy - (153 * mp + 2) / 5 + 1;
    guint64 m = mp < 10 ? mp + 3 : mp - 9;
    gint64 y = (gint64) (yoe + era * 400) - eras_back * 400 + (m <= 2);
    guint64 wd = day % 7;
    /* RFC 5322 3.3: day-name "," day month year time zone. */
    if (y < 0 || y > 9999)
        return (gsize) g_snprintf(out, MS_MESSAGE_DATE_SIZE,
                                  "%s, %02d %s %04d %02d:%02d:%02d +0000", days[wd], (int) d,
                                  months[m - 1], (int) y, (int) (secs / 3600),
                                  (int) (secs / 60 % 60), (int) (secs % 60));
    /* Every message and every Received: field has a date: written digit by
     * digit, as printf would, for a tenth of its cost. */
    guint h = (guint) (secs / 3600), mi = (guint) (secs / 60 % 60), se = (guint) (secs % 60);
    guint yy = (guint) y;
    memcpy(out, days[wd], 3);
    out[3] = ',';
    out[4] = ' ';
    out[5] = (char) ('0' + d / 10);
    out[6] = (char) ('0' + d % 10);
    out[7] = ' ';
    memcpy(out + 8, months[m - 1], 3);
    out[11] = ' ';
    out[12] = (char) ('0' + yy / 1000);
    out[13] = (char) ('0' + yy / 100 % 10);
    out[14] = (char) ('0' + yy / 10 % 10);
    out[15] = (char) ('0' + yy % 10);
    out[16] = ' ';
    out[17] = (char) ('0' + h / 10);
    out[18] = (char) ('0' + h % 10);
    out[19] = ':';
    out[20] = (char) ('0' + mi / 10);
    out[21] = (char) ('0' + mi % 10);
    out[22] = ':';
    out[23] = (char) ('0' + se / 10);
    out[24] = (char) ('0' + se % 10);
    memcpy(out + 25, " +0000", sizeof " +0000");
    return sizeof "Thu, 01 Jan 1970 00:00:00 +0000" - 1;
}

char *ms_message_format_date(gint64 unix_seconds)
{
    char buf[MS_MESSAGE_DATE_SIZE];
    gsize n = ms_message_format_date_to(buf, unix_seconds);
    return g_strndup(buf, n);
}

char *ms_message_addr_spec(const char *mailbox)
{
    if (mailbox == NULL)
        return g_strdup("");
    /* RFC 5322 3.4: name-addr = [display-name] angle-addr; the last "<"
     * starts the angle-addr even if the display name holds one. */
    const char *lt = strrchr(mailbox, '<');
    if (lt != NULL) {
        const char *gt = strchr(lt, '>');
        gsize n = gt != NULL ? (gsize) (gt - lt - 1) : strlen(lt + 1);
        char *addr = g_strndup(lt + 1, n);
        return g_strstrip(addr);
    }
    return g_strstrip(g_strdup(mailbox));
}

char *ms_message_address_literal(const char *peer)
{
    if (peer == NULL || !g_hostname_is_ip_address(peer))
        return NULL;
    if (strchr(peer, ':') == NULL)
        return g_strconcat("[", peer, "]", NULL);
    if (g_ascii_strncasecmp(peer, "::ffff:", 7) == 0 && strchr(peer + 7, ':') == NULL &&
        g_hostname_is_ip_address(peer + 7))
        return g_strconcat("[", peer + 7, "]", NULL);
    return g_strconcat("[IPv6:", peer, "]", NULL);
}
