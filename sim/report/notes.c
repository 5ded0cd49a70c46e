/* notes.c - the words of the outputs: phase names and the annotation of
 * each protocol step, keyed by the engines' phase and note keys.
 */
#include <string.h>

#include "report/report-private.h"

typedef struct {
    const char *key;
    const char *en;
    const char *zh;
} Words;

/* The lecture notes' terms: 握手 / 消息传输 / 结束; 特许阶段 / 事务处理阶段 / 更新阶段. */
static const Words phases[] = {
    { "tcp.handshake", "TCP handshake", "TCP 三次握手" },
    { "tcp.teardown", "TCP teardown", "TCP 连接释放" },
    { "smtp.handshake", "SMTP handshake", "SMTP 握手（问候）" },
    { "smtp.transfer", "SMTP message transfer", "SMTP 消息传输" },
    { "smtp.closure", "SMTP closure", "SMTP 结束" },
    { "pop3.authorization", "POP3 authorization", "POP3 特许阶段" },
    { "pop3.transaction", "POP3 transaction", "POP3 事务处理阶段" },
    { "pop3.update", "POP3 update", "POP3 更新阶段" },
};

static const char *lookup(const Words *table, gsize n, const char *key, const char *lang)
{
    if (key == NULL)
        return NULL;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(table[i].key, key) == 0)
            return (lang != NULL && strcmp(lang, "zh") == 0) ? table[i].zh : table[i].en;
    }
    return NULL;
}

const char *ms_report_phase_text(const char *key, const char *lang)
{
    return lookup(phases, G_N_ELEMENTS(phases), key, lang);
}

const char *ms_report_note_text(const char *key, const char *lang)
{
    /* Annotations come with the transcript issue; until then none are printed. */
    (void) key;
    (void) lang;
    return NULL;
}

void ms_report_append_segment(GString *out, const MsTraceRecord *r)
{
    GString *flags = g_string_new(NULL);
    static const struct {
        guint bit;
        const char *name;
    } names[] = {
        { MS_TCP_SYN, "SYN" }, { MS_TCP_FIN, "FIN" }, { MS_TCP_RST, "RST" },
        { MS_TCP_PSH, "PSH" }, { MS_TCP_ACK, "ACK" },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if ((r->flags & names[i].bit) != 0) {
            if (flags->len > 0)
                g_string_append_c(flags, '+');
            g_string_append(flags, names[i].name);
        }
    }
    g_string_append_printf(out, "[%u] %s:%u \u2192 %s:%u TCP %s seq=%u ack=%u len=%u", r->conn,
                           r->src, r->src_port, r->dst, r->dst_port,
                           flags->len > 0 ? flags->str : "-", r->seq, r->ack, r->len);
    if (r->retransmit > 0)
        g_string_append_printf(out, " (retransmission %u)", r->retransmit);
    if (r->kind == MS_TRACE_SEGMENT_LOST)
        g_string_append_printf(out, " LOST%s%s", r->detail != NULL ? ": " : "",
                               r->detail != NULL ? r->detail : "");
    g_string_free(flags, TRUE);
}
