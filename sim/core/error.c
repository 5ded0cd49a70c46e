/* error.c - the one GError domain of the program.
 *
 * Every recoverable failure, from a scenario typo to an unwritable output
 * file, is reported in MS_ERROR; the code (MsErrorCode) says which layer
 * failed and the message says what the user should fix.
 */
#include "mailsim/core.h"

G_DEFINE_QUARK(mailsim-error-quark, ms_error)

gboolean ms_debug_enabled(void)
{
    static gsize state = 0; /* 0: not looked at yet; 1: off; 2: on */
    if (g_once_init_enter(&state)) {
        gboolean on = !g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
        g_once_init_leave(&state, on ? 2 : 1);
    }
    return state == 2;
}
