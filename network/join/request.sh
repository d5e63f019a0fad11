#!/usr/bin/env bash
# network/join/request.sh <Name>: the joining hospital's side, run on its own host. Starts its CA,
# enrols its admin, peer, orderer and users (network/hospital.sh) and writes its join request:
#   $FABRIC_DATA/join-<name>/request/application-org.json  its organisation for the Application group
#                                                          (MSP with its CA certificates, policies, anchor peer)
#   .../orderer-org.json                                   the same for the Orderer group (with its orderer endpoint)
#   .../consenter.json                                     its orderer as a consenter (endpoint, TLS and
#                                                          identity certificates, MSP id)
# Only public material: the members review it, then one of them proposes the channel update from it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$ROOT/network/hospital.sh"
. "$ROOT/network/chaincode.sh"
. "$CONFIG_SRC/configtx.sh"

[ $# -eq 1 ] || die "usage: $0 <Name>"
h="$1" org="$(lower "$1")"
hospitals | grep -qx "$h" || echo "$h" >>"$FABRIC_DATA/hospitals"
k="$(hospital_index "$h")"
hospital_setup "$h"
cc_tls_identity "$h"

# configtxgen resolves the org's relative MSPDir from the folder holding configtx.yaml, which is
# therefore one level below $FABRIC_DATA, like config/.
work="$FABRIC_DATA/join-$org"
out="$work/request"
mkdir -p "$out"
write_org_configtx "$h" "$k" "$work"
configtxgen -configPath "$work" -printOrg "${h}MSP" >"$work/org.json" 2>"$work/configtxgen.log" ||
  die "configtxgen -printOrg failed: $(tail -3 "$work/configtxgen.log")"
# -printOrg leaves out the anchor peer (without which hospitals that joined later never learn of each
# other's peers); the Application group's organisation gets it, the Orderer group's gets the orderer
# endpoint instead, as the channel configuration carries them.
anchors="$(for n in $(peer_indexes); do jq -nc --arg host "$(node_host "peer$n" "$h")" --argjson port "$(peer_port "$k" "$n")" '{host: $host, port: $port}'; done | jq -sc .)"
jq --argjson anchors "$anchors" \
  'del(.values.Endpoints) | .values.AnchorPeers = {mod_policy: "Admins", version: "0", value: {anchor_peers: $anchors}}' \
  "$work/org.json" >"$out/application-org.json"
jq --arg e "$(orderer_endpoint "$h")" \
  'del(.values.AnchorPeers) | .values.Endpoints = {mod_policy: "Admins", version: "0", value: {addresses: [$e]}}' \
  "$work/org.json" >"$out/orderer-org.json"
node="$(orderer_node "$h")"
jq -n --arg msp "${h}MSP" --arg host "$(node_host orderer0 "$h")" --argjson port "$(orderer_port "$k")" \
  --arg tls "$(base64 -w0 "$node/tls/server.crt")" --arg id "$(base64 -w0 "$node/msp/signcerts/cert.pem")" \
  '{msp_id: $msp, host: $host, port: $port, client_tls_cert: $tls, server_tls_cert: $tls, identity: $id}' >"$out/consenter.json"
log "$h: join request in ${out#"$ROOT"/}"
