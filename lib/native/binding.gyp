{
  # Linux: libpcap 1.10.3 (lib/native/libpcap/, see VENDORED there) is compiled into the addon,
  # which then needs no libpcap at run time. Another OS gets its own branch in each `conditions`.
  "targets": [
    {
      "target_name": "libpcap",
      "type": "static_library",
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "libpcap/pcap-linux.c", "libpcap/fad-getad.c",
            "libpcap/pcap.c", "libpcap/gencode.c", "libpcap/optimize.c", "libpcap/nametoaddr.c", "libpcap/etherent.c",
            "libpcap/fmtutils.c", "libpcap/pcap-util.c", "libpcap/savefile.c", "libpcap/sf-pcap.c", "libpcap/sf-pcapng.c",
            "libpcap/pcap-common.c", "libpcap/pcap-usb-linux-common.c", "libpcap/bpf_image.c", "libpcap/bpf_filter.c",
            "libpcap/bpf_dump.c", "libpcap/grammar.c", "libpcap/scanner.c", "libpcap/missing/strlcpy.c", "libpcap/missing/strlcat.c"
          ],
          # config.h (configure's answers on Linux) first, then the release's own headers.
          "include_dirs": ["libpcap-config/linux", "libpcap"],
          "defines": ["HAVE_CONFIG_H", "BUILDING_PCAP"],
          # As libpcap's own build: only the API is visible; it goes into a shared object.
          "cflags": ["-fPIC", "-fvisibility=hidden"],
          "direct_dependent_settings": { "include_dirs": ["libpcap"] }
        }]
      ]
    },
    {
      "target_name": "packet_io",
      "sources": ["module.c", "args.c", "capture_batch.c", "send_batch.c", "pcap_capture.c", "raw_sender.c", "packet_sender.c", "ip_output_hooks.c", "netlink.c", "netns.c", "affinity.c", "privileges.c", "zmq_records.c", "encap_records.c", "tcp_queues.c"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='linux'", {
          "dependencies": ["libpcap"],
          # libpcap's functions stay inside the addon: not exported to other shared objects.
          "ldflags": ["-Wl,--exclude-libs,ALL"]
        }],
        ["OS=='win'", {
          "sources!": ["pcap_capture.c", "raw_sender.c", "packet_sender.c", "ip_output_hooks.c", "netlink.c", "netns.c", "affinity.c", "privileges.c", "tcp_queues.c"],
          "sources": ["pcap_capture_win.c", "adapters_win.c", "raw_sender_win.c", "win_util.c"],
          "libraries": ["wpcap.lib", "ws2_32.lib", "iphlpapi.lib"],
          "include_dirs": ["<!(node -p \"process.env.NPCAP_SDK || 'C:/npcap-sdk'\")/Include"],
          "msvs_settings": {
            "VCLinkerTool": {
              "AdditionalLibraryDirectories": ["<!(node -p \"process.env.NPCAP_SDK || 'C:/npcap-sdk'\")/Lib/x64"]
            }
          }
        }]
      ]
    }
  ]
}
