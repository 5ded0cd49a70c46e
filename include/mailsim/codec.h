/* codec.h - the content codecs of Internet mail: base64 and quoted-printable
 * (RFC 2045 6.7, 6.8; RFC 4648 4) and RFC 2047 encoded-words for header text.
 *
 * SMTP was built for 7-bit US-ASCII lines (RFC 5321 2.3.8, 4.5.3.1.6); these
 * codecs are how arbitrary bytes and non-ASCII text still travel through it.
 * Every function here is pure: bytes in, bytes out, no state.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Content-Transfer-Encoding values (RFC 2045 6.1), with their printable
 * names.  MS_TE_AUTO is only meaningful in a draft ("choose for me");
 * MS_TE_UNKNOWN is what a parser reports for a name it does not know
 * (RFC 2045 6.4: treat such a body as application/octet-stream). */
#define MS_TRANSFER_ENCODINGS(X)            \
    X(MS_TE_AUTO, "auto")                   \
    X(MS_TE_7BIT, "7bit")                   \
    X(MS_TE_8BIT, "8bit")                   \
    X(MS_TE_BINARY, "binary")               \
    X(MS_TE_QUOTED_PRINTABLE, "quoted-printable") \
    X(MS_TE_BASE64, "base64")               \
    X(MS_TE_UNKNOWN, "unknown")

#define MS_TE_ENUM_(e, s) e,
typedef enum { MS_TRANSFER_ENCODINGS(MS_TE_ENUM_) MS_TE_N_ENCODINGS } MsTransferEncoding;
#undef MS_TE_ENUM_

const char *ms_transfer_encoding_name(MsTransferEncoding enc);
/* Case-insensitive, surrounding whitespace ignored; NULL or an unknown name
 * gives MS_TE_UNKNOWN ("auto" is not accepted here). */
MsTransferEncoding ms_transfer_encoding_from_name(const char *name);

/* ---- base64 (RFC 2045 6.8, RFC 4648 4) ------------------------------- */

/* The RFC 2045 limit: encoded lines are at most 76 characters. */
#define MS_BASE64_LINE 76

/* Encodes len bytes.  wrap=TRUE gives a MIME body: lines of 76 characters,
 * every line (the last one too) ended by CRLF; empty input gives "".
 * wrap=FALSE gives one unbroken string (as inside an RFC 2047 word).
 * Returns a NUL-terminated ASCII string (transfer full). */
char *ms_base64_encode(const void *data, gsize len, gboolean wrap);

/* Decodes base64 text.  White space (SP, HT, CR, LF) anywhere is ignored
 * (RFC 2045 6.8 line breaks); any other character outside the alphabet,
 * misplaced padding, or a length that is not a whole number of quanta is
 * an MS_ERROR_PARSE error naming the offending offset.  Transfer full. */
GBytes *ms_base64_decode(const char *text, gsize len, GError **error);

/* The size of ms_base64_encode(n bytes, wrap): 4 * ceil(n / 3) characters,
 * plus 2 (CRLF) per started 76-character line when wrap is TRUE. */
gsize ms_base64_encoded_size(gsize n, gboolean wrap);

/* ---- quoted-printable (RFC 2045 6.7) --------------------------------- */

/* Encodes len bytes.  binary=FALSE (text): a LF or CRLF in the input is a
 * hard line break and comes out as CRLF; binary=TRUE: CR and LF are encoded
 * as =0D / =0A like any other byte.  "=", bytes outside 33..126 (except SP
 * and HT inside a line) and SP/HT at the end of a line are written as =XX
 * (upper-case hex); lines longer than 76 characters get soft line breaks
 * ("=" CRLF).  Returns a NUL-terminated ASCII string (transfer full). */
char *ms_qp_encode(const void *data, gsize len, gboolean binary);

/* Decodes quoted-printable text.  Soft line breaks ("=" before a line end,
 * with optional white space between) are removed; =XX (either case of hex)
 * becomes the byte; trailing white space on a line is dropped (rule 3);
 * hard line breaks are kept exactly as they appear (CRLF or LF).  Decoding
 * is robust rather than strict (RFC 2045 6.7 note 2): an "=" not followed by
 * two hex digits or a line end is kept literally; *bad_out (may be NULL)
 * counts such places.  Transfer full. */
GBytes *ms_qp_decode(const char *text, gsize len, guint *bad_out);

/* ---- RFC 2047 encoded-words -------------------------------------------- */

/* Which encoding an encoded-word uses (RFC 2047 4). */
typedef enum {
    MS_EW_AUTO = 0, /* whichever of B and Q gives the shorter text */
    MS_EW_B,        /* base64 (RFC 2047 4.1) */
    MS_EW_Q,        /* "Q", quoted-printable-like (RFC 2047 4.2) */
} MsEwEncoding;

/* The RFC 2047 2 limit on one encoded-word, delimiters included. */
#define MS_EW_MAX 75

/* Encodes a UTF-8 header text (an unstructured value such as a Subject, or
 * a display name) as one or more =?UTF-8?B?...?= / =?UTF-8?Q?...?= words.
 * Each word is at most 75 characters and holds whole characters only
 * (RFC 2047 5 (3)); words are separated by CRLF SP (folding), so that no
 * line holding a word exceeds 76 characters (RFC 2047 2).  `used` is how
 * many characters the first line already holds (9 for "Subject: "), so the
 * first word is shortened to fit.  Invalid UTF-8 is replaced (U+FFFD) first.
 * Transfer full. */
char *ms_rfc2047_encode(const char *utf8, MsEwEncoding enc, gsize used);

/* Decodes every encoded-word in a header value (folded or unfolded) into
 * UTF-8.  White space between two adjacent encoded-words is dropped
 * (RFC 2047 6.2); a word is recognised only when delimited by white space,
 * "(" / ")" or the ends of the value (RFC 2047 5).  Charsets are converted
 * with iconv; a word whose charset or encoding cannot be decoded is kept as
 * written (RFC 2047 6.3).  Folding line breaks are unfolded.  The result is
 * valid UTF-8 (stray 8-bit bytes become U+FFFD).  Transfer full. */
char *ms_rfc2047_decode(const char *value);

G_END_DECLS
