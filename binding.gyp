{
  "targets": [
    {
      "target_name": "blockchain_native",
      "sources": ["native/addon.c", "native/scanner.c", "native/chain-index.c", "native/record-check.c", "native/record-check-js.c", "native/file-digest.c", "native/napi-util.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra"],
      "cflags!": ["-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11"] },
      "msvs_settings": { "VCCLCompilerTool": { "Optimization": 2 } }
    }
  ]
}
