{
  # The package's addon for node-gyp and node-gyp-build, which look for binding.gyp at the
  # package root: everything is in lib/native/binding.gyp. Builds into build/Release/.
  "targets": [
    {
      "target_name": "packet_io_root",
      "type": "none",
      "dependencies": ["lib/native/binding.gyp:packet_io"]
    }
  ]
}
