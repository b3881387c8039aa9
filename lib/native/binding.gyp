{
  "targets": [
    {
      "target_name": "packet_io",
      "sources": ["module.c", "args.c", "pcap_capture.c", "raw_sender.c", "netns.c", "affinity.c", "privileges.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
