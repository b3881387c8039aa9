/*
 * Windows: adapters() -> { pcap: [...], system: [...] }, the two lists that
 * lib/windows-adapters.ts joins by GUID to resolve -i and print -D:
 *
 *   pcap:   what Npcap can open (pcap_findalldevs):
 *           { name: '\\Device\\NPF_{GUID}', description, flags }
 *   system: what Windows shows (GetAdaptersAddresses):
 *           { adapterName: '{GUID}', friendlyName ("以太网", "Wi-Fi 2"), description,
 *             operStatus (IF_OPER_STATUS: 1 up, 2 down, ... 7 lowerLayerDown),
 *             mac: Buffer | null, addresses: ['192.0.2.5', 'fe80::1'] }
 *
 * Friendly names are UTF-16 in Windows and UTF-8 here, whatever the ANSI code
 * page (GB2312 on Chinese Windows): no code-page conversion anywhere. Throws
 * code 'OPEN' when either list cannot be read.
 */
#define NAPI_VERSION 8
#include "native_win.h"
#include <iphlpapi.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#define TEXT_MAX 1024

static napi_status set_text(napi_env env, napi_value obj, const char *key, const char *text) {
  napi_value v;
  napi_status s = text == NULL ? napi_get_null(env, &v) : napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

static napi_status set_number(napi_env env, napi_value obj, const char *key, double n) {
  napi_value v;
  napi_status s = napi_create_double(env, n, &v);
  return s == napi_ok ? napi_set_named_property(env, obj, key, v) : s;
}

static napi_status pcap_list(napi_env env, napi_value *list, char *message, size_t size) {
  pcap_if_t *all = NULL;
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  if (pcap_findalldevs(&all, errbuf) < 0) {
    snprintf(message, size, "pcap_findalldevs: %s (is Npcap installed?)", errbuf);
    return napi_generic_failure;
  }
  napi_status s = napi_create_array(env, list);
  uint32_t n = 0;
  for (pcap_if_t *d = all; s == napi_ok && d != NULL; d = d->next) {
    napi_value e;
    if ((s = napi_create_object(env, &e)) != napi_ok || (s = set_text(env, e, "name", d->name)) != napi_ok ||
        (s = set_text(env, e, "description", d->description)) != napi_ok || (s = set_number(env, e, "flags", d->flags)) != napi_ok)
      break;
    s = napi_set_element(env, *list, n++, e);
  }
  pcap_freealldevs(all);
  if (s != napi_ok) snprintf(message, size, "cannot describe the pcap devices");
  return s;
}

static napi_status describe_adapter(napi_env env, const IP_ADAPTER_ADDRESSES *a, napi_value *entry) {
  char text[TEXT_MAX];
  napi_value e, addrs, v;
  napi_status s;
  if ((s = napi_create_object(env, &e)) != napi_ok || (s = set_text(env, e, "adapterName", a->AdapterName)) != napi_ok) return s;
  utf16_to_utf8(a->FriendlyName, text, sizeof text);
  if ((s = set_text(env, e, "friendlyName", text)) != napi_ok) return s;
  utf16_to_utf8(a->Description, text, sizeof text);
  if ((s = set_text(env, e, "description", text)) != napi_ok || (s = set_number(env, e, "operStatus", a->OperStatus)) != napi_ok) return s;
  if (a->PhysicalAddressLength == 6) {
    void *data;
    s = napi_create_buffer_copy(env, 6, a->PhysicalAddress, &data, &v);
  } else {
    s = napi_get_null(env, &v);
  }
  if (s != napi_ok || (s = napi_set_named_property(env, e, "mac", v)) != napi_ok || (s = napi_create_array(env, &addrs)) != napi_ok) return s;
  uint32_t n = 0;
  for (const IP_ADAPTER_UNICAST_ADDRESS *u = a->FirstUnicastAddress; u != NULL; u = u->Next) {
    const struct sockaddr *sa = u->Address.lpSockaddr;
    char ip[INET6_ADDRSTRLEN];
    const void *raw = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                      : sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                                                  : NULL;
    if (raw == NULL || inet_ntop(sa->sa_family, raw, ip, sizeof ip) == NULL) continue;
    if ((s = napi_create_string_utf8(env, ip, NAPI_AUTO_LENGTH, &v)) != napi_ok || (s = napi_set_element(env, addrs, n++, v)) != napi_ok) return s;
  }
  if ((s = napi_set_named_property(env, e, "addresses", addrs)) != napi_ok) return s;
  *entry = e;
  return napi_ok;
}

static napi_status system_list(napi_env env, napi_value *list, char *message, size_t size) {
  ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
  ULONG len = 16384;
  IP_ADAPTER_ADDRESSES *all = NULL;
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  /* The list can grow between the call that sizes it and the one that fills it: try a few times. */
  for (int attempt = 0; attempt < 4 && rc == ERROR_BUFFER_OVERFLOW; attempt++) {
    free(all);
    if ((all = malloc(len)) == NULL) {
      snprintf(message, size, "out of memory");
      return napi_generic_failure;
    }
    rc = GetAdaptersAddresses(AF_UNSPEC, flags, NULL, all, &len);
  }
  if (rc != NO_ERROR && rc != ERROR_NO_DATA) {
    char words[400];
    win_error_text(rc, words, sizeof words);
    snprintf(message, size, "GetAdaptersAddresses: %s", words);
    free(all);
    return napi_generic_failure;
  }
  napi_status s = napi_create_array(env, list);
  uint32_t n = 0;
  for (const IP_ADAPTER_ADDRESSES *a = rc == NO_ERROR ? all : NULL; s == napi_ok && a != NULL; a = a->Next) {
    napi_value e;
    if ((s = describe_adapter(env, a, &e)) == napi_ok) s = napi_set_element(env, *list, n++, e);
  }
  free(all);
  if (s != napi_ok) snprintf(message, size, "cannot describe the adapters");
  return s;
}

napi_value WinAdapters(napi_env env, napi_callback_info info) {
  char message[PCAP_ERRBUF_SIZE + 512];
  napi_value result, pcap, system;
  if (pcap_list(env, &pcap, message, sizeof message) != napi_ok || system_list(env, &system, message, sizeof message) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) throw_coded(env, "OPEN", message);
    return NULL;
  }
  if (napi_create_object(env, &result) != napi_ok || napi_set_named_property(env, result, "pcap", pcap) != napi_ok ||
      napi_set_named_property(env, result, "system", system) != napi_ok)
    return NULL;
  return result;
}
