/* trace.h - the trace bus: every observable step of a run, as typed records.
 *
 * Nothing in the simulator writes an output file directly.  Agents, the TCP
 * model and the servers emit records here; the transcript, the diagram, the
 * summary and the JSON trace are all built from the recorded log after the
 * run (and live subscribers may watch it as it grows).  The trace owns
 * copies of every string it is given.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"

G_BEGIN_DECLS

/* X-macro: enum constant, printable name (used in trace.json). */
#define MS_TRACE_KINDS(X)                         \
    X(MS_TRACE_SCENARIO, "scenario")              \
    X(MS_TRACE_ACTION, "action")                  \
    X(MS_TRACE_CONN_OPEN, "conn-open")            \
    X(MS_TRACE_CONN_ESTABLISHED, "conn-established") \
    X(MS_TRACE_CONN_REFUSED, "conn-refused")      \
    X(MS_TRACE_CONN_CLOSE, "conn-close")          \
    X(MS_TRACE_CONN_ABORT, "conn-abort")          \
    X(MS_TRACE_SEGMENT_SENT, "segment-sent")      \
    X(MS_TRACE_SEGMENT_RECEIVED, "segment-received") \
    X(MS_TRACE_SEGMENT_LOST, "segment-lost")      \
    X(MS_TRACE_LINE, "line")                      \
    X(MS_TRACE_PHASE, "phase")                    \
    X(MS_TRACE_QUEUE, "queue")                    \
    X(MS_TRACE_MAILBOX, "mailbox")                \
    X(MS_TRACE_MESSAGE, "message")                \
    X(MS_TRACE_LINK, "link")                      \
    X(MS_TRACE_ERROR, "error")                    \
    X(MS_TRACE_STORE, "store")

#define MS_TRACE_ENUM_(e, s) e,
typedef enum { MS_TRACE_KINDS(MS_TRACE_ENUM_) MS_TRACE_N_KINDS } MsTraceKind;
#undef MS_TRACE_ENUM_

const char *ms_trace_kind_name(MsTraceKind kind);

/* Which side of a connection produced a line. */
typedef enum {
    MS_DIR_NONE = 0,
    MS_DIR_CLIENT, /* "C:" the side that opened the connection */
    MS_DIR_SERVER, /* "S:" the side that accepted it */
} MsDir;

/* TCP flags carried by segment records. */
enum {
    MS_TCP_SYN = 1 << 0,
    MS_TCP_ACK = 1 << 1,
    MS_TCP_FIN = 1 << 2,
    MS_TCP_RST = 1 << 3,
    MS_TCP_PSH = 1 << 4,
};

/* One record, as readers see it.  Fields that do not apply to a kind are
 * 0 / NULL; times that are not known are -1.  Strings are owned by the
 * trace.  The trace stores records in a compact form of its own (trace.c)
 * and decodes them into one of these on access. */
typedef struct {
    guint64 id;          /* position in the log, from 0 */
    MsTime time;         /* when it happened (for a line: when it was sent) */
    MsTime arrival;      /* line/segment: when the peer received it, or -1 */
    gint64 count;        /* queue / mailbox / ...: e.g. queue length after the change */

    const char *protocol;/* "SMTP", "POP3", "TCP", ... */
    const char *src;     /* host that sent it / acted */
    const char *dst;     /* host it went to */
    const char *text;    /* the line as sent, without the trailing CRLF; store: the
                          * Message-ID (append), the new name (rename) */
    union {
        const char *eol;    /* line: how it ended: "\r\n", "\n", "\r" or "" */
        const char *folder; /* store: the IMAP folder (for a rename, its old name) */
    };
    const char *phase;   /* protocol phase key, e.g. "smtp.handshake" */
    const char *note;    /* annotation key, e.g. "smtp.reply.354" */
    /* queue / mailbox / message / action / error */
    const char *subject; /* mailbox owner, queue name, message id, ... */
    const char *detail;  /* free text: what happened */

    guint conn;          /* connection id (from 1), 0 when none */
    /* segments */
    union {
        guint32 seq;     /* segments */
        guint32 uid;     /* store: the message's UID in its folder */
    };
    guint32 ack;
    guint32 len;         /* payload bytes */
    guint16 src_port;
    guint16 dst_port;
    guint16 retransmit;  /* 0 for a first transmission */
    guint8 flags;        /* segments: MS_TCP_*; store: MS_IMAP_FLAG_* */
    MsTraceKind kind : 6;
    MsDir dir : 2;       /* line/segment: which side sent it */
} MsTraceRecord;

G_STATIC_ASSERT(MS_TRACE_N_KINDS <= 32);
G_STATIC_ASSERT(sizeof(void *) != 8 || sizeof(MsTraceRecord) == 128);

typedef void (*MsTraceFn)(const MsTraceRecord *record, gpointer user_data);

MsTrace *ms_trace_new(void);
void ms_trace_free(MsTrace *trace);

/* Copies the record (and its strings) into the log, gives it an id and tells
 * every subscriber.  Returns the new record's id. */
guint64 ms_trace_emit(MsTrace *trace, const MsTraceRecord *record);
/* What every line and segment of one direction of a connection repeats:
 * a record's conn, protocol, src, dst, src_port and dst_port, interned once.
 * A sender that emits many records of one context (a connection's lines,
 * its segments) asks for its handle once instead of having the trace find
 * it again for every record. */
typedef guint32 MsTraceContext;
MsTraceContext ms_trace_context(MsTrace *trace, const MsTraceRecord *record);
/* ms_trace_emit() of a record whose conn, protocol, src, dst and ports are
 * those of ctx: they are taken from ctx, not read from the record. */
guint64 ms_trace_emit_in(MsTrace *trace, MsTraceContext ctx, const MsTraceRecord *record);
/* A line's (phase, note) pair, interned: a sender that logs many lines
 * asks for it once for lines that share it. */
typedef guint32 MsTraceAnn;
MsTraceAnn ms_trace_annotation(MsTrace *trace, const char *phase, const char *note);
/* The code of a line ending for ms_trace_emit_line(): below
 * MS_TRACE_EOL_OTHER for NULL, "\r\n", "\n", "\r" and "", and
 * MS_TRACE_EOL_OTHER for any other ending, which only ms_trace_emit() and
 * ms_trace_emit_in() log. */
#define MS_TRACE_EOL_OTHER 5u
/* Inline: a session asks for every line it sends, and a call costs more
 * than the few bytes it reads. */
static inline guint ms_trace_eol_code(const char *eol)
{
    if (eol == NULL)
        return 0;
    if (eol[0] == '\0')
        return 4;
    if (eol[0] == '\r' && eol[1] == '\n' && eol[2] == '\0')
        return 1;
    if ((eol[0] == '\n' || eol[0] == '\r') && eol[1] == '\0')
        return eol[0] == '\n' ? 2 : 3;
    return MS_TRACE_EOL_OTHER;
}
/* transfer full: the len octets at text as a line's record keeps them.  A
 * record's text is a C string and cannot hold a NUL, which a real client
 * may send: each NUL becomes the four characters \x00, as the transcript
 * shows other control octets (docs/trace-format.md); every other octet is
 * kept as it is. */
char *ms_trace_line_text(const char *text, gsize len);
/* ms_trace_emit_in() of a line of ctx with no arrival yet, no length of its
 * own and nothing else set: text is text_len bytes long, ann its pair and
 * eol the code of its ending.  The caller has measured and found all of
 * them, and the trace need not again.  A NUL among the text_len octets is
 * kept as ms_trace_line_text() says. */
guint64 ms_trace_emit_line(MsTrace *trace, MsTraceContext ctx, MsTime time, MsDir dir,
                           const char *text, gsize text_len, MsTraceAnn ann, guint eol);
/* ms_trace_emit_in() of a segment of ctx (kind: sent, received or lost)
 * with no arrival yet and no detail, which is all the TCP model logs for
 * most segments: flags are its MS_TCP_* flags, len its payload's bytes and
 * retransmit 0 for a first transmission.  No record to fill, and the trace
 * checks the numbers against its compact forms once. */
guint64 ms_trace_emit_segment(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind, MsTime time,
                              MsDir dir, guint flags, guint32 seq, guint32 ack, guint32 len,
                              guint retransmit);
/* ms_trace_emit_in() of an event of ctx (any kind but a line, a segment
 * or a store change) with no arrival and nothing set but its time, note,
 * subject, text, detail and count: detail is detail_len bytes long, as its
 * caller measured it while putting it together, and the trace need not
 * measure it again. */
guint64 ms_trace_emit_event(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind, MsTime time,
                            const char *note, const char *subject, const char *text,
                            const char *detail, gsize detail_len, gint64 count);
/* The longest event sentence, with its NUL, that ms_trace_sentence_room()
 * makes room for. */
#define MS_TRACE_SENTENCE_ROOM 256u
/* Room for an event's sentence of up to MS_TRACE_SENTENCE_ROOM bytes with
 * its NUL, where the trace will keep it: a caller that formats the
 * sentence there and logs it with ms_trace_emit_sentence() saves the
 * trace a copy.  The room is the caller's until it asks for room again.
 * A sentence kept so is not looked for among the strings the trace has
 * already: a run's sentences name its messages, people and counts, and
 * hardly ever repeat. */
char *ms_trace_sentence_room(MsTrace *trace);
/* ms_trace_emit_event() whose detail is the sentence of detail_len bytes
 * (and its NUL) the caller has just written into ms_trace_sentence_room(). */
guint64 ms_trace_emit_sentence(MsTrace *trace, MsTraceContext ctx, MsTraceKind kind,
                               MsTime time, const char *note, const char *subject,
                               const char *text, gsize detail_len, gint64 count);
/* Fills in the arrival time of a record already logged (lines, segments). */
void ms_trace_set_arrival(MsTrace *trace, guint64 id, MsTime arrival);

guint ms_trace_subscribe(MsTrace *trace, MsTraceFn fn, gpointer user_data);
void ms_trace_unsubscribe(MsTrace *trace, guint handle);

guint64 ms_trace_length(const MsTrace *trace);
/* Decodes record id into *buf and returns buf.  The strings it points to are
 * the trace's, valid until the trace is freed; buf itself is the caller's,
 * so a reader that keeps a record beyond its use pins it instead. */
const MsTraceRecord *ms_trace_get(const MsTrace *trace, guint64 id, MsTraceRecord *buf);
/* transfer none: a copy of record id that stays put until the trace is
 * freed, the same copy however often it is pinned.  Each pinned record
 * costs a whole MsTraceRecord: for the records a reader keeps, not for
 * walking the log. */
const MsTraceRecord *ms_trace_pin(const MsTrace *trace, guint64 id);

/* Bytes the trace holds outside the malloc heap (the slabs a long run's
 * records live in: of those of ordinary pages, the pages records have
 * reached; the huge-page slabs whole), for measurements of memory.  Where
 * the kernel does not back a huge-page slab with a huge page, it holds only
 * the pages reached, and this is an upper bound by up to 2 MB. */
gsize ms_trace_mapped_bytes(const MsTrace *trace);

/* Interns a string in the trace's string pool (transfer none). */
const char *ms_trace_intern(MsTrace *trace, const char *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsTrace, ms_trace_free)

G_END_DECLS
