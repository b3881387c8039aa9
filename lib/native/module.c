/* packet_io: live capture (pcap_capture.c), batched raw IPv4 sending (raw_sender.c), whole frames through AF_PACKET (packet_sender.c) and what they would skip (ip_output_hooks.c), other network namespaces (netns.c), CPU pinning (affinity.c),
 * ZeroMQ records and GRE/VXLAN datagrams from a batch's columns (zmq_records.c, encap_records.c), our TCP connections' send queues (tcp_queues.c). */
#define NAPI_VERSION 8
#include <pcap/pcap.h>
#include "native.h"

/* libVersion(): pcap_lib_version() of the libpcap compiled in (binding.gyp), e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
static napi_value LibVersion(napi_env env, napi_callback_info info) {
  napi_value result;
  if (napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"libVersion", NULL, LibVersion, NULL, NULL, NULL, napi_default, NULL},
  };
  if (register_pcap_capture(env, exports) != napi_ok || register_raw_sender(env, exports) != napi_ok || register_packet_sender(env, exports) != napi_ok ||
      register_ip_output_hooks(env, exports) != napi_ok ||
      register_netns(env, exports) != napi_ok ||
      register_affinity(env, exports) != napi_ok || register_privileges(env, exports) != napi_ok ||
      register_zmq_records(env, exports) != napi_ok || register_encap_records(env, exports) != napi_ok || register_tcp_queues(env, exports) != napi_ok ||
      napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}
