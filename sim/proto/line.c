/* line.c - protocol lines and the line reader every text protocol shares.
 *
 * SMTP, POP3, IMAP and HTTP all frame their dialogues as lines ending in
 * CRLF (RFC 5321 2.3.8, RFC 1939 3, RFC 3501 2.2, RFC 9112 2.2).  The reader
 * here is the single place where a byte stream becomes lines, so every
 * engine sees bare LF, bare CR and over-long lines the same way: it reports
 * how each line ended and lets the engine decide what the RFC wants done.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mailsim/core.h"
#include "mailsim/proto.h"
#include "proto-private.h"

/* ---- Lines an engine sends ------------------------------------------------ */

MsProtoLine *ms_proto_line_new_len(const char *text, gsize len, const char *eol,
                                   const char *phase, const char *note)
{
    /* One block for the line and its text: every line of a run is made and
     * freed once, and two allocations each were a tenth of a run's time. */
    MsProtoLine *line = g_malloc(sizeof *line + len + 1);

    line->text = (char *) (line + 1);
    line->bytes = NULL;
    if (len > 0)
        memcpy(line->text, text, len);
    line->text[len] = '\0';
    line->len = len;
    line->eol = eol != NULL ? eol : "\r\n";
    line->phase = phase;
    line->note = note;
    return line;
}

const char *ms_proto_note_find(const MsProtoNote *notes, gsize n, const char *key)
{
    if (key == NULL)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(notes[i].key, key) == 0)
            return notes[i].text;
    }
    return NULL;
}

MsProtoLine *ms_proto_line_new(const char *text, const char *phase, const char *note)
{
    return ms_proto_line_new_len(text, text != NULL ? strlen(text) : 0, "\r\n", phase, note);
}

MsProtoLine *ms_proto_line_new_bytes(GBytes *bytes, const char *stand_in, const char *phase,
                                     const char *note)
{
    g_return_val_if_fail(bytes != NULL, NULL);
    MsProtoLine *line = ms_proto_line_new_len(stand_in, stand_in != NULL ? strlen(stand_in) : 0,
                                              "", phase, note);
    line->bytes = g_bytes_ref(bytes);
    return line;
}

gsize ms_proto_line_wire_size(const MsProtoLine *line)
{
    gsize text_len;
    return ms_proto_line_measure(line, &text_len);
}

void ms_proto_line_append_wire(const MsProtoLine *line, GByteArray *out)
{
    gsize text_len;
    gsize size = ms_proto_line_measure(line, &text_len);
    guint at = out->len;
    g_byte_array_set_size(out, (guint) (at + size));
    ms_proto_line_copy_measured(line, text_len, size, (char *) out->data + at);
}

void ms_proto_line_free(MsProtoLine *line)
{
    if (line == NULL)
        return;
    if (line->bytes != NULL)
        g_bytes_unref(line->bytes);
    g_free(line);
}

GPtrArray *ms_proto_lines_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) ms_proto_line_free);
}

GBytes *ms_proto_lines_to_bytes(const GPtrArray *lines)
{
    GByteArray *out = g_byte_array_new();

    for (guint i = 0; lines != NULL && i < lines->len; i++) {
        const MsProtoLine *line = g_ptr_array_index((GPtrArray *) lines, i);

        ms_proto_line_append_wire(line, out);
    }
    return g_byte_array_free_to_bytes(out);
}

const char *ms_eol_text(MsEol eol)
{
    switch (eol) {
    case MS_EOL_LF:
        return "\n";
    case MS_EOL_CR:
        return "\r";
    case MS_EOL_CRLF:
    default:
        return "\r\n";
    }
}

/* ---- The line reader --------------------------------------------------------
 * buf[start..len) holds the bytes fed and not yet returned: a line returned
 * moves start past it, and the bytes before start are dropped only when
 * more are fed, so a segment of many lines is not moved down once a line
 * and every line returned since the last feed stays where it was.  scan
 * (an index into buf, at or after start) is where the search for a line
 * ending resumes: everything before it is known to hold no ending (a
 * trailing CR is never passed over, because whether it is a CRLF or a bare
 * CR depends on the next byte).  When the current line grows past max_len,
 * only its first max_len octets are kept and `overflow` remembers that the
 * rest was dropped, so a flood of bytes without an ending costs bounded
 * memory.  max_len 0 means no limit.
 *
 * The buffer is the reader's own rather than a GByteArray: every segment a
 * run delivers is fed here, and the array's calls to resize and append cost
 * more than the copy they wrap.  The struct is in proto-private.h, for the
 * engines that keep their reader inside them.
 */

/* The first buffer holds a few reply or command lines, or a segment: a
 * quarter of the readers of a campus run outgrew 256 octets (a pipelined
 * group, a listing), and growing cost a second allocation and a copy,
 * while 512 octets and the pad still come from malloc's per-thread cache. */
#define READER_MIN_CAP 512

/* The search for a line's end reads 16 octets at a time where SSE2 is at
 * hand (every x86-64), so the buffer has that many octets more than its
 * cap, zeroed past the bytes fed: a read that starts before the end stays
 * inside the block and sees no CR or LF that was not fed. */
#if defined(__SSE2__)
#define READER_PAD 16
#else
#define READER_PAD 0
#endif

/* Zeroes the pad after the bytes fed (see READER_PAD). */
static inline void zero_pad(MsLineReader *reader)
{
    if (READER_PAD > 0 && reader->buf != NULL)
        memset(reader->buf + reader->len, 0, READER_PAD);
}

void ms_line_reader_init(MsLineReader *reader, gsize max_len)
{
    memset(reader, 0, sizeof *reader);
    reader->max_len = max_len;
}

void ms_line_reader_release(MsLineReader *reader)
{
    g_clear_pointer(&reader->buf, g_free);
    reader->cap = 0;
}

MsLineReader *ms_line_reader_new(gsize max_len)
{
    MsLineReader *reader = g_new(MsLineReader, 1);

    ms_line_reader_init(reader, max_len);
    return reader;
}

void ms_line_reader_free(MsLineReader *reader)
{
    if (reader == NULL)
        return;
    ms_line_reader_release(reader);
    g_free(reader);
}

void ms_line_reader_reset(MsLineReader *reader, gsize max_len)
{
    /* The buffer is kept for the next stream; under AddressSanitizer it goes
     * back to malloc, so a view kept from the last stream is caught. */
    if (MS_UNDER_ASAN) {
        g_free(reader->buf);
        reader->buf = NULL;
        reader->cap = 0;
    }
    reader->len = 0;
    reader->start = 0;
    reader->scan = 0;
    reader->overflow = FALSE;
    reader->max_len = max_len;
}

void ms_line_reader_set_max(MsLineReader *reader, gsize max_len)
{
    reader->max_len = max_len;
}

void ms_line_reader_feed(MsLineReader *reader, const char *bytes, gsize len)
{
    if (len == 0)
        return;
    gsize keep = reader->len - reader->start;
    gsize need = keep + len;

    if (MS_UNDER_ASAN || need > reader->cap) {
        /* A new buffer: the views handed out since the last feed end here,
         * and under AddressSanitizer they end at every feed, so a view used
         * past its span is caught rather than read from reused memory. */
        gsize cap = need > reader->cap ? MAX(reader->cap * 2, READER_MIN_CAP) : reader->cap;

        while (cap < need)
            cap *= 2;
        char *buf = g_malloc(cap + READER_PAD);

        if (keep > 0)
            memcpy(buf, reader->buf + reader->start, keep);
        g_free(reader->buf);
        reader->buf = buf;
        reader->cap = cap;
    } else if (keep > 0 && reader->start > 0) {
        memmove(reader->buf, reader->buf + reader->start, keep);
    }
    reader->scan -= reader->start;
    reader->start = 0;
    memcpy(reader->buf + keep, bytes, len);
    reader->len = need;
    zero_pad(reader);
}

gsize ms_line_reader_pending(const MsLineReader *reader)
{
    return reader->len - reader->start;
}

/* Where the first CR or LF in data[from..len) is, or len.  Only the first
 * of either can end a line, and every line of a run is looked for here:
 * with SSE2, sixteen octets are compared with both at once (the pad makes
 * the last read safe); without it, memchr finds the first LF and then a CR
 * before it. */
static inline gsize find_eol(const char *data, gsize from, gsize len)
{
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');

    for (gsize at = from; at < len; at += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *) (const void *) (data + at));
        unsigned hits = (unsigned) _mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));

        if (hits != 0) {
            gsize i = at + (gsize) __builtin_ctz(hits);
            return i < len ? i : len;
        }
    }
    return len;
#else
    if (from >= len)
        return len;
    const char *lf = memchr(data + from, '\n', len - from);
    gsize stop = lf != NULL ? (gsize) (lf - data) : len;
    const char *cr = stop > from ? memchr(data + from, '\r', stop - from) : NULL;
    return cr != NULL ? (gsize) (cr - data) : stop;
#endif
}

MsLineResult ms_line_reader_peek(MsLineReader *reader, const char **line_out, gsize *len_out,
                                 MsEol *eol_out)
{
    char *data = reader->buf;
    gsize len = reader->len;
    gsize i = find_eol(data, reader->scan, len);
    gsize end; /* just past the line's ending */
    MsEol eol;

    if (i < len && data[i] == '\n') {
        end = i + 1;
        eol = MS_EOL_LF;
    } else if (i + 1 < len) {
        /* A CR, and the octet after it says whether it is a CRLF. */
        gboolean crlf = data[i + 1] == '\n';

        end = crlf ? i + 2 : i + 1;
        eol = crlf ? MS_EOL_CRLF : MS_EOL_CR;
    } else {
        /* No ending yet; or a CR as the last octet, CRLF or bare CR as the
         * next feed decides, so the search resumes at it. */
        gsize max = reader->max_len;

        reader->scan = i;
        /* Keep only the first max octets of a line that has no ending yet;
         * a pending CR at scan stays, it may start the ending. */
        if (max > 0 && reader->scan - reader->start > max) {
            gsize cut = reader->start + max;

            memmove(reader->buf + cut, reader->buf + reader->scan, reader->len - reader->scan);
            reader->len -= reader->scan - cut;
            reader->scan = cut;
            reader->overflow = TRUE;
            zero_pad(reader);
        }
        return MS_LINE_NONE;
    }

    gsize start = reader->start;
    gsize line_len = i - start;
    gboolean too_long = reader->overflow || (reader->max_len > 0 && line_len > reader->max_len);
    gsize keep = line_len;

    if (too_long && reader->max_len > 0 && keep > reader->max_len)
        keep = reader->max_len;

    /* The line stays where it is, ended by a NUL written over the first
     * octet after what is kept: its ending (or the part of an over-long
     * line that is dropped), consumed with it. */
    char *line = data + start;
    line[keep] = '\0';
    reader->start = end;
    reader->scan = end;
    reader->overflow = FALSE;

    if (line_out != NULL)
        *line_out = line;
    if (len_out != NULL)
        *len_out = keep;
    if (eol_out != NULL)
        *eol_out = eol;
    return too_long ? MS_LINE_TOO_LONG : MS_LINE_OK;
}

MsLineResult ms_line_reader_next(MsLineReader *reader, char **line_out, gsize *len_out,
                                 MsEol *eol_out)
{
    const char *line = NULL;
    gsize len = 0;
    MsLineResult res = ms_line_reader_peek(reader, &line, &len, eol_out);

    if (res == MS_LINE_NONE)
        return res;
    if (line_out != NULL)
        *line_out = g_memdup2(line, len + 1);
    if (len_out != NULL)
        *len_out = len;
    return res;
}
