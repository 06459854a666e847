#!/usr/bin/env bash
# Fails when runtime networking is called outside reactor/transport_*.ts (the transport seam).
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE 'Deno\.(listen|connect|listenDatagram|connectTls|listenTls|serve|serveHttp)\(|Bun\.serve\(|from "node:(net|dgram|http|https|http2)"' \
  --include='*.ts' . | grep -vE '^\./(reactor/transport_[a-z_]+\.ts|node_modules/|tests/|dist/|data/)' || true)
if [ -n "$hits" ]; then
  echo "Runtime networking outside reactor/transport_*.ts:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "transport seam: ok"
