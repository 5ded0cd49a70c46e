/* transcript-private.h - what the two files that make a transcript's items
 * share: the builder, with each connection's state in it, and its helpers
 * that add items, notes and phase headings (transcript_items.c), which the
 * protocol lines (transcript_lines.c) are added with.  Their names say
 * ms_tb_ (MsTb): the transcript's builder, as the diagram's say ms_dg_.
 */
#pragma once

#include "report/report-private.h"

/* Where a line stands in a message text (SMTP DATA, POP3 RETR, IMAP
 * literal): RFC 5322 header, body, or a MIME part's boundary and headers. */
typedef enum {
    MS_TB_TEXT_OUT,
    MS_TB_TEXT_HEADER,
    MS_TB_TEXT_BODY,
    MS_TB_TEXT_PART_HEADER,
} MsTbText;

/* What a line is to the leaving out of long bodies. */
typedef enum {
    MS_TB_BODY_NONE,      /* not a body line */
    MS_TB_BODY_CONTENT,   /* may be left out */
    MS_TB_BODY_STRUCTURE, /* boundary, part header, separator: always shown */
} MsTbBody;

/* What the builder knows of one connection. */
typedef struct {
    MsReportConn *conn;
    const char *phase;     /* last phase heading printed */
    const char *last_note; /* note key of its last line */
    MsTbText text;
    gboolean teardown;     /* the teardown heading is printed */
    gboolean client_acked; /* the client's handshake ACK has been seen */
    gboolean data_noted;   /* a data segment has been annotated */
    gboolean ack_noted;    /* a plain ACK has been annotated */
    /* SMTP: the RCPT TO lines of the transaction (MsItem*, with their
     * addresses), and the To: and Cc: lines of its message text, to tell
     * a Bcc recipient from the others once the header is over. */
    GPtrArray *rcpt_items;
    GPtrArray *rcpt_addrs; /* char* */
    GString *shown_to;
    gboolean in_to_field;  /* the header line being read is To: or Cc: */
} MsTbConn;

/* The items being built, in the order they are added, with what building
 * them needs. */
typedef struct {
    const MsReportOptions *options;
    const char *lang;
    MsReportItems *out; /* its blocks and strings hold the items */
    GPtrArray *items;   /* MsItem* */
    GArray *body;       /* MsTbBody per item */
    GPtrArray *conns;   /* MsReportConn*, by id */
    GPtrArray *states;  /* MsTbConn*, by id */
    /* Where early_heading's last look ahead stopped (0: none yet): the
     * events of one instant share it, so the trace is walked once. */
    guint64 ahead;
    /* Note key -> its text in lang, or NULL, by the key's address (the
     * trace's pool keeps one copy of each key): finding a key's text
     * searches the engines' tables, and nearly every line has a note. */
    GHashTable *note_texts;
} MsTbBuilder;

/* transcript_items.c: the builder's helpers.  An item added is the last
 * of the list; ms_tb_add() takes its text (transfer full) and keeps it
 * in the items' pool, ms_tb_add_borrowed() points to a text that
 * outlives the items. */
MsItem *ms_tb_add_borrowed(MsTbBuilder *b, MsItemKind kind, const MsTraceRecord *r,
                           const MsReportConn *conn, MsTime time, const char *text);
MsItem *ms_tb_add(MsTbBuilder *b, MsItemKind kind, const MsTraceRecord *r,
                  const MsReportConn *conn, MsTime time, char *text);
/* Keeps a text in the items' pool (one copy of each) and frees it
 * (transfer full); the pool's copy is returned (transfer none). */
const char *ms_tb_keep_text(MsReportItems *ri, char *text);
/* Adds a note under an item: ms_tb_push_note() a sentence that outlives
 * the items or is kept in their pool; ms_tb_add_note() the text of a
 * note key in the builder's language (nothing without options->notes, or
 * for a key with no text). */
void ms_tb_push_note(MsItem *item, const char *text);
void ms_tb_add_note(MsTbBuilder *b, MsItem *item, const char *key);
/* The state of connection id, or NULL when the trace never opened it. */
MsTbConn *ms_tb_state_of(MsTbBuilder *b, guint id);
/* The state of the record's connection, made when it is new, and named
 * after the record's hosts and ports. */
MsTbConn *ms_tb_open_conn(MsTbBuilder *b, const MsTraceRecord *r);
/* A phase heading on the connection, which is now in that phase. */
void ms_tb_heading(MsTbBuilder *b, MsTbConn *s, const char *phase, MsTime time);
/* The arrow of what the side dir sent. */
MsArrow ms_tb_arrow_of(MsDir dir);

/* transcript_lines.c: a protocol line, its phase heading if it opens one,
 * and its notes. */
void ms_tb_line_record(MsTbBuilder *b, const MsTraceRecord *r);
