/* core-private.h - what the core's own tests may reach that others may not.
 *
 * The event queue's sequence numbers wrap after 2^32 pushes and are then
 * renumbered; no test can push four billion events, so these let a test start
 * the counter near the limit instead.
 */
#pragma once

#include "mailsim/core.h"

G_BEGIN_DECLS

/* `seq` must not be below the current counter (or order would be lost) and
 * not above 2^32. */
void ms_event_queue_set_next_seq_for_tests(MsEventQueue *queue, guint64 seq);
guint64 ms_event_queue_next_seq_for_tests(const MsEventQueue *queue);

G_END_DECLS
