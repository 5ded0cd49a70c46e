/* tcp_buffer.c - a side's send buffer: the bytes its application wrote
 * that the peer may still need, from which every segment, first sent or
 * resent, takes its payload and the peer's application reads it in place.
 *
 * A write goes to the end; the bytes the peer acknowledged stay until a
 * write needs their room.  Then the bytes still kept slide to the front
 * when they fill at most half the block, and otherwise the block doubles,
 * so a byte moves at most a few times however the writes and ACKs fall.
 */
#include "net/tcp-private.h"

/* Most sides write a few short lines at a time, and a message or two. */
#define SEND_BUF_MIN 256u

/* Blocks of SEND_BUF_MIN bytes, every side's first, go to and come from
 * the spares (the table's): a side's first write and its last ACK cost no
 * malloc and free.  Any block may still go to g_free(). */
static char *block_new(gpointer *spares, gsize cap)
{
    return cap == SEND_BUF_MIN && spares != NULL ? ms_spare_take(spares, cap) : g_malloc(cap);
}

static void block_free(gpointer *spares, char *data, gsize cap)
{
    if (cap == SEND_BUF_MIN && spares != NULL)
        ms_spare_push(spares, data);
    else
        g_free(data);
}

/* A new block of `cap` bytes holding the kept bytes [keep, end); the old
 * one goes, or waits in `retired` if the peer is reading from it. */
static void buf_move_to(MsTcpSendBuf *b, gpointer *spares, gsize cap, guint64 keep)
{
    gsize live = b->end - keep;
    char *data = block_new(spares, cap);

    if (live > 0)
        memcpy(data, b->data + (keep - b->start), live);
    if (b->pinned && b->retired == NULL)
        b->retired = b->data;
    else if (b->data != NULL)
        block_free(spares, b->data, b->cap);
    b->data = data;
    b->cap = cap;
    b->start = keep;
}

char *ms_tcp_buf_make_room(MsTcpSendBuf *b, gpointer *spares, guint64 keep, gsize len)
{
    g_assert(keep <= b->end);
    keep = MAX(keep, b->start);
    gsize live = b->end - keep;
    /* The bytes being read must stay where they are; a block that replaced
     * them while they are read is free to change. */
    gboolean fixed = b->pinned && b->retired == NULL;

    if (b->data != NULL && !fixed && live + len <= b->cap / 2) {
        memmove(b->data, b->data + (keep - b->start), live);
        b->start = keep;
    } else if (b->data != NULL && !fixed && live == 0 && len <= b->cap) {
        b->start = keep;
    } else {
        gsize cap = MAX(b->cap, SEND_BUF_MIN);

        while (cap < live + len) {
            g_assert(cap <= G_MAXSIZE / 2);
            cap *= 2;
        }
        if (b->data != NULL && cap == b->cap && !fixed)
            cap *= 2; /* sliding would not free half: grow instead */
        buf_move_to(b, spares, cap, keep);
    }
    return b->data + (b->end - b->start);
}

/* The peer has every byte the side wrote (its last, or a large write
 * that grew the block): the block goes, and a next write starts small. */
void ms_tcp_buf_clear(MsTcpSendBuf *b, gpointer *spares)
{
    g_assert(!b->pinned);
    if (b->data != NULL)
        block_free(spares, g_steal_pointer(&b->data), b->cap);
    b->start = b->end;
    b->cap = 0;
}
