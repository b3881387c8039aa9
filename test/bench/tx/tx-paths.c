/*
 * tx-paths: what each way of sending GRE costs the sender, measured alone (issue 14, goal 2:
 * "measure what each alternative buys before committing to it"). Not part of the agent.
 *
 *   tx-paths MODE IFNAME SRC_IP DST_IP DST_MAC COUNT
 *
 * MODE
 *   raw            what the agent does: a raw IPPROTO_GRE socket, sendmmsg of 1024 datagrams
 *                  (GRE header + inner frame); the kernel routes, builds the IP header, runs
 *                  netfilter OUTPUT/POSTROUTING and the qdisc.
 *   packet         AF_PACKET socket on IFNAME, sendmmsg of 1024 whole frames whose Ethernet, IPv4
 *                  (checksum per packet) and GRE headers we build: no routing, no netfilter, no IP
 *                  output; the qdisc still runs.
 *   packet-bypass  the same with PACKET_QDISC_BYPASS: the frame goes to the driver directly.
 *   packet-bound   `packet` from a socket bound to IFNAME (protocol 0: it still receives nothing), the
 *                  messages without an address: no sockaddr_ll copied and checked per frame.
 *   raw-udp        VXLAN as the agent sends it: a raw IPPROTO_UDP socket, our own UDP header
 *                  (checksum 0, to port 4789), then 8 header bytes and the inner frame.
 *   udp            the same datagrams from a UDP socket connected to DST_IP:4789 (SO_NO_CHECK: no
 *                  checksum either): the route is cached in the socket instead of looked up per
 *                  datagram.
 *   raw-hdrincl    GRE from a raw socket with IP_HDRINCL: our IPv4 header (the kernel fills in the
 *                  checksum and id), then the datagram; routing and netfilter stay, the kernel's
 *                  header building and corking go (and so does its fragmenting).
 *   packet-ring    the frames of `packet` written into a PACKET_TX_RING (TPACKET_V2, 2048 frames of
 *                  2 KiB) and sent by one send() per batch: no message headers or iovecs to copy
 *                  per frame, the kernel maps the ring's pages into the skb instead of copying.
 *
 * TX_BATCH (environment, 1..1024, default 1024): datagrams per sendmmsg call.
 * TX_SPLIT=1 (environment, packet modes): each frame as two iovecs, our headers and the datagram,
 * as the agent's packetSend hands them over, instead of one.
 *
 * Each sends COUNT GRE packets (key 1, transparent Ethernet bridging) carrying a 64-byte inner
 * frame, as fast as it can, and prints one JSON line: packets sent, wall seconds, CPU seconds of
 * this process (user + system; on a veth this includes the receiving namespace's softirq work
 * done in our context, as it does for the agent), packets/s and CPU microseconds per packet.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1024
#define INNER_LEN 64
#define GRE_LEN 8
#define IP_LEN 20
#define UDP_LEN 8
#define ETH_LEN 14
#define FRAME_LEN (ETH_LEN + IP_LEN + GRE_LEN + INNER_LEN)

static double now(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static uint16_t ip_checksum(const uint8_t *h) {
  uint32_t sum = 0;
  for (int i = 0; i < IP_LEN; i += 2) sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void gre_header(uint8_t *g) {
  g[0] = 0x20; /* key present */
  g[1] = 0x00;
  g[2] = 0x65; /* 0x6558: transparent Ethernet bridging */
  g[3] = 0x58;
  g[4] = g[5] = g[6] = 0;
  g[7] = 1; /* key 1 */
}

static void inner_frame(uint8_t *f, uint32_t n) {
  memset(f, 0, INNER_LEN);
  f[12] = 0x08; /* IPv4 EtherType; the rest is filler with a sequence number */
  memcpy(f + 20, &n, sizeof n);
}

static int fail(const char *what) {
  fprintf(stderr, "tx-paths: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: tx-paths raw|raw-hdrincl|raw-udp|udp|packet|packet-bypass|packet-bound|packet-ring IFNAME SRC_IP DST_IP DST_MAC COUNT\n");
    return 2;
  }
  const char *mode = argv[1];
  int packet = strncmp(mode, "packet", 6) == 0;
  int bypass = strcmp(mode, "packet-bypass") == 0;
  int bound = strcmp(mode, "packet-bound") == 0;
  int ring_mode = strcmp(mode, "packet-ring") == 0;
  int raw_udp = strcmp(mode, "raw-udp") == 0;
  int udp = strcmp(mode, "udp") == 0;
  int hdrincl = strcmp(mode, "raw-hdrincl") == 0;
  if (!packet && !raw_udp && !udp && !hdrincl && strcmp(mode, "raw") != 0) {
    fprintf(stderr, "tx-paths: unknown mode %s\n", mode);
    return 2;
  }
  unsigned ifindex = if_nametoindex(argv[2]);
  struct in_addr src, dst;
  unsigned mac[6];
  long count = atol(argv[6]);
  const char *batch_env = getenv("TX_BATCH");
  int batch = batch_env != NULL ? atoi(batch_env) : BATCH;
  if (batch < 1 || batch > BATCH) {
    fprintf(stderr, "tx-paths: TX_BATCH must be 1..%d\n", BATCH);
    return 2;
  }
  if (ifindex == 0 || inet_pton(AF_INET, argv[3], &src) != 1 || inet_pton(AF_INET, argv[4], &dst) != 1 ||
      sscanf(argv[5], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6 || count <= 0) {
    fprintf(stderr, "tx-paths: bad interface, address, MAC or count\n");
    return 2;
  }

  int fd = packet ? socket(AF_PACKET, SOCK_RAW, 0)
           : udp   ? socket(AF_INET, SOCK_DGRAM, 0)
                   : socket(AF_INET, SOCK_RAW, raw_udp ? IPPROTO_UDP : IPPROTO_GRE);
  if (fd < 0) return fail("socket");
  int one = 1;
  if (hdrincl && setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0) return fail("IP_HDRINCL");
  if (udp) {
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_addr = dst, .sin_port = htons(4789)};
    if (setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one) < 0) return fail("SO_NO_CHECK");
    if (connect(fd, (struct sockaddr *)&peer, sizeof peer) < 0) return fail("connect");
  }
  if (bypass && setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) return fail("PACKET_QDISC_BYPASS");
  if (bound) {
    struct sockaddr_ll bind_to = {.sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = (int)ifindex};
    if (bind(fd, (struct sockaddr *)&bind_to, sizeof bind_to) < 0) return fail("bind");
  }
  enum { RING_FRAME = 2048, RING_FRAMES = 2048, RING_BLOCK = 1 << 16 };
  uint8_t *ring = NULL;
  unsigned ring_next = 0;
  if (ring_mode) {
    int version = TPACKET_V2;
    struct tpacket_req req = {.tp_block_size = RING_BLOCK, .tp_block_nr = RING_FRAMES * RING_FRAME / RING_BLOCK, .tp_frame_size = RING_FRAME, .tp_frame_nr = RING_FRAMES};
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) return fail("PACKET_VERSION");
    if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) return fail("PACKET_TX_RING");
    ring = mmap(NULL, (size_t)RING_FRAMES * RING_FRAME, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) return fail("mmap");
    struct sockaddr_ll bind_to = {.sll_family = AF_PACKET, .sll_protocol = htons(0x0800), .sll_ifindex = (int)ifindex};
    if (bind(fd, (struct sockaddr *)&bind_to, sizeof bind_to) < 0) return fail("bind");
  }

  static uint8_t frames[BATCH][FRAME_LEN];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH][2];
  const char *split_env = getenv("TX_SPLIT");
  int split = packet && split_env != NULL && strcmp(split_env, "1") == 0;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
  struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6};
  for (int i = 0; i < 6; i++) ll.sll_addr[i] = (uint8_t)mac[i];
  size_t head = packet ? ETH_LEN + IP_LEN : raw_udp ? UDP_LEN : hdrincl ? IP_LEN : 0;
  for (int i = 0; i < BATCH; i++) {
    uint8_t *f = frames[i];
    if (packet) {
      for (int k = 0; k < 6; k++) f[k] = (uint8_t)mac[k];
      memset(f + 6, 0x02, 6); /* source MAC: any locally administered one, the receiver does not check */
      f[12] = 0x08;
      f[13] = 0x00;
      uint8_t *ip = f + ETH_LEN;
      memset(ip, 0, IP_LEN);
      ip[0] = 0x45;
      uint16_t total = htons(IP_LEN + GRE_LEN + INNER_LEN);
      memcpy(ip + 2, &total, 2);
      ip[8] = 64; /* TTL */
      ip[9] = IPPROTO_GRE;
      memcpy(ip + 12, &src, 4);
      memcpy(ip + 16, &dst, 4);
    }
    if (hdrincl) {
      memset(f, 0, IP_LEN);
      f[0] = 0x45;
      uint16_t total = htons(IP_LEN + GRE_LEN + INNER_LEN);
      memcpy(f + 2, &total, 2);
      f[6] = 0x40; /* DF */
      f[8] = 64;
      f[9] = IPPROTO_GRE;
      memcpy(f + 12, &src, 4);
      memcpy(f + 16, &dst, 4);
    }
    if (raw_udp) {
      uint16_t ports_len[4] = {htons(50000), htons(4789), htons(UDP_LEN + GRE_LEN + INNER_LEN), 0};
      memcpy(f, ports_len, UDP_LEN);
    }
    gre_header(f + head);
    iov[i][0].iov_base = f;
    iov[i][0].iov_len = head + GRE_LEN + INNER_LEN;
    if (split) {
      iov[i][0].iov_len = head;
      iov[i][1].iov_base = f + head;
      iov[i][1].iov_len = GRE_LEN + INNER_LEN;
    }
    msgs[i].msg_hdr.msg_iov = iov[i];
    msgs[i].msg_hdr.msg_iovlen = split ? 2 : 1;
    msgs[i].msg_hdr.msg_name = udp || bound ? NULL : packet ? (void *)&ll : (void *)&to;
    msgs[i].msg_hdr.msg_namelen = udp || bound ? 0 : packet ? sizeof ll : sizeof to;
  }

  double wall0 = now(CLOCK_MONOTONIC), cpu0 = cpu_seconds();
  long sent = 0, again = 0;
  uint16_t id = 0;
  while (sent < count) {
    int n = count - sent < batch ? (int)(count - sent) : batch;
    /* Per packet what a sender must do anyway: the inner frame, and for AF_PACKET the IP id and checksum. */
    for (int i = 0; i < n; i++) {
      uint8_t *f = frames[i];
      inner_frame(f + head + GRE_LEN, (uint32_t)(sent + i));
      if (packet) {
        uint8_t *ip = f + ETH_LEN;
        uint16_t nid = htons(id++);
        memcpy(ip + 4, &nid, 2);
        ip[10] = ip[11] = 0;
        uint16_t sum = htons(ip_checksum(ip));
        memcpy(ip + 10, &sum, 2);
      }
    }
    if (ring_mode) {
      /* Each frame into the next ring slot the kernel has given back, then one send() for the batch. */
      int queued = 0;
      for (int i = 0; i < n; i++) {
        struct tpacket2_hdr *slot = (struct tpacket2_hdr *)(ring + (size_t)ring_next * RING_FRAME);
        if (__atomic_load_n(&slot->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) break;
        memcpy((uint8_t *)slot + TPACKET_ALIGN(sizeof(struct tpacket2_hdr)), frames[i], iov[i][0].iov_len);
        slot->tp_len = (unsigned)iov[i][0].iov_len;
        __atomic_store_n(&slot->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        ring_next = (ring_next + 1) % RING_FRAMES;
        queued++;
      }
      if (send(fd, NULL, 0, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) return fail("send");
      if (queued < n) again++;
      sent += queued;
      continue;
    }
    int r = sendmmsg(fd, msgs, (unsigned)n, 0);
    if (r < 0) {
      if (errno == ENOBUFS || errno == EAGAIN) {
        again++;
        continue;
      }
      return fail("sendmmsg");
    }
    sent += r;
  }
  double wall = now(CLOCK_MONOTONIC) - wall0, cpu = cpu_seconds() - cpu0;
  printf("{\"mode\":\"%s\",\"split\":%d,\"batch\":%d,\"sent\":%ld,\"retries\":%ld,\"wall_s\":%.3f,\"cpu_s\":%.3f,\"pps\":%.0f,\"cpu_us_per_pkt\":%.3f}\n", mode, split, batch, sent,
         again, wall, cpu, (double)sent / wall, cpu * 1e6 / (double)sent);
  close(fd);
  return 0;
}
