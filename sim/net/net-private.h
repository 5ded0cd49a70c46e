/* net-private.h - what net.c (hosts, links, packets) and tcp.c (connections)
 * share and nobody else sees.
 *
 * Every event the network schedules goes through a "task" the net keeps a list
 * of, so that freeing the net cancels whatever is still pending in the
 * simulator's queue (the simulator outlives the net and must never call back
 * into freed memory).
 */
#pragma once

#include "mailsim/net.h"

G_BEGIN_DECLS

/* ---- Tasks: events owned by the net ---------------------------------- */
typedef struct MsNetTask MsNetTask;

/* Schedules fn(data) at `when` (clamped to now).  If the net is freed first,
 * the event is cancelled and destroy(data) is called (when not NULL). The
 * task is gone once fn runs; do not cancel it after that. (transfer none) */
MsNetTask *ms_net_task_at(MsNet *net, MsTime when, MsEventFn fn, gpointer data,
                          GDestroyNotify destroy);
/* Cancels a pending task without calling its destroy notify. */
void ms_net_task_cancel(MsNet *net, MsNetTask *task);

/* How many hosts the route searches have settled so far: their work, for
 * the tests that check it grows linearly with the hosts. */
guint64 ms_net_route_settled(const MsNet *net);

/* ---- The packet layer, with the reason for a loss ---------------------- */

/* where: the host before the hop that lost the packet; why: a short English
 * reason ("link a-b down", "lost on link a-b", "host b down"). Both NULL on
 * delivery. The callee owns `data` from then on. */
typedef void (*MsNetDeliverFn)(gpointer data, gboolean lost, const MsHost *where,
                               const char *why);

/* Like ms_net_send_packet().  destroy(data) is called only if the net is
 * freed while the packet is still travelling.  *first_start_out (may be NULL)
 * is when the packet starts being transmitted on its first link (or now, if
 * it never gets that far): the moment the sender's interface lets go of it. */
gboolean ms_net_send_packet_full(MsNet *net, MsHost *src, MsHost *dst, guint32 bytes,
                                 MsNetDeliverFn fn, gpointer data, GDestroyNotify destroy,
                                 MsTime *first_start_out);

/* Next ephemeral port of a client host: 49152, 49153, ... wrapping to 49152
 * after 65535. */
guint16 ms_host_take_ephemeral_port(MsHost *host);

/* ---- TCP state kept by the net ----------------------------------------- */
typedef struct MsTcpTable MsTcpTable;

MsTcpTable *ms_tcp_table_new(void);
/* Frees every connection and listener; pending tasks must be gone already. */
void ms_tcp_table_free(MsTcpTable *table);
MsTcpTable *ms_net_tcp_table(MsNet *net);

G_END_DECLS
