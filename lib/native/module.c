/* packet_io: live capture (pcap_capture.c), batched raw IPv4 sending (raw_sender.c), other network namespaces (netns.c), CPU pinning (affinity.c). */
#define NAPI_VERSION 8
#include "native.h"

NAPI_MODULE_INIT() {
  if (register_pcap_capture(env, exports) != napi_ok || register_raw_sender(env, exports) != napi_ok || register_netns(env, exports) != napi_ok ||
      register_affinity(env, exports) != napi_ok || register_privileges(env, exports) != napi_ok)
    return NULL;
  return exports;
}
