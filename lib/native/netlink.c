#include "netlink.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQUEST_SEQ 1
/* The kernel makes a dump's parts at most 32 KiB (netlink_dump); one answer is smaller. */
#define ANSWER_MAX 32768

#define MORE (-2)

/* 0 when the answer is complete, MORE when more follows; a positive errno for NLMSG_ERROR, -1 (EPROTO) for a malformed answer. */
static int read_part(const char *bytes, size_t len, int dump, netlink_each_t each, void *context) {
  for (const struct nlmsghdr *h = (const struct nlmsghdr *)bytes; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_seq != REQUEST_SEQ) continue;
    if (h->nlmsg_type == NLMSG_ERROR) {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) break;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      return e->error < 0 ? -e->error : 0; /* 0 is an acknowledgement */
    }
    if (h->nlmsg_type == NLMSG_DONE) {
      /* A dump that failed part way says why here. */
      int error = 0;
      if (h->nlmsg_len >= NLMSG_LENGTH(sizeof error)) memcpy(&error, NLMSG_DATA(h), sizeof error);
      return error < 0 ? -error : 0;
    }
    each(context, h);
    if (!dump) return 0;
  }
  if (len != 0) {
    errno = EPROTO;
    return -1;
  }
  return MORE;
}

const void *netlink_attribute(const struct nlmsghdr *message, size_t header_len, unsigned short type, size_t min_len) {
  if (message->nlmsg_len < NLMSG_LENGTH(header_len)) return NULL;
  int rest = (int)(message->nlmsg_len - NLMSG_SPACE(header_len));
  const struct nlattr *a = (const struct nlattr *)((const char *)NLMSG_DATA(message) + NLMSG_ALIGN(header_len));
  for (; rest >= (int)sizeof *a && a->nla_len >= sizeof *a && a->nla_len <= rest; rest -= NLA_ALIGN(a->nla_len), a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))
    if ((a->nla_type & NLA_TYPE_MASK) == type && a->nla_len >= NLA_HDRLEN + min_len) return (const char *)a + NLA_HDRLEN;
  return NULL;
}

int netlink_ask(int protocol, struct nlmsghdr *request, netlink_each_t each, void *context) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -1;
  char *answer = malloc(ANSWER_MAX);
  int result = -1;
  if (answer == NULL) {
    errno = ENOMEM;
    goto done;
  }
  request->nlmsg_seq = REQUEST_SEQ;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, request, request->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) goto done;
  int dump = (request->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  for (result = MORE; result == MORE;) {
    struct sockaddr_nl from;
    socklen_t from_len = sizeof from;
    ssize_t got = recvfrom(fd, answer, ANSWER_MAX, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &from_len);
    if (got < 0) {
      result = -1;
      break;
    }
    if (got > ANSWER_MAX || from_len < sizeof from || from.nl_pid != 0) {
      errno = EPROTO; /* cut short, or not the kernel's: only the kernel's whole answer counts */
      result = -1;
      break;
    }
    result = read_part(answer, (size_t)got, dump, each, context);
  }
done:;
  int err = errno;
  free(answer);
  close(fd);
  errno = err;
  return result;
}
