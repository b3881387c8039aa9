{
  "targets": [
    {
      "target_name": "packet_io",
      "sources": ["module.c", "args.c", "pcap_capture.c", "raw_sender.c", "netns.c", "affinity.c", "privileges.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS=='win'", {
          "sources!": ["pcap_capture.c", "raw_sender.c", "netns.c", "affinity.c", "privileges.c"],
          "sources": ["pcap_capture_win.c", "adapters_win.c", "raw_sender_win.c", "win_util.c"],
          "libraries!": ["-lpcap"],
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
