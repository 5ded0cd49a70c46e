/* http-private.h - what the HTTP server, client and common files share.
 *
 * Both sides read the same message syntax (RFC 9112): a start line, header
 * field lines, an empty line, then content whose length the header section
 * decides (section 6.3).  The byte-level readers here - one line, one
 * field line, the framing of the content, the chunked transfer coding -
 * each return 1 (complete), 0 (need more input) or a negative error, in the
 * manner of a Dovecot parser, so the two engines differ only in what they
 * do with a complete message.  Content is not line-framed, so these readers
 * work on a plain byte buffer instead of the line reader of proto.h.
 */
#pragma once

#include "mailsim/http.h"

G_BEGIN_DECLS

/* Results of the readers. */
#define MS_HTTP_MORE 0
#define MS_HTTP_DONE 1
#define MS_HTTP_TOO_LONG (-1)
#define MS_HTTP_BAD (-2)
#define MS_HTTP_TOO_LARGE (-3)

/* How the content of a message is delimited (RFC 9112 6.3). */
#define MS_HTTP_FRAMINGS(X)                                                   \
    X(MS_HTTP_FRAME_NONE, "none")                                             \
    X(MS_HTTP_FRAME_LENGTH, "content-length")                                 \
    X(MS_HTTP_FRAME_CHUNKED, "chunked")                                       \
    X(MS_HTTP_FRAME_UNTIL_CLOSE, "until-close")

#define MS_HTTP_FRAME_ENUM_(e, name) e,
typedef enum { MS_HTTP_FRAMINGS(MS_HTTP_FRAME_ENUM_) MS_HTTP_N_FRAMINGS } MsHttpFraming;
#undef MS_HTTP_FRAME_ENUM_

/* Takes one line off the front of in: it ends at CRLF, or at a bare LF
 * (RFC 9112 2.2 lets a recipient accept one).  *line_out (transfer full,
 * NUL-terminated) is the line without its ending.  MS_HTTP_TOO_LONG when
 * more than max octets come without an ending (the buffer is left as it
 * is: the caller gives up on the connection). */
int ms_http_take_line(GByteArray *in, gsize max, char **line_out, gsize *len_out);

/* RFC 9110 5.6.2: tchar. */
gboolean ms_http_is_tchar(guchar c);
gboolean ms_http_is_token(const char *text, gsize len);

/*   field-line = field-name ":" OWS field-value OWS     (RFC 9112 5)
 * Adds the field to headers.  A line starting with white space continues
 * the previous field (obs-fold, RFC 9112 5.2): with unfold it is joined to
 * it with one SP (what a user agent must do), otherwise it is an error (a
 * server rejects it).  *why_out (static) says what was wrong. */
int ms_http_parse_field_line(const char *line, gsize len, GPtrArray *headers, gboolean unfold,
                             const char **why_out);

/* Content-Length (RFC 9110 8.6): every field and every list member must be
 * the same 1*DIGIT.  FALSE with *why_out when not; *present_out tells
 * whether there was one. */
gboolean ms_http_content_length(const GPtrArray *headers, gboolean *present_out,
                                guint64 *length_out, const char **why_out);
/* TRUE if a Connection field lists token (case-insensitive, RFC 9110 7.6.1). */
gboolean ms_http_connection_has(const GPtrArray *headers, const char *token);
/* The codings of the Transfer-Encoding fields, lower-cased, in order
 * (transfer full; an empty array when there is none). */
GPtrArray *ms_http_transfer_codings(const GPtrArray *headers);

/* The chunked transfer coding (RFC 9112 7.1), decoded incrementally. */
typedef struct {
    int state;          /* private to http_common.c */
    guint64 remaining;  /* octets of the current chunk still to come */
    GByteArray *body;   /* the decoded content so far */
} MsHttpChunked;

void ms_http_chunked_init(MsHttpChunked *ch);
void ms_http_chunked_clear(MsHttpChunked *ch);
/* Consumes what it can of in.  MS_HTTP_DONE once the last chunk and the
 * trailer section are read (trailer fields are discarded), MS_HTTP_MORE,
 * MS_HTTP_BAD (*why_out) or MS_HTTP_TOO_LARGE when the content passes
 * max_body. */
int ms_http_chunked_feed(MsHttpChunked *ch, GByteArray *in, gsize max_body,
                         const char **why_out);

/* Appends "name: value" to out with its header note. */
void ms_http_emit_field(GPtrArray *out, const char *phase, const char *name, const char *value);
/* Appends the content as lines: split after each LF, each line keeping the
 * ending it had ("\r\n" or "\n"; "" for a last line without one), so the
 * lines add up to the content byte for byte.  Content that is not text
 * (NUL octets, or not UTF-8) goes as one binary line (proto.h) noted
 * "http.body.binary", its stand-in naming the size and type (the
 * Content-Type value, or NULL). */
void ms_http_emit_body(GPtrArray *out, const char *phase, GBytes *body, const char *note,
                       const char *type);
/* TRUE for a field the engines write themselves and drop when given. */
gboolean ms_http_is_framing_field(const char *name);

/* "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3): FALSE if malformed. */
gboolean ms_http_parse_version(const char *text, gsize len, guint *major_out, guint *minor_out);

MsHttpEvent *ms_http_event_new(MsHttpEventKind kind);

G_END_DECLS
