#!/usr/bin/env bash
# network/gateway.sh start|stop: the hospitals' REST gateways (gateway/dist/bin/start.js, one process
# serving each hospital on its own port) on the Fabric adapters; data in $FABRIC_DATA/gateway.
# A hospital has a REST gateway only if it brought its EHR mapping
# (gateway/config/hospitals/<key>/mapping.json): the process is given gateway-network.json, which is
# network.json without the hospitals that have none (e.g. fabric:up --bft's Hospital4, an ordering
# and endorsing member without an EHR). `start` waits until every gateway's /ready answers.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main="$ROOT/gateway/dist/bin/start.js"
served="$FABRIC_DATA/gateway-network.json"
case "${1:-}" in
  start)
    [ -f "$main" ] || (cd "$ROOT" && npx tsc -b gateway >/dev/null 2>&1) || true
    [ -f "$main" ] || die "the gateway is not built (npx tsc -b gateway)"
    mkdir -p "$FABRIC_DATA/gateway"
    keys=()
    for key in $(jq -r '.hospitals[].key' "$FABRIC_DATA/network.json"); do
      [ -f "$ROOT/gateway/config/hospitals/$key/mapping.json" ] && keys+=("$key")
    done
    [ ${#keys[@]} -gt 0 ] || die "no hospital of network.json has an EHR mapping"
    jq --argjson keys "$(printf '%s\n' "${keys[@]}" | jq -R . | jq -s .)" \
      '.hospitals |= map(select(.key as $k | $keys | index($k)))' "$FABRIC_DATA/network.json" >"$served"
    start_bg gateway "$ROOT" env MEDREC_FABRIC_NETWORK="$served" \
      MEDREC_DATA_DIR="$FABRIC_DATA/gateway" MEDREC_HOST="$FABRIC_HOST" node "$main"
    for port in $(jq -r '.hospitals[].gatewayPort' "$served"); do
      for i in $(seq 1 240); do
        curl -fsS -o /dev/null "http://$FABRIC_HOST:$port/ready" 2>/dev/null && break
        is_running gateway || die "the gateway exited; see $FABRIC_DATA/logs/gateway.log"
        sleep 0.5
      done
      curl -fsS -o /dev/null "http://$FABRIC_HOST:$port/ready" || die "gateway on $port not ready; see $FABRIC_DATA/logs/gateway.log"
      log "gateway ready on http://$FABRIC_HOST:$port"
    done
    for key in $(jq -r '.hospitals[].key' "$FABRIC_DATA/network.json"); do
      jq -e --arg k "$key" '.hospitals | any(.key == $k)' "$served" >/dev/null ||
        log "$key has no EHR mapping (gateway/config/hospitals/$key/mapping.json): no REST gateway for it"
    done ;;
  stop) stop_bg gateway ;;
  *) die "usage: $0 start|stop" ;;
esac
