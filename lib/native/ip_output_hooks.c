/*
 * ipOutputHooks(cgroupDir | null) -> { nftChains, xfrmPolicies, cgroupPrograms }: what in this
 * thread's network namespace and the given cgroup could act on datagrams sent through the kernel's
 * IP output and would be skipped by frames sent through AF_PACKET (`--tx auto`,
 * lib/sinks/ip-output-hooks.ts). Each is a count, or -errno when it could not be read:
 *   nftChains       nf_tables base chains (attached to a hook) of the ip and inet families, which
 *                   include iptables-nft's; NFT_MSG_GETCHAIN dump over NETLINK_NETFILTER
 *   xfrmPolicies    IPsec policies for outbound traffic (XFRM_MSG_GETSPDINFO, as `ip xfrm policy
 *                   count`; per-socket policies are other sockets')
 *   cgroupPrograms  BPF programs in effect for the cgroup at cgroupDir (a cgroup v2 directory) on
 *                   its sockets' egress or at their creation (which can set the mark, priority or
 *                   device); 0 when cgroupDir is null (no v2 hierarchy to attach one to)
 * As `nft list chains` does, the query may load the kernel's nf_tables module.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/xfrm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "native.h"
#include "netlink.h"

/* The path of a cgroup directory is at most PATH_MAX. */
#define CGROUP_DIR_MAX 4096

/* netlink_ask's result as a count: `count`, or -errno. */
static int64_t count_or_error(int result, int64_t count) {
  return result == 0 ? count : result > 0 ? -result : -errno;
}

static void count_base_chain(void *context, const struct nlmsghdr *h) {
  if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN) || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg))) return;
  const struct nfgenmsg *g = NLMSG_DATA(h);
  if ((g->nfgen_family == NFPROTO_IPV4 || g->nfgen_family == NFPROTO_INET) && netlink_attribute(h, sizeof *g, NFTA_CHAIN_HOOK, 0) != NULL) ++*(int64_t *)context;
}

static int64_t nft_base_chains(void) {
  struct {
    struct nlmsghdr n;
    struct nfgenmsg g;
  } request;
  memset(&request, 0, sizeof request);
  request.n.nlmsg_len = NLMSG_LENGTH(sizeof request.g);
  request.n.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN;
  request.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.g.nfgen_family = NFPROTO_UNSPEC; /* every family */
  request.g.version = NFNETLINK_V0;
  int64_t chains = 0;
  int result = netlink_ask(NETLINK_NETFILTER, &request.n, count_base_chain, &chains); /* before `chains` is read */
  return count_or_error(result, chains);
}

static void read_spd_info(void *context, const struct nlmsghdr *h) {
  /* XFRM_MSG_NEWSPDINFO: a u32 of flags, then attributes. */
  if (h->nlmsg_type != XFRM_MSG_NEWSPDINFO) return;
  const void *info = netlink_attribute(h, sizeof(uint32_t), XFRMA_SPD_INFO, sizeof(struct xfrmu_spdinfo));
  if (info == NULL) return;
  struct xfrmu_spdinfo counts;
  memcpy(&counts, info, sizeof counts);
  *(int64_t *)context = counts.outcnt;
}

static int64_t xfrm_out_policies(void) {
  struct {
    struct nlmsghdr n;
    uint32_t flags;
  } request;
  memset(&request, 0, sizeof request);
  request.n.nlmsg_len = NLMSG_LENGTH(sizeof request.flags);
  request.n.nlmsg_type = XFRM_MSG_GETSPDINFO;
  request.n.nlmsg_flags = NLM_F_REQUEST;
  request.flags = 0xffffffff; /* as iproute2 asks */
  int64_t policies = -1;
  int result = netlink_ask(NETLINK_XFRM, &request.n, read_spd_info, &policies);
  if (result == 0 && policies < 0) return -EPROTO; /* an answer without the counts */
  return count_or_error(result, policies);
}

static int64_t cgroup_programs(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  static const enum bpf_attach_type types[] = {BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_SOCK_CREATE};
  int64_t programs = 0;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    union bpf_attr query;
    memset(&query, 0, sizeof query);
    query.query.target_fd = (uint32_t)fd;
    query.query.attach_type = types[i];
    query.query.query_flags = BPF_F_QUERY_EFFECTIVE; /* the ancestors' programs too */
    if (syscall(__NR_bpf, BPF_PROG_QUERY, &query, sizeof query) < 0) {
      programs = -errno;
      break;
    }
    programs += query.query.prog_cnt;
  }
  close(fd);
  return programs;
}

static void set_count(napi_env env, napi_value object, const char *name, int64_t value) {
  napi_value v;
  napi_create_int64(env, value, &v);
  napi_set_named_property(env, object, name, v);
}

static napi_value IpOutputHooks(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  napi_valuetype type;
  if (get_args(env, info, argv, 1, 1, "ipOutputHooks(cgroupDir: string | null)") < 0 || napi_typeof(env, argv[0], &type) != napi_ok) return NULL;
  char *dir = NULL;
  if (type != napi_null && (dir = get_string(env, argv[0], "cgroupDir", CGROUP_DIR_MAX)) == NULL) return NULL;
  napi_value result;
  napi_create_object(env, &result);
  set_count(env, result, "nftChains", nft_base_chains());
  set_count(env, result, "xfrmPolicies", xfrm_out_policies());
  set_count(env, result, "cgroupPrograms", dir == NULL ? 0 : cgroup_programs(dir));
  free(dir);
  return result;
}

napi_status register_ip_output_hooks(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ipOutputHooks", NULL, IpOutputHooks, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
