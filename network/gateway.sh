#!/usr/bin/env bash
# network/gateway.sh start|stop: the hospitals' REST gateways (gateway/dist/bin/start.js, one process
# serving each hospital of network.json on its own port) on the Fabric adapters; data in
# $FABRIC_DATA/gateway. `start` waits until every gateway's /ready answers (ledger and EHR reachable).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main="$ROOT/gateway/dist/bin/start.js"
case "${1:-}" in
  start)
    [ -f "$main" ] || (cd "$ROOT" && npx tsc -b gateway >/dev/null 2>&1) || true
    [ -f "$main" ] || die "the gateway is not built (npx tsc -b gateway)"
    mkdir -p "$FABRIC_DATA/gateway"
    start_bg gateway "$ROOT" env MEDREC_FABRIC_NETWORK="$FABRIC_DATA/network.json" \
      MEDREC_DATA_DIR="$FABRIC_DATA/gateway" MEDREC_HOST="$FABRIC_HOST" node "$main"
    for port in $(jq -r '.hospitals[].gatewayPort' "$FABRIC_DATA/network.json"); do
      for i in $(seq 1 240); do
        curl -fsS -o /dev/null "http://$FABRIC_HOST:$port/ready" 2>/dev/null && break
        is_running gateway || die "the gateway exited; see $FABRIC_DATA/logs/gateway.log"
        sleep 0.5
      done
      curl -fsS -o /dev/null "http://$FABRIC_HOST:$port/ready" || die "gateway on $port not ready; see $FABRIC_DATA/logs/gateway.log"
      log "gateway ready on http://$FABRIC_HOST:$port"
    done ;;
  stop) stop_bg gateway ;;
  *) die "usage: $0 start|stop" ;;
esac
