/*
 * Windows only: text helpers, and the Linux-only functions of packet_io
 * (links, setAffinity, lookupUser, dropPrivileges, tcpSendQueues, packetOpen, packetSend,
 * packetRoute), which throw an Error with
 * code 'UNSUPPORTED' there. lib/config.ts refuses the options that would need
 * them (-c, -m, -B, -M, -p, --cpu, -Z, --tx packet) before anything is opened; these are
 * the last line.
 */
#define NAPI_VERSION 8
#include "native_win.h"
#include <stdio.h>
#include <string.h>

void utf16_to_utf8(const wchar_t *in, char *out, size_t size) {
  out[0] = '\0';
  if (in == NULL || size == 0 || size > INT_MAX) return;
  int n = WideCharToMultiByte(CP_UTF8, 0, in, -1, out, (int)size, NULL, NULL);
  if (n <= 0) out[0] = '\0';
}

void win_error_text(DWORD err, char *out, size_t size) {
  wchar_t wide[512];
  DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0, wide, sizeof wide / sizeof wide[0], NULL);
  while (n > 0 && (wide[n - 1] == L'\r' || wide[n - 1] == L'\n' || wide[n - 1] == L' ' || wide[n - 1] == L'.')) wide[--n] = L'\0';
  if (n == 0) snprintf(out, size, "Windows error %lu", (unsigned long)err);
  else utf16_to_utf8(wide, out, size);
}

napi_value throw_unsupported(napi_env env, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s is not supported on Windows", what);
  throw_coded(env, "UNSUPPORTED", message);
  return NULL;
}

static napi_value Links(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "links() (network namespaces, containers)");
}

static napi_value SetAffinity(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "setAffinity() (--cpu)");
}

static napi_value LookupUser(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "lookupUser() (-Z)");
}

static napi_value DropPrivileges(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "dropPrivileges() (-Z)");
}

static napi_value TcpSendQueues(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "tcpSendQueues() (ZeroMQ delivery confirmation)");
}

static napi_value PacketUnsupported(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "AF_PACKET sending (--tx packet)");
}

static napi_value IpOutputHooksUnsupported(napi_env env, napi_callback_info info) {
  return throw_unsupported(env, "what the IP output would skip (--tx auto)");
}

/* The same names as on Linux (netns.c, affinity.c, privileges.c, tcp_queues.c, packet_sender.c, ip_output_hooks.c), so the module's shape does not change. */
napi_status register_netns(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {{"links", NULL, Links, NULL, NULL, NULL, napi_default, NULL}};
  return napi_define_properties(env, exports, 1, props);
}

napi_status register_affinity(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {{"setAffinity", NULL, SetAffinity, NULL, NULL, NULL, napi_default, NULL}};
  return napi_define_properties(env, exports, 1, props);
}

napi_status register_privileges(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"lookupUser", NULL, LookupUser, NULL, NULL, NULL, napi_default, NULL},
      {"dropPrivileges", NULL, DropPrivileges, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 2, props);
}

napi_status register_tcp_queues(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {{"tcpSendQueues", NULL, TcpSendQueues, NULL, NULL, NULL, napi_default, NULL}};
  return napi_define_properties(env, exports, 1, props);
}

napi_status register_packet_sender(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"packetOpen", NULL, PacketUnsupported, NULL, NULL, NULL, napi_default, NULL},
      {"packetSend", NULL, PacketUnsupported, NULL, NULL, NULL, napi_default, NULL},
      {"packetRoute", NULL, PacketUnsupported, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, 3, props);
}

napi_status register_ip_output_hooks(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {{"ipOutputHooks", NULL, IpOutputHooksUnsupported, NULL, NULL, NULL, napi_default, NULL}};
  return napi_define_properties(env, exports, 1, props);
}
