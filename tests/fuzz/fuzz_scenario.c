/* fuzz_scenario.c - the scenario reader on arbitrary bytes, and the promise
 * that follows: whatever it accepts, the world builds (check and run
 * agree).  A refusal must carry a position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mailsim/scenario.h"
#include "mailsim/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    MsScenario *sc = ms_scenario_parse_string((const char *) data, (gssize) size,
                                              "fuzz.mss", &error);
    if (sc == NULL) {
        /* "fuzz.mss:LINE:COL: error: ..." */
        if (error == NULL || !g_str_has_prefix(error->message, "fuzz.mss:"))
            abort();
        g_error_free(error);
        return 0;
    }
    MsWorld *world = ms_world_new(sc, sc->seed, &error);
    if (world == NULL) {
        fprintf(stderr, "check accepted, the world refused: %s\n", error->message);
        abort();
    }
    ms_world_free(world);
    ms_scenario_free(sc);
    return 0;
}
