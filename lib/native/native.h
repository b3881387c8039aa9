/* The parts of the packet_io addon; each registers its functions on the module's exports. */
#ifndef PACKET_AGENT_NATIVE_H
#define PACKET_AGENT_NATIVE_H
#include <node_api.h>

/* IFNAMSIZ is 16 on Linux; room for a longer name, which the kernel then refuses with its own error. */
#define IFNAMSIZ_MAX 64

napi_status register_pcap_capture(napi_env env, napi_value exports);
napi_status register_raw_sender(napi_env env, napi_value exports);

#endif
