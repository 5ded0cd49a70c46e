/* proto-private.h - the bodies of the line reader and the output, for the
 * engines of sim/proto that keep theirs inside their own struct, and what
 * the engines share inline.
 *
 * Every session makes an engine, and an engine made in one block with its
 * reader and output costs two allocations and two frees fewer than one
 * that points to them.  Elsewhere both stay opaque (mailsim/proto.h).
 */
#pragma once

#include "mailsim/proto.h"

struct MsLineReader {
    char *buf;
    gsize len; /* octets in buf */
    gsize cap; /* its size */
    gsize max_len;
    gsize start;
    gsize scan;
    gboolean overflow;
};

/* A reader in the caller's storage: init it before use and release it
 * after (what ms_line_reader_new() and ms_line_reader_free() do around
 * their own block). */
void ms_line_reader_init(MsLineReader *reader, gsize max_len);
void ms_line_reader_release(MsLineReader *reader);

/* Most steps say a reply or a command or a few: their lines fit in the
 * first block, which is part of the output itself (output.c says more). */
#define MS_PROTO_OUTPUT_FIRST_SIZE 512

/* The slots of the output's line array that come with it: a session's
 * longest step (a message's text, an EHLO reply and its extensions, a
 * pipelined group) has more than eight lines as a rule. */
#define MS_PROTO_OUTPUT_FIRST_ROOM 32

struct MsProtoOutput {
    /* MsProtoLine*, in the blocks or in `big`: only a GPtrArray's public
     * header (len and pdata), pointing at `slots` until a step has more
     * lines than they hold, then at a larger array of its own (output.c
     * says why). */
    GPtrArray lines;
    guint room;        /* slots lines.pdata has: see add_line() */
    struct MsProtoBlock *blocks; /* the blocks after `first`, a chain (output.c); NULL
                                  * before one is needed */
    GPtrArray *big;    /* lines longer than a block, each its own allocation; NULL before */
    char *at;          /* the block being filled */
    gsize cap;         /* its size */
    gsize used;        /* octets of it taken */
    struct MsProtoBlock *block; /* which: NULL is `first` */
    union {
        char first[MS_PROTO_OUTPUT_FIRST_SIZE];
        guint64 align;
    } u;
    gpointer slots[MS_PROTO_OUTPUT_FIRST_ROOM];
};

/* An output in the caller's storage, as a reader above. */
void ms_proto_output_init(MsProtoOutput *out);
void ms_proto_output_release(MsProtoOutput *out);

/* ASCII case-insensitive: do the first n bytes of a and b match, or do
 * they match up to a NUL that ends both?  As g_ascii_strncasecmp () == 0,
 * but inline: SMTP verbs and keywords and IMAP's words are compared for
 * every command and response, where the library call cost several times
 * the comparison, most of which ends at the first octet.  Octets that are
 * equal (as they are in most words compared, written as the RFC writes
 * them) are not folded: only two that differ are, and then they match
 * only as the two cases of one letter. */
static inline gboolean ms_proto_ascii_caseeq(const char *a, const char *b, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        guchar x = (guchar) a[i], y = (guchar) b[i];

        if (x != y) {
            guchar lower = (guchar) (x | 0x20);

            if (lower != (y | 0x20) || lower < 'a' || lower > 'z')
                return FALSE;
        } else if (x == '\0') {
            return TRUE;
        }
    }
    return TRUE;
}

/* Grows *buf, of *cap octets, to hold need octets: its size doubled,
 * from min at least, until it does.  For the engines' byte buffers that a
 * session appends to (a message's text, a multi-line reply, a fetched
 * message) and reuses; the caller calls it only when need > *cap, so an
 * append that fits costs one comparison. */
static inline void ms_proto_buf_grow(char **buf, gsize *cap, gsize need, gsize min)
{
    gsize size = MAX(*cap * 2, min);

    while (size < need)
        size *= 2;
    *buf = g_realloc(*buf, size);
    *cap = size;
}

/* A number as g_ascii_string_to_unsigned() takes it (decimal digits only,
 * at least one, no sign or space, at most max), without its library
 * calls: every POP3 scan listing line and IMAP response code has one. */
static inline gboolean ms_proto_parse_uint(const char *s, guint64 max, guint64 *out)
{
    if (*s == '\0')
        return FALSE;
    guint64 v = 0;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return FALSE;
        guint64 d = (guint64) (*s - '0');
        if (v > (max - d) / 10)
            return FALSE;
        v = v * 10 + d;
    }
    *out = v;
    return TRUE;
}
