/* live_peer.c - a client on this machine, seen from its own socket: how
 * many octets the server has sent it that it has not read yet.  A graded
 * program talks to the server over the loopback interface, and the kernel
 * can say (sock_diag, what ss(8) asks) whether it had read the last reply
 * when its next command came: one that never reads its replies has them
 * all still waiting, however fast it wrote.  A client on another machine
 * cannot be seen, nor one whose socket is gone.
 */
#include <string.h>

#include "live/live-private.h"

#ifdef __linux__
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* An address and port of a socket as sock_diag names them: the port in
 * network order, the address in the first 4 (IPv4) or 16 octets. */
static gboolean native_address(GSocketAddress *addr, int *family_out, guint16 *port_out,
                               guint32 out[4])
{
    if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS(addr))
        return FALSE;
    struct sockaddr_storage ss;
    if (!g_socket_address_to_native(addr, &ss, sizeof ss, NULL))
        return FALSE;
    memset(out, 0, 4 * sizeof out[0]);
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) &ss;
        memcpy(out, &in->sin_addr, sizeof in->sin_addr);
        *port_out = in->sin_port;
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) &ss;
        memcpy(out, &in6->sin6_addr, sizeof in6->sin6_addr);
        *port_out = in6->sin6_port;
    } else {
        return FALSE;
    }
    *family_out = ss.ss_family;
    return TRUE;
}

gint64 ms_live_peer_unread(GSocket *sock)
{
    g_autoptr(GSocketAddress) local = g_socket_get_local_address(sock, NULL);
    g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(sock, NULL);
    if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS(remote) ||
        !g_inet_address_get_is_loopback(
            g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote))))
        return -1;
    int family = 0, family_local = 0;
    guint16 sport = 0, dport = 0;
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof msg);
    /* The client's socket: its source is the client, its destination us. */
    if (!native_address(remote, &family, &sport, msg.req.id.idiag_src) ||
        !native_address(local, &family_local, &dport, msg.req.id.idiag_dst) ||
        family != family_local)
        return -1;
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST; /* one socket, not a dump */
    msg.req.sdiag_family = (guint8) family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = ~0u;
    msg.req.id.idiag_sport = sport;
    msg.req.id.idiag_dport = dport;
    msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return -1;
    gint64 unread = -1;
    /* The kernel answers within send(): the answer is waiting after it. */
    if (send(fd, &msg, sizeof msg, 0) == (ssize_t) sizeof msg) {
        union {
            struct nlmsghdr nlh;
            char bytes[8192];
        } answer;
        ssize_t n = recv(fd, &answer, sizeof answer, MSG_DONTWAIT);
        if (n >= (ssize_t) NLMSG_LENGTH(sizeof(struct inet_diag_msg)) &&
            NLMSG_OK(&answer.nlh, (size_t) n) && answer.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
            const struct inet_diag_msg *m = NLMSG_DATA(&answer.nlh);
            unread = m->idiag_rqueue;
        }
    }
    close(fd);
    return unread;
}

#else

gint64 ms_live_peer_unread(GSocket *sock)
{
    (void) sock;
    return -1;
}

#endif
