/*
 * Whole frames for the GRE and VXLAN sinks' `--tx packet` (lib/sinks/packet-sender.ts): the
 * Ethernet and IPv4 headers are ours and the frame goes to the device through an AF_PACKET socket,
 * past the kernel's routing, netfilter and IP output, which cost most of a raw socket's send
 * (test/bench/README.md, "What an AF_PACKET transmit path would buy").
 *
 *   packetOpen() -> fd
 *       a non-blocking, close-on-exec AF_PACKET socket of protocol 0: it receives nothing. Throws
 *       as rawOpen ('PERM', 'OPEN'). Closed with rawClose.
 *   packetSend(fd, datagrams, lengths, start, count, ifindex, header, mtu) -> n
 *       sends datagrams[start..count) as rawSend does, each behind a copy of `header` (Ethernet 14
 *       bytes, then an IPv4 header of 20, built by lib/proto/frame-header.ts) written into its
 *       headroom, whose total length, id and checksum are filled in per datagram, out of interface
 *       `ifindex`: the socket is bound to it (again only when it changes: getsockname says where it
 *       is bound) and the messages carry no address, and each frame is one piece; both measured
 *       cheaper per frame than an address and two pieces (test/bench/tx/tx-paths.c `packet-bound`).
 *       The id in `header` is the first datagram's; the next one is left there. A datagram whose IPv4 packet would be longer
 *       than `mtu` is not sent: it ends the call, or is -EMSGSIZE when it is the one at `start`
 *       (the caller hands it to the kernel, which fragments it).
 *   packetRoute(address, oif) -> PacketRoute (addon.ts)
 *       where the kernel would send an IPv4 datagram to `address` (uint32, host order), restricted
 *       to interface `oif` unless 0 (-B): RTM_GETROUTE, and the interface's and the next hop's
 *       Ethernet addresses from the interface and the neighbour table.
 */
#define _GNU_SOURCE /* sendmmsg */
#define NAPI_VERSION 8
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "netlink.h"
#include "send_batch.h"
#include "wire.h"

#define ETH_HEADER_LEN 14
#define IPV4_HEADER_LEN 20
#define HEADER_LEN (ETH_HEADER_LEN + IPV4_HEADER_LEN)
#define PACKET_SEND_USAGE "packetSend(fd, datagrams: Buffer, lengths: Uint32Array, start, count, ifindex, header: Buffer, mtu)"

/* The frame's headers are written into the datagram's headroom. */
_Static_assert(DATAGRAM_HEADROOM >= HEADER_LEN, "a datagram's headroom holds the frame's headers");

/* One sendmmsg's message headers and a vector per message, and what the call's messages share; one set
 * per Node environment. */
typedef struct scratch {
  struct mmsghdr messages[SEND_MAX];
  struct iovec vectors[SEND_MAX];
  const uint8_t *header; /* the call's template */
  uint32_t header_sum;   /* of its IPv4 header, length, id and checksum left out */
  uint16_t first_id;
  uint32_t mtu;
} scratch_t;

static napi_value PacketOpen(napi_env env, napi_callback_info info) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_socket_errno(env, errno, "AF_PACKET socket");
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* RFC 1071 one's-complement sum of the header's 16-bit words, checksum, total length and id left out: what every datagram of the call shares. */
static uint32_t header_sum(const uint8_t *ip) {
  uint32_t sum = 0;
  for (int i = 0; i < IPV4_HEADER_LEN; i += 2)
    if (i != 2 && i != 4 && i != 10) sum += get_be16(ip + i);
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* One datagram behind a copy of the call's headers, with its length, id and checksum. */
static int build_frame(void *context, struct mmsghdr *message, unsigned k, int64_t index, uint8_t *data, uint32_t len) {
  scratch_t *scratch = context;
  if (len + IPV4_HEADER_LEN > scratch->mtu) return EMSGSIZE; /* the kernel's path fragments it */
  uint16_t total = (uint16_t)(len + IPV4_HEADER_LEN);
  uint16_t id = (uint16_t)(scratch->first_id + index);
  uint8_t *h = data - HEADER_LEN;
  memcpy(h, scratch->header, HEADER_LEN);
  put_be16(h + ETH_HEADER_LEN + 2, total);
  put_be16(h + ETH_HEADER_LEN + 4, id);
  put_be16(h + ETH_HEADER_LEN + 10, fold(scratch->header_sum + total + id));
  scratch->vectors[k] = (struct iovec){.iov_base = h, .iov_len = HEADER_LEN + len};
  message->msg_hdr.msg_iov = &scratch->vectors[k];
  message->msg_hdr.msg_iovlen = 1;
  return 0;
}

/*
 * Binds the socket to interface `ifindex` unless it is bound there: 0, or the errno. Protocol 0, as
 * the socket was made: binding hooks it to no traffic, so it still receives nothing.
 */
static int bind_to(int64_t fd, int ifindex) {
  struct sockaddr_ll at;
  socklen_t len = sizeof at;
  if (getsockname((int)fd, (struct sockaddr *)&at, &len) == 0 && at.sll_ifindex == ifindex) return 0;
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = ifindex};
  return bind((int)fd, (struct sockaddr *)&to, sizeof to) == 0 ? 0 : errno;
}

static napi_value PacketSend(napi_env env, napi_callback_info info) {
  send_batch_t b;
  if (send_batch_args(env, info, INT32_MAX, PACKET_SEND_USAGE, &b) < 0) return NULL;
  size_t argc = 8;
  napi_value argv[8];
  uint8_t *header;
  size_t header_len;
  int64_t mtu;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 8 ||
      napi_get_buffer_info(env, argv[6], (void **)&header, &header_len) != napi_ok || header_len < HEADER_LEN) {
    napi_throw_type_error(env, NULL, PACKET_SEND_USAGE " (header: at least 34 bytes)");
    return NULL;
  }
  if (b.target == 0 || b.target > INT32_MAX) {
    napi_throw_range_error(env, "RANGE", "ifindex must be 1..2147483647");
    return NULL;
  }
  if (get_integer(env, argv[7], "mtu", 68, 65535, &mtu) < 0) return NULL;
  int bound = bind_to(b.fd, (int)b.target);
  if (bound != 0) return send_batch_result(env, 0, bound);
  scratch_t *scratch = b.scratch;
  scratch->header = header;
  scratch->header_sum = header_sum(header + ETH_HEADER_LEN);
  scratch->first_id = get_be16(header + ETH_HEADER_LEN + 4);
  scratch->mtu = (uint32_t)mtu;
  int err;
  int64_t sent = send_messages(&b, scratch->messages, build_frame, scratch, &err);
  put_be16(header + ETH_HEADER_LEN + 4, (uint16_t)(scratch->first_id + sent));
  return send_batch_result(env, sent, err);
}

/* RTM_GETROUTE's answer: what packetRoute needs of it. */
typedef struct route {
  int found; /* an RTM_NEWROUTE came */
  int error; /* errno of the lookup (ENETUNREACH, …), 0 when found */
  unsigned char type; /* RTN_UNICAST, RTN_LOCAL, … */
  uint32_t ifindex;
  struct in_addr source, next_hop;
  uint32_t mtu; /* of the route (a learnt path MTU, `ip route … mtu`), 0 when it has none */
} route_t;

static void route_attributes(const struct rtmsg *rtm, size_t len, route_t *r) {
  int rest = (int)len;
  for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, rest); a = RTA_NEXT(a, rest)) {
    size_t size = RTA_PAYLOAD(a);
    if (a->rta_type == RTA_OIF && size >= 4) memcpy(&r->ifindex, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_GATEWAY && size >= 4) memcpy(&r->next_hop, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_PREFSRC && size >= 4) memcpy(&r->source, RTA_DATA(a), 4);
    else if (a->rta_type == RTA_METRICS) {
      int metrics = (int)size;
      for (const struct rtattr *m = RTA_DATA(a); RTA_OK(m, metrics); m = RTA_NEXT(m, metrics))
        if (m->rta_type == RTAX_MTU && RTA_PAYLOAD(m) >= 4) memcpy(&r->mtu, RTA_DATA(m), 4);
    }
  }
}

static void add_attribute(struct nlmsghdr *n, unsigned short type, const void *data, unsigned short size) {
  struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(size);
  memcpy(RTA_DATA(a), data, size);
  n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void route_answer(void *context, const struct nlmsghdr *h) {
  route_t *r = context;
  if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg))) return;
  const struct rtmsg *rtm = NLMSG_DATA(h);
  r->found = 1;
  r->type = rtm->rtm_type;
  route_attributes(rtm, h->nlmsg_len - NLMSG_LENGTH(sizeof *rtm), r);
}

/* 0 with *r filled (r->error set when there is no route), or -1 with errno when netlink itself failed. */
static int route_get(struct in_addr to, uint32_t oif, route_t *r) {
  memset(r, 0, sizeof *r);
  r->next_hop = to;
  struct {
    struct nlmsghdr n;
    struct rtmsg r;
    char attributes[2 * RTA_SPACE(4)];
  } request;
  memset(&request, 0, sizeof request);
  request.n.nlmsg_len = NLMSG_LENGTH(sizeof request.r);
  request.n.nlmsg_type = RTM_GETROUTE;
  request.n.nlmsg_flags = NLM_F_REQUEST;
  request.r.rtm_family = AF_INET;
  request.r.rtm_dst_len = 32;
  add_attribute(&request.n, RTA_DST, &to, 4);
  if (oif != 0) add_attribute(&request.n, RTA_OIF, &oif, 4);
  int result = netlink_ask(NETLINK_ROUTE, &request.n, route_answer, r);
  if (result > 0) r->error = result;
  else if (result == 0 && !r->found) {
    errno = EPROTO;
    return -1;
  }
  return result < 0 ? -1 : 0;
}

/* The interface's name, MTU and (Ethernet only) address, and the next hop's Ethernet address if the neighbour table has a valid one. */
typedef struct link_info {
  char name[IFNAMSIZ];
  int mtu;
  int ethernet;
  uint8_t mac[6];
  int neighbour_known;
  uint8_t neighbour[6];
} link_info_t;

static int link_get(uint32_t ifindex, struct in_addr next_hop, link_info_t *l) {
  memset(l, 0, sizeof *l);
  if (if_indextoname(ifindex, l->name) == NULL) return -1;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, l->name, IFNAMSIZ);
  int result = -1;
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) goto done;
  l->mtu = ifr.ifr_mtu;
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) goto done;
  l->ethernet = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
  memcpy(l->mac, ifr.ifr_hwaddr.sa_data, 6);
  result = 0;
  if (!l->ethernet) goto done;
  struct arpreq arp;
  memset(&arp, 0, sizeof arp);
  struct sockaddr_in *pa = (struct sockaddr_in *)&arp.arp_pa;
  pa->sin_family = AF_INET;
  pa->sin_addr = next_hop;
  memcpy(arp.arp_dev, l->name, sizeof arp.arp_dev);
  /* No entry (ENXIO) or one still being resolved (no ATF_COM): not known yet. */
  if (ioctl(fd, SIOCGARP, &arp) == 0 && (arp.arp_flags & ATF_COM)) {
    l->neighbour_known = 1;
    memcpy(l->neighbour, arp.arp_ha.sa_data, 6);
  }
done:;
  int err = errno;
  close(fd);
  errno = err;
  return result;
}

static void set_uint(napi_env env, napi_value object, const char *name, uint32_t value) {
  napi_value v;
  napi_create_uint32(env, value, &v);
  napi_set_named_property(env, object, name, v);
}

static void set_mac(napi_env env, napi_value object, const char *name, const uint8_t *mac) {
  napi_value v;
  if (mac == NULL) napi_get_null(env, &v);
  else napi_create_buffer_copy(env, 6, mac, NULL, &v);
  napi_set_named_property(env, object, name, v);
}

static napi_value PacketRoute(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t address, oif;
  if (get_args(env, info, argv, 2, 2, "packetRoute(address, oif)") < 0 || get_integer(env, argv[0], "address", 0, UINT32_MAX, &address) < 0 ||
      get_integer(env, argv[1], "oif", 0, INT32_MAX, &oif) < 0)
    return NULL;
  struct in_addr to = {.s_addr = htonl((uint32_t)address)};
  route_t r;
  link_info_t l;
  if (route_get(to, (uint32_t)oif, &r) < 0) return throw_socket_errno(env, errno, "RTM_GETROUTE");
  int have_link = r.error == 0 && r.ifindex != 0;
  if (have_link && link_get(r.ifindex, r.next_hop, &l) < 0) {
    /* The interface went away between the two look-ups: no usable route this time. */
    have_link = 0;
    r.error = errno;
  }
  napi_value result;
  napi_create_object(env, &result);
  set_uint(env, result, "errno", (uint32_t)r.error);
  napi_value unicast;
  napi_get_boolean(env, r.type == RTN_UNICAST, &unicast);
  napi_set_named_property(env, result, "unicast", unicast);
  set_uint(env, result, "ifindex", have_link ? r.ifindex : 0);
  napi_value name;
  napi_create_string_utf8(env, have_link ? l.name : "", NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, result, "interface", name);
  set_uint(env, result, "source", ntohl(r.source.s_addr));
  set_uint(env, result, "nextHop", ntohl(r.next_hop.s_addr));
  set_uint(env, result, "mtu", !have_link ? 0 : r.mtu != 0 && r.mtu < (uint32_t)l.mtu ? r.mtu : (uint32_t)l.mtu);
  set_mac(env, result, "mac", have_link && l.ethernet ? l.mac : NULL);
  set_mac(env, result, "neighbour", have_link && l.neighbour_known ? l.neighbour : NULL);
  return result;
}

napi_status register_packet_sender(napi_env env, napi_value exports) {
  scratch_t *scratch = send_scratch(env, sizeof *scratch);
  if (scratch == NULL) return napi_generic_failure;
  napi_property_descriptor props[] = {
      {"packetOpen", NULL, PacketOpen, NULL, NULL, NULL, napi_default, NULL},
      {"packetSend", NULL, PacketSend, NULL, NULL, NULL, napi_default, scratch},
      {"packetRoute", NULL, PacketRoute, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
