/*
 * One request to the kernel over a netlink socket and its answer (packet_sender.c's route look-up,
 * ip_output_hooks.c's netfilter and IPsec counts).
 */
#ifndef PACKET_AGENT_NETLINK_H
#define PACKET_AGENT_NETLINK_H
#include <linux/netlink.h>
#include <stddef.h>

/* Called for each message of the answer other than NLMSG_DONE and NLMSG_ERROR. */
typedef void (*netlink_each_t)(void *context, const struct nlmsghdr *message);

/*
 * Sends `request` (its nlmsg_seq is set) on a new socket of netlink `protocol` and hands each
 * message of the kernel's answer to `each`: up to NLMSG_DONE for a dump (NLM_F_DUMP), else the
 * one answer. Never waits: the kernel answers within the send, and a dump's next part is made as
 * the last one is read. 0; the kernel's errno (positive) when it answered NLMSG_ERROR; or -1
 * with errno when netlink itself failed (EPROTO: an answer not from the kernel, or malformed).
 */
int netlink_ask(int protocol, struct nlmsghdr *request, netlink_each_t each, void *context);

/*
 * The payload of the first attribute of `type` (its nested flag ignored) with at least `min_len`
 * bytes, among the attributes of `message` that follow its `header_len`-byte family header; NULL
 * when there is none.
 */
const void *netlink_attribute(const struct nlmsghdr *message, size_t header_len, unsigned short type, size_t min_len);

#endif
