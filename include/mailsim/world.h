/* world.h - a scenario brought to life: hosts and links, mail servers with
 * their mailboxes and queues, user agents, all driven by one simulator.
 */
#pragma once

#include <glib.h>
#include "mailsim/core.h"
#include "mailsim/scenario.h"
#include "mailsim/trace.h"

G_BEGIN_DECLS

typedef struct MsWorld MsWorld;

/* Builds the world (transfer full).  The scenario must outlive the world. */
MsWorld *ms_world_new(const MsScenario *scenario, guint64 seed, GError **error);
void ms_world_free(MsWorld *world);

/* Runs until nothing is left to do, or until simulated time `limit`
 * (MS_TIME_NEVER: no limit besides the built-in safety cap). */
gboolean ms_world_run(MsWorld *world, MsTime limit, GError **error);

/* Stops a run with an error after max_events events (0 or more than the
 * built-in cap of 200 000 000: the cap), as `mailsim run --max-events`. */
void ms_world_set_max_events(MsWorld *world, guint64 max_events);

MsTrace *ms_world_trace(MsWorld *world);   /* transfer none */
MsSim *ms_world_sim(MsWorld *world);       /* transfer none */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWorld, ms_world_free)

G_END_DECLS
