{
  "targets": [
    {
      "target_name": "synack_tun",
      "sources": ["tun.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
