/* proto.h - what every sans-I/O protocol engine shares.
 *
 * An engine takes bytes in (ms_*_feed) and produces lines out, each tagged
 * with the protocol phase it belongs to and an annotation key, plus events
 * for the glue in sim/agents (a message arrived, close the connection, ...).
 * It never touches a socket, a clock or a global.  The line reader below is
 * the one place where CRLF framing, bare CR / bare LF and over-long lines
 * are recognised.
 */
#pragma once

#include <string.h>

#include <glib.h>
#include "mailsim/core.h"

G_BEGIN_DECLS

/* One annotation key of an engine with its English text (the transcript's
 * note; translated through po/zh_CN.po).  Each engine has one static table
 * of them. */
typedef struct {
    const char *key;
    const char *text;
} MsProtoNote;

/* The text of key in a table of n notes, or NULL (also for a NULL key). */
const char *ms_proto_note_find(const MsProtoNote *notes, gsize n, const char *key);

/* How many protocol errors (an unknown command, a syntax error, a command
 * out of sequence, a line too long or not ended by CRLF) a server takes in
 * one session before it says so and closes the connection, as real servers
 * do (Postfix's smtpd_hard_error_limit, Dovecot's limit on bad commands are
 * both 20): a client that only sends garbage cannot keep a session busy.
 * SMTP answers 421 (RFC 5321 3.8, 4.3.2), POP3 -ERR, IMAP BYE
 * (RFC 3501 7.1.5). */
#define MS_PROTO_MAX_ERRORS 20

/* One line an engine wants sent.  Content that is not text (HTTP's image
 * or other attachment, sent as it is) goes out as one "line" whose bytes
 * are sent in place of text and eol: text is then a short stand-in that
 * the transcript and the trace show, and eol is "". */
typedef struct {
    char *text;        /* without the line ending; in the same block as the line */
    const char *eol;   /* static: "\r\n" normally; a broken client may use "\n" */
    const char *phase; /* static phase key, e.g. "smtp.transfer" */
    const char *note;  /* static annotation key, e.g. "smtp.reply.354"; may be NULL */
    GBytes *bytes;     /* NULL for a text line; else the octets sent */
    /* The octets of text, set when the line is made: an engine fills a
     * line's text in to exactly the length it asked room for, so that the
     * line is never measured again on its way out. */
    gsize len;
} MsProtoLine;

/* transfer full */
MsProtoLine *ms_proto_line_new(const char *text, const char *phase, const char *note);
MsProtoLine *ms_proto_line_new_len(const char *text, gsize len, const char *eol,
                                   const char *phase, const char *note);
/* Binary content: bytes are sent as they are (a reference is taken),
 * stand_in is what is shown for them. */
MsProtoLine *ms_proto_line_new_bytes(GBytes *bytes, const char *stand_in, const char *phase,
                                     const char *note);
/* The octets a line puts on the wire: text and eol, or its bytes. */
gsize ms_proto_line_wire_size(const MsProtoLine *line);

/* The length of a line ending ("\r\n", "\n", "\r" or ""), counted in
 * place: every line a run sends is measured, and a call to strlen cost
 * more than the two octets. */
static inline gsize ms_proto_eol_len(const char *eol)
{
    if (eol[0] == '\0')
        return 0;
    if (eol[1] == '\0')
        return 1;
    if (eol[2] == '\0')
        return 2;
    return 2 + strlen(eol + 2);
}

/* The same as ms_proto_line_wire_size(), and in *text_len_out the length
 * of its text (0 for bytes), for a caller that copies the line next with
 * ms_proto_line_copy_measured() and need not measure it twice.  Inline,
 * with the copy below: every line of a run is measured and copied, and the
 * calls cost more than the work.  Under AddressSanitizer the text is
 * measured as well, so that an engine that filled a line short is caught. */
static inline gsize ms_proto_line_measure(const MsProtoLine *line, gsize *text_len_out)
{
    if (line->bytes != NULL) {
        *text_len_out = 0;
        return g_bytes_get_size(line->bytes);
    }
    if (MS_UNDER_ASAN)
        g_assert(strlen(line->text) == line->len);
    *text_len_out = line->len;
    return line->len + ms_proto_eol_len(line->eol);
}

/* Copies the line's wire octets to dest, given what
 * ms_proto_line_measure() said (text_len, and size its result). */
static inline void ms_proto_line_copy_measured(const MsProtoLine *line, gsize text_len,
                                               gsize size, char *dest)
{
    if (line->bytes != NULL) {
        if (size > 0)
            memcpy(dest, g_bytes_get_data(line->bytes, NULL), size);
        return;
    }
    memcpy(dest, line->text, text_len);
    /* The ending's octets (two at most, as a rule) by hand. */
    char *e = dest + text_len;
    gsize n_eol = size - text_len;
    if (n_eol > 0)
        e[0] = line->eol[0];
    if (n_eol > 1)
        e[1] = line->eol[1];
    if (n_eol > 2)
        memcpy(e + 2, line->eol + 2, n_eol - 2);
}
/* Appends the line's wire octets to out. */
void ms_proto_line_append_wire(const MsProtoLine *line, GByteArray *out);
void ms_proto_line_free(MsProtoLine *line);
/* A GPtrArray that frees MsProtoLine elements. */
GPtrArray *ms_proto_lines_new(void);
/* Concatenates text+eol of every line (transfer full). */
GBytes *ms_proto_lines_to_bytes(const GPtrArray *lines);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsProtoLine, ms_proto_line_free)

/* The lines an engine has said since they were last sent, kept from one
 * step to the next: every line of a run passes through one, so the lines
 * are cut from blocks the output keeps (cleared, not freed, once sent)
 * instead of each being allocated and freed on its own. */
typedef struct MsProtoOutput MsProtoOutput;

MsProtoOutput *ms_proto_output_new(void);
void ms_proto_output_free(MsProtoOutput *out);
/* A new line of len octets of text, to be filled in by the caller (the
 * terminating NUL is written); valid until the output is cleared.  An
 * output's lines are text: their bytes stay NULL. */
MsProtoLine *ms_proto_output_add_space(MsProtoOutput *out, gsize len, const char *eol,
                                       const char *phase, const char *note);
/* The same with text copied in. */
MsProtoLine *ms_proto_output_add_len(MsProtoOutput *out, const char *text, gsize len,
                                     const char *eol, const char *phase, const char *note);
/* The lines added since the last clear (transfer none: the output's own
 * array, valid until the output is next changed).  Read its len and pdata
 * (g_ptr_array_index()) only: it is not made by g_ptr_array_new(), so no
 * other g_ptr_array_ function may be given it. */
GPtrArray *ms_proto_output_lines(MsProtoOutput *out);
/* Forgets the lines, keeping their memory for the next ones. */
void ms_proto_output_clear(MsProtoOutput *out);
/* The lines as a new array of copies that outlive the output (transfer
 * full, see ms_proto_lines_new()); the output is cleared. */
GPtrArray *ms_proto_output_take(MsProtoOutput *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsProtoOutput, ms_proto_output_free)

/* Room for the decimal digits of any guint64 and a NUL. */
#define MS_PROTO_UINT_MAX_LEN 21
/* Writes v in decimal to buf (MS_PROTO_UINT_MAX_LEN octets), NUL-terminated;
 * returns the number of digits.  Engines put numbers in their replies
 * with it instead of printf. */
gsize ms_proto_format_uint(char *buf, guint64 v);

/* How a line ended. */
typedef enum {
    MS_EOL_CRLF = 0,
    MS_EOL_LF,   /* bare LF: RFC 5321 2.3.8 forbids it */
    MS_EOL_CR,   /* bare CR */
} MsEol;

const char *ms_eol_text(MsEol eol); /* "\r\n", "\n", "\r" */

/* Splits a byte stream into lines.  A line ends at CRLF, at a bare LF, or at
 * a bare CR followed by anything but LF (reported as MS_EOL_CR).  A line
 * longer than max_len octets (without its ending) is reported as too long;
 * the reader then skips to the end of that line. */
typedef struct MsLineReader MsLineReader;

typedef enum {
    MS_LINE_NONE = 0,   /* need more input */
    MS_LINE_OK = 1,     /* a complete line */
    MS_LINE_TOO_LONG = -1, /* a complete line that exceeded max_len (text truncated) */
} MsLineResult;

MsLineReader *ms_line_reader_new(gsize max_len);
void ms_line_reader_free(MsLineReader *reader);
void ms_line_reader_set_max(MsLineReader *reader, gsize max_len);
/* Forgets every byte fed, as a new reader with max_len would, keeping the
 * buffer for the next stream: an engine reused for another session resets
 * its reader instead of making a new one. */
void ms_line_reader_reset(MsLineReader *reader, gsize max_len);
void ms_line_reader_feed(MsLineReader *reader, const char *bytes, gsize len);
/* line_out: transfer full, NUL-terminated (may contain other NULs: use len_out). */
MsLineResult ms_line_reader_next(MsLineReader *reader, char **line_out, gsize *len_out,
                                 MsEol *eol_out);
/* The same line without a copy: line_out points into the reader, NUL-
 * terminated after len_out octets, and stays valid until the reader is
 * next fed, reset or freed (the lines of one feed stay put while the next
 * ones are asked for).  For engines that read a line where it is and copy
 * only what they keep of it. */
MsLineResult ms_line_reader_peek(MsLineReader *reader, const char **line_out, gsize *len_out,
                                 MsEol *eol_out);
/* Bytes fed but not yet returned as a line. */
gsize ms_line_reader_pending(const MsLineReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsLineReader, ms_line_reader_free)

G_END_DECLS
