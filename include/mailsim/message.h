/* message.h - Internet messages (RFC 5322) and their MIME structure
 * (RFC 2045-2049), as the simulated user agents write them and the servers
 * carry them.
 *
 * An MsMessage is an ordered list of header fields plus the body bytes.  A
 * parsed message keeps every byte it was given - the raw text of each field
 * with its folding, the exact line endings (CRLF or bare LF), malformed
 * lines - so parsing and serialising an unchanged message gives back the
 * input byte for byte, and a relay that only prepends a Received: field
 * changes nothing else.  Problems found while parsing are warnings on the
 * message, not failures.
 *
 * The MIME layer (ms_mime_*) reads a message into a tree of parts; each
 * part is itself an MsMessage (a body part has the same header/body syntax,
 * RFC 2045 3).  ms_message_compose() writes new messages from a draft.
 */
#pragma once

#include <glib.h>
#include "mailsim/codec.h"

G_BEGIN_DECLS

/* RFC 5322 2.1.1: a line SHOULD be at most 78 characters and MUST be at most
 * 998, both without the CRLF. */
#define MS_MESSAGE_LINE_SHOULD 78
#define MS_MESSAGE_LINE_MUST 998

typedef struct MsMessage MsMessage;

/* ---- Life cycle --------------------------------------------------------- */

/* An empty message (no fields, empty body) whose new lines end in CRLF.
 * Transfer full. */
MsMessage *ms_message_new(void);
void ms_message_free(MsMessage *msg);
/* A deep copy (transfer full): a relay copies, then prepends Received:. */
MsMessage *ms_message_copy(const MsMessage *msg);

/* Parses a message.  Never loses a byte: ms_message_to_bytes() of the
 * unchanged result equals the input.  Lines may end in CRLF or bare LF.
 * Where the header section ends: at the first empty line; if there is
 * none, at the first line that is neither a field nor a continuation (a
 * warning), or at the end of the input.  Lines in the header section that
 * are not fields (no colon, a first line starting with white space) are
 * kept in place as nameless fields, each with a warning; so are fields with
 * white space before the colon (obsolete syntax, RFC 5322 4.5), 8-bit bytes,
 * or lines over 998 characters.
 * Fails (MS_ERROR_PARSE) only on empty input, on a NUL byte in the header
 * section, or when there is no well-formed header field at all and the
 * input does not start with the empty line (it is not a message).
 * Transfer full. */
MsMessage *ms_message_parse(const void *data, gsize len, GError **error);
/* The same on GBytes. */
MsMessage *ms_message_parse_bytes(GBytes *bytes, GError **error);
/* The unfolded value of the first field called `name` (case-insensitive) of
 * the message in `data`, or NULL when it has none or is not a message: what
 * ms_message_get() on ms_message_parse_bytes() gives, without building the
 * message (one pass over its header section). */
char *ms_message_peek_field(GBytes *data, const char *name);
/* The message in `data` with a field in front: what ms_message_prepend()
 * (folded: ms_message_prepend_folded()) and ms_message_to_bytes() give on
 * ms_message_parse_bytes(data), without building the message; NULL when
 * `data` is not a message. */
GBytes *ms_message_prepend_to_bytes(GBytes *data, const char *name, const char *value,
                                    gboolean folded);
/* ms_message_peek_field() for up to 4 names in the same pass over the header:
 * values_out[i] is what ms_message_peek_field(data, names[i]) gives
 * (transfer full).  FALSE when `data` is not a message. */
gboolean ms_message_peek_fields(GBytes *data, const char *const *names, guint n,
                                char **values_out);
/* ms_message_prepend_to_bytes() that learns, in its one pass over the header,
 * what ms_message_peek_field(data, want) gives (*want_out, transfer full;
 * want may be NULL) and the text's line ending (*eol_out, static; NULL when
 * `data` is not a message), so that a caller holding the result can prepend
 * again without another pass.  want_out and eol_out may be NULL. */
GBytes *ms_message_prepend_peek(GBytes *data, const char *name, const char *value,
                                gboolean folded, const char *want, char **want_out,
                                const char **eol_out);
/* ms_message_prepend_to_bytes() on a text known to be a message, eol being
 * the line ending ms_message_prepend_peek() gave for it or for the text it
 * was made from by prepending: no pass over the header.  eol NULL: not known, so the header
 * is read as ms_message_prepend_to_bytes() does. */
GBytes *ms_message_prepend_to_bytes_eol(GBytes *data, const char *name, const char *value,
                                        gboolean folded, const char *eol);

/* What the parser noticed, in input order: "line 3: no colon in a header
 * line; kept as it is".  Transfer none: an array of const char *. */
const GPtrArray *ms_message_warnings(const MsMessage *msg);

/* The serialised message (transfer full). */
GBytes *ms_message_to_bytes(const MsMessage *msg);
gsize ms_message_size(const MsMessage *msg);

/* The line ending new fields get: the one the first line of a parsed
 * message used, "\r\n" for ms_message_new(). */
const char *ms_message_eol(const MsMessage *msg);

/* ---- Header fields ------------------------------------------------------ */

guint ms_message_n_fields(const MsMessage *msg);
/* The field name as written, or NULL for a malformed line kept in place. */
const char *ms_message_field_name(const MsMessage *msg, guint index);
/* The value, unfolded (RFC 5322 2.2.3: CRLF before WSP removed), without
 * the leading white space after the colon and without the line end; for a
 * malformed line, the line itself.  Transfer none. */
const char *ms_message_field_value(const MsMessage *msg, guint index);
/* The field exactly as written: name, colon, value, folding and the final
 * line ending.  Transfer none; *len_out gets the length. */
const char *ms_message_field_raw(const MsMessage *msg, guint index, gsize *len_out);

/* The unfolded value of the first field with this name (case-insensitive),
 * or NULL.  Transfer none. */
const char *ms_message_get(const MsMessage *msg, const char *name);
/* Every such value, in order; never NULL (an empty vector if none).
 * Transfer full. */
char **ms_message_get_all(const MsMessage *msg, const char *name);
/* The first such value with RFC 2047 encoded-words decoded, or NULL.
 * Transfer full. */
char *ms_message_get_decoded(const MsMessage *msg, const char *name);

/* Fields given to these are written as "Name: value" and folded at white
 * space when longer than 78 characters (see ms_message_fold_field), using
 * ms_message_eol().  A CR or LF inside value is turned into a space, so a
 * value can never start a new field. */
void ms_message_add(MsMessage *msg, const char *name, const char *value);
/* Puts the field first: this is how each relay adds Received:
 * (RFC 5321 4.4). */
void ms_message_prepend(MsMessage *msg, const char *name, const char *value);
/* Puts a field first with its line breaks where the caller chose them:
 * each "\n" in value becomes the message's line ending and one space
 * (RFC 5322 2.2.3 folding), so a trace field breaks at a sensible place,
 * e.g. before its "; date".  A CR is turned into a space. */
void ms_message_prepend_folded(MsMessage *msg, const char *name, const char *value);
/* Replaces the first field with this name in place and removes the others;
 * appends when there is none. */
void ms_message_set(MsMessage *msg, const char *name, const char *value);
/* Removes every field with this name; returns how many were removed. */
guint ms_message_remove(MsMessage *msg, const char *name);

/* Writes "Name: value" folded for the wire: when the line is longer than
 * 78 characters it is broken before white space (eol then the white space,
 * RFC 5322 2.2.3), as late as the 78 limit allows; a word that does not fit
 * in 78 is left whole unless the line would pass 998, where it is broken
 * anyway (inserting eol SP, which changes the value: the hard limit wins).
 * No final line end.  Transfer full. */
char *ms_message_fold_field(const char *name, const char *value, const char *eol);

/* ---- Body and sizes ------------------------------------------------------- */

/* The body bytes (transfer full). */
GBytes *ms_message_body(const MsMessage *msg);
/* Replaces the body; a message that had no empty line gets one. */
void ms_message_set_body(MsMessage *msg, const void *data, gsize len);

/* Bytes of the header section including the empty line that ends it
 * (what IMAP calls RFC822.HEADER). */
gsize ms_message_header_bytes_count(const MsMessage *msg);
gsize ms_message_body_bytes_count(const MsMessage *msg);
/* Lines of the header section (folded lines and the empty line counted)
 * and of the body.  A last line without a line end counts as a line. */
guint ms_message_header_lines(const MsMessage *msg);
guint ms_message_body_lines(const MsMessage *msg);
/* The same count on any bytes. */
guint ms_message_count_lines(const void *data, gsize len);
/* The header section, the empty line and the first n body lines: the
 * answer to POP3 "TOP msg n" (RFC 1939 7).  Transfer full. */
GBytes *ms_message_top(const MsMessage *msg, guint n);

/* ---- The 7-bit rule (RFC 5321 2.4 / 4.5.3.1.6, RFC 2045 2.7) ---------- */

/* TRUE when every byte is 1..127 (no NUL, nothing with the high bit). */
gboolean ms_message_is_7bit(const void *data, gsize len);
/* The offset of the first byte that is not 7-bit, or -1. */
gssize ms_message_first_8bit(const void *data, gsize len);

/* ---- Dates and addresses ------------------------------------------------ */

/* RFC 5322 3.3 date-time for a simulated unix time in seconds, always in
 * +0000: "Mon, 01 Jan 2024 00:00:05 +0000".  Transfer full. */
char *ms_message_format_date(gint64 unix_seconds);
/* Room for any such date and its NUL (a year past 9999 is still written in
 * full). */
#define MS_MESSAGE_DATE_SIZE 64
/* The same date written to out, which has MS_MESSAGE_DATE_SIZE bytes, with
 * a NUL; returns its length.  For the callers that put it straight into a
 * field, every message composed or relayed having one. */
gsize ms_message_format_date_to(char *out, gint64 unix_seconds);
/* How a Received: field names a peer known by its IP address (RFC 5321
 * 4.4, 4.1.3): an address literal, "[192.0.2.1]" or "[IPv6:2001:db8::1]"
 * (an IPv4-mapped IPv6 address as its IPv4 one).  NULL when `peer` is not
 * an address (a simulated host's name), to be written as it is. */
char *ms_message_address_literal(const char *peer);
/* The addr-spec of a mailbox: "Bob <bob@hamburger.edu>" gives
 * "bob@hamburger.edu"; a bare address is returned trimmed.  Transfer full. */
char *ms_message_addr_spec(const char *mailbox);

/* ---- Composition ------------------------------------------------------------ */

typedef struct {
    const char *filename;     /* UTF-8; RFC 2231 encoded when not ASCII; NULL for
                               * a message/rfc822 part: shown inline */
    const char *content_type; /* "application/pdf"; NULL: application/octet-stream */
    GBytes *data;             /* sent as base64, but for message/rfc822: a whole
                               * message, sent as it is (7bit, or 8bit when it
                               * has 8-bit bytes; RFC 2046 5.2.1) */
} MsAttachment;

/* A message as a user agent's user wrote it.  Zero-initialise, then fill;
 * every pointer is borrowed.  Address lists are NULL-terminated and may be
 * NULL.  Strings are UTF-8. */
typedef struct {
    const char *from;               /* "Alice <alice@crepes.fr>" (required) */
    const char *const *to;
    const char *const *cc;
    const char *const *bcc;         /* envelope only: never written in the header */
    const char *subject;            /* NULL: no Subject field */
    gint64 date;                    /* simulated unix time, seconds */
    const char *message_id;         /* "<1.0@crepes.fr>"; NULL: no Message-ID */
    /* A reply's identification fields (RFC 5322 3.6.4): the msg-ids of
     * the original, and of the thread up to it; NULL: no such field. */
    const char *in_reply_to;
    const char *references;
    const char *text;               /* plain text, LF line ends (NULL: "") */
    const char *html;               /* optional: makes multipart/alternative */
    const MsAttachment *attachments;
    guint n_attachments;            /* > 0 makes multipart/mixed */
    const char *charset;            /* of the text parts; NULL: "UTF-8" */
    /* AUTO: 7bit when the text is ASCII, else quoted-printable; or
     * QUOTED_PRINTABLE, BASE64, 8BIT (needs 8BITMIME), 7BIT (error if the
     * text is not ASCII). */
    MsTransferEncoding text_encoding;
    /* Puts the UTF-8 text in as it is, with no MIME fields at all: the kind of
     * message the 7-bit rule of SMTP exists to stop. */
    gboolean raw_8bit;
} MsMessageDraft;

/* Writes a message from a draft, CRLF line ends throughout.  Fields, in
 * order: Date, From, To, Cc, Subject, Message-ID, In-Reply-To, References,
 * then (when MIME is
 * needed) MIME-Version, Content-Type, Content-Transfer-Encoding.  A plain
 * ASCII text with no charset given and no parts needs no MIME fields
 * (RFC 2045 5.2 defaults).  Non-ASCII subjects and display names become
 * RFC 2047 words.  Multipart boundaries are derived from the message id and
 * a counter, never random.  Fails (MS_ERROR_PARSE) with no From, with text
 * the charset cannot represent, or with MS_TE_7BIT for non-ASCII text.
 * Transfer full. */
MsMessage *ms_message_compose(const MsMessageDraft *draft, GError **error);
/* The same message as bytes (ms_message_to_bytes() of it), for a caller
 * that adds no fields of its own: the plain form, which nearly every
 * simulated user writes, goes straight into one buffer.  Transfer full. */
GBytes *ms_message_compose_bytes(const MsMessageDraft *draft, GError **error);

/* Attachments.  Whether a media type is a text type (case-insensitive). */
gboolean ms_mime_type_is_text(const char *content_type);
/* What a file becomes before base64: for text, its lines broken with CRLF
 * (RFC 2046 4.1.1 canonical form); anything else as it is.  Transfer full. */
GBytes *ms_mime_attachment_canonical(const char *content_type, GBytes *data);
/* The charset a text file's bytes are in, as far as they tell:
 * "us-ascii", "utf-8", or "unknown-8bit" (RFC 1428).  Static. */
const char *ms_mime_guess_charset(GBytes *data);

/* RFC 6152 3: the message converted to 7-bit MIME for a server without
 * 8BITMIME.  Each leaf part whose body has 8-bit bytes is re-encoded
 * (quoted-printable for text, base64 otherwise) and a multipart labelled
 * 8bit is relabelled 7bit; everything else is kept byte for byte.  A
 * message that is already 7-bit comes back unchanged.  Fails
 * (MS_ERROR_PARSE, with a sentence that completes "cannot be converted
 * because ...") when there is no MIME header to name the charset, when a
 * header line has 8-bit bytes, or for an 8-bit message/rfc822 part.
 * how_out (may be NULL) gets "quoted-printable", "base64" or both.
 * Transfer full. */
GBytes *ms_message_downgrade(GBytes *data, char **how_out, GError **error);

/* Every envelope recipient of a draft - To, Cc and Bcc - as addr-specs, in
 * that order, duplicates removed (for RCPT TO).  Transfer full. */
char **ms_message_draft_recipients(const MsMessageDraft *draft);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsMessage, ms_message_free)

/* ---- MIME structure (RFC 2045, 2046) ---------------------------------- */

typedef struct MsMimePart MsMimePart;

/* Reads the MIME structure of a message into a tree (transfer full).
 * Multipart bodies are split at their boundary (RFC 2046 5.1.1) and every
 * part parsed again, nested to any depth (up to a sane limit);
 * message/rfc822 bodies become one child.  Never fails: what cannot be
 * read (no boundary, a missing close delimiter, a bad part) becomes a
 * warning and the part is left a leaf. */
MsMimePart *ms_mime_parse(const MsMessage *msg);
void ms_mime_part_free(MsMimePart *part);

/* The part's own header and raw (still encoded) body.  Transfer none. */
const MsMessage *ms_mime_part_entity(const MsMimePart *part);
/* "text/plain", lower case; the RFC 2045 5.2 default (text/plain, or
 * message/rfc822 inside multipart/digest) when absent or unreadable. */
const char *ms_mime_part_type(const MsMimePart *part);
/* A Content-Type parameter (case-insensitive name, quotes removed), or
 * NULL.  Transfer none. */
const char *ms_mime_part_param(const MsMimePart *part, const char *name);
/* Content-Transfer-Encoding (7bit when absent, RFC 2045 6.1). */
MsTransferEncoding ms_mime_part_encoding(const MsMimePart *part);
/* Content-Disposition type ("attachment", "inline"), lower case, or NULL. */
const char *ms_mime_part_disposition(const MsMimePart *part);
/* Content-Disposition filename, else Content-Type name, decoded to UTF-8
 * (RFC 2231 and RFC 2047 forms), or NULL.  Transfer none. */
const char *ms_mime_part_filename(const MsMimePart *part);
/* The body with its transfer encoding undone (transfer full); for a
 * multipart, the raw body.  A base64 error is an MS_ERROR_PARSE error. */
GBytes *ms_mime_part_decode(const MsMimePart *part, GError **error);
/* Warnings for this part only ("multipart without a boundary ..."). */
const GPtrArray *ms_mime_part_warnings(const MsMimePart *part);

guint ms_mime_part_n_children(const MsMimePart *part);
const MsMimePart *ms_mime_part_child(const MsMimePart *part, guint index);

/* A short indented tree for transcripts, one line per part, e.g.
 *   multipart/mixed
 *     multipart/alternative
 *       text/plain; charset=UTF-8 (quoted-printable, 120 bytes)
 *       text/html; charset=UTF-8 (quoted-printable, 300 bytes)
 *     application/pdf (base64, 3000 bytes, 4104 encoded) attachment "a.pdf"
 * The byte counts are of the decoded content; "encoded" is the size on the
 * wire when it differs.  Lines end in "\n".  Transfer full. */
char *ms_mime_describe(const MsMimePart *root);

/* Helpers on one header value, e.g. a Content-Type:
 * the leading token lower-cased ("text/plain"), transfer full, or NULL; */
char *ms_mime_value_token(const char *value);
/* a parameter by case-insensitive name, quoted-strings unquoted and
 * RFC 2231 continuations / charset encodings decoded to UTF-8, or NULL.
 * Transfer full. */
char *ms_mime_value_param(const char *value, const char *name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsMimePart, ms_mime_part_free)

G_END_DECLS
