#!/usr/bin/env bash
# network/gateway.sh start|stop [Hospital…]: each hospital's REST gateway, one process per hospital
# (gateway-<org>) on the hospital's own host, over the Fabric adapters; data in
# $FABRIC_DATA/gateway/<org>. Without names: every hospital that brought its EHR mapping
# (gateway/config/hospitals/<key>/mapping.json); a hospital without one (e.g. fabric:up --bft's
# Hospital4) is an ordering and endorsing member with no REST gateway.
# Each process is given gateway-<org>.json: network.json with its own hospital only, so it holds no
# other hospital's identities; it trusts the other members through the channel configuration, which
# it follows (a hospital that joins later is trusted without a restart). `start` waits until /ready.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main="$ROOT/gateway/dist/bin/start.js"
# demo_users: true when fabric:up was asked for the demo's people (--demo-users), else false.
demo_users() { if [ "$(cat "$FABRIC_DATA/demo-users" 2>/dev/null)" = true ]; then echo true; else echo false; fi; }
has_mapping() { [ -f "$ROOT/gateway/config/hospitals/$(lower "$1")/mapping.json" ]; }

# gateway_start HOSPITAL
gateway_start() {
  local h="$1" org k served
  org="$(lower "$h")"; k="$(hospital_index "$h")"; served="$FABRIC_DATA/gateway-$org.json"
  # Only the identities the gateway works as: its registrar and records service; the CA admin's
  # too only with demo users (it enrols their auditors). Never the hospital's channel admin.
  jq --arg m "${h}MSP" --argjson demo "$(demo_users)" '.hospitals |= map(select(.mspId == $m)
    | .users |= with_entries(select(.key == "registrar" or .key == "records-service" or ($demo and .key == "ca-admin"))))' \
    "$FABRIC_DATA/network.json" >"$served"
  start_bg "gateway-$org" "$h" "$ROOT" env MEDREC_FABRIC_NETWORK="$served" MEDREC_SEED_DEMO="$(demo_users)" \
    MEDREC_DATA_DIR="$FABRIC_DATA/gateway" MEDREC_HOST="$(listen_host)" node "$main"
}

# gateway_ready HOSPITAL: /ready on its own host answers 200 (bounded: two minutes).
gateway_ready() {
  local h="$1" port i
  port="$(gateway_port "$(hospital_index "$h")")"
  for i in $(seq 1 240); do
    on_host "$h" curl -fsS -o /dev/null --cacert "$FABRIC_DATA/orgs/$(lower "$h")/msp/tlscacerts/ca.pem" "https://$FABRIC_HOST:$port/ready" 2>/dev/null && {
      log "$h's gateway ready on https://$(node_host gateway "$h"):$port"
      return 0
    }
    is_running "gateway-$(lower "$h")" || die "$h's gateway exited; see $FABRIC_DATA/logs/gateway-$(lower "$h").log"
    sleep 0.5
  done
  die "$h's gateway not ready; see $FABRIC_DATA/logs/gateway-$(lower "$h").log"
}

action="${1:-}"
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for h in $(hospitals); do
    if has_mapping "$h"; then names+=("$h"); elif [ "$action" = start ]; then
      log "$h has no EHR mapping (gateway/config/hospitals/$(lower "$h")/mapping.json): no REST gateway for it"
    fi
  done
fi
case "$action" in
  start)
    [ -f "$main" ] || (cd "$ROOT" && npx tsc -b gateway >/dev/null 2>&1) || true
    [ -f "$main" ] || die "the gateway is not built (npx tsc -b gateway)"
    [ ${#names[@]} -gt 0 ] || die "no hospital of network.json has an EHR mapping"
    mkdir -p "$FABRIC_DATA/gateway" && chmod 700 "$FABRIC_DATA/gateway"
    for h in "${names[@]}"; do
      has_mapping "$h" || die "$h has no EHR mapping"
      gateway_start "$h"
    done
    for h in "${names[@]}"; do gateway_ready "$h"; done ;;
  stop) for h in "${names[@]}"; do stop_bg "gateway-$(lower "$h")"; done ;;
  *) die "usage: $0 start|stop [Hospital…]" ;;
esac
