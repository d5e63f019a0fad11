#!/usr/bin/env bash
# npm run fabric:up [-- --bft]: a fresh Fabric network as native processes (no Docker).
#   two hospitals (FABRIC_HOSPITALS), each with a Fabric CA, a peer and its users;
#   an orderer organisation with one etcdraft orderer, or four SmartBFT orderers with --bft;
#   the channel created with the channel participation API (osnadmin, no system channel);
#   chaincodes medrec and putstate as a service, installed, approved by every hospital, committed.
#   the hospitals' REST gateways on the Fabric adapters (network/gateway.sh), unless --no-gateway.
# Writes $FABRIC_DATA/network.json for clients. Stop with npm run fabric:down.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/network/hospital.sh"
. "$ROOT/network/chaincode.sh"
. "$CONFIG_SRC/configtx.sh"

consensus=etcdraft orderers=1 gateways=true
for arg in "$@"; do
  case "$arg" in
    --bft) consensus=BFT orderers=4 ;;
    --no-gateway) gateways=false ;;
    *) die "unknown option $arg" ;;
  esac
done

started=$SECONDS
for bin in peer orderer osnadmin configtxgen configtxlator fabric-ca-server fabric-ca-client; do
  [ -x "$FABRIC_BIN/$bin" ] || { "$ROOT/scripts/install-fabric.sh"; break; }
done

"$ROOT/network/down.sh"
mkdir -p "$FABRIC_DATA/channel"
printf '%s\n' $FABRIC_HOSPITALS >"$FABRIC_DATA/hospitals"
echo "$orderers" >"$FABRIC_DATA/orderers"
echo "$consensus" >"$FABRIC_DATA/consensus"
echo "$FABRIC_PORT_BASE" >"$FABRIC_DATA/port-base"
prepare_config
# This Fabric build picks the orderer's cluster consenter from its local config (Consensus.Type).
[ "$consensus" = BFT ] && sed -i 's/^Consensus:$/Consensus:\n    Type: BFT/' "$FABRIC_DATA/config/orderer.yaml"

log "building chaincode"
(cd "$ROOT" && npx tsc -b chaincode)

# Orderer organisation: its CA, the orderer nodes and an admin for the channel participation API.
log "orderer organisation"
ca_start orderer "$(orderer_ca_port)" "$(orderer_ca_ops_port)"
ca_admin_enroll orderer "$(orderer_ca_port)"
register orderer "$(orderer_ca_port)" admin adminpw admin
enroll orderer "$(orderer_ca_port)" admin adminpw "$FABRIC_DATA/orgs/orderer/users/admin/msp"
enroll_tls orderer "$(orderer_ca_port)" admin adminpw "$FABRIC_DATA/orgs/orderer/users/admin/tls"
for n in $(seq 0 $((orderers - 1))); do
  register orderer "$(orderer_ca_port)" "orderer$n" "orderer${n}pw" orderer
  enroll orderer "$(orderer_ca_port)" "orderer$n" "orderer${n}pw" "$FABRIC_DATA/orgs/orderer/nodes/orderer$n/msp"
  enroll_tls orderer "$(orderer_ca_port)" "orderer$n" "orderer${n}pw" "$FABRIC_DATA/orgs/orderer/nodes/orderer$n/tls"
done
org_msp orderer

for h in $(hospitals); do hospital_setup "$h"; done

log "channel $FABRIC_CHANNEL ($consensus, $orderers orderer(s))"
write_configtx "$consensus"
configtxgen -configPath "$FABRIC_DATA/config" -profile MedrecChannel -channelID "$FABRIC_CHANNEL" \
  -outputBlock "$FABRIC_DATA/channel/genesis.block" 2>"$FABRIC_DATA/logs/configtxgen.log" ||
  die "configtxgen failed: $(tail -3 "$FABRIC_DATA/logs/configtxgen.log")"
for n in $(seq 0 $((orderers - 1))); do orderer_start "$n"; done
for n in $(seq 0 $((orderers - 1))); do
  # shellcheck disable=SC2046
  out="$(osnadmin channel join --channelID "$FABRIC_CHANNEL" --config-block "$FABRIC_DATA/channel/genesis.block" \
    $(osnadmin_args "$n") 2>&1)"
  grep -q 'Status: 201' <<<"$out" || die "orderer$n refused to join $FABRIC_CHANNEL: $out"
done

for h in $(hospitals); do
  log "$h: peer on $(peer_port "$(hospital_index "$h")")"
  peer_start "$h"
done
for h in $(hospitals); do
  for i in $(seq 1 30); do
    as_admin "$h" peer channel join -b "$FABRIC_DATA/channel/genesis.block" 2>/dev/null && break
    sleep 1
  done
  as_admin "$h" peer channel getinfo -c "$FABRIC_CHANNEL" >/dev/null 2>&1 || die "$h did not join $FABRIC_CHANNEL"
done

for cc in medrec putstate; do
  log "chaincode $cc"
  cc_package "$cc"
  cc_server_start "$cc"
  for h in $(hospitals); do cc_install "$h" "$cc"; done
  for h in $(hospitals); do cc_approve "$h" "$cc"; done
  cc_commit "$cc"
done

wait_gossip
write_network_json
if [ "$gateways" = true ]; then "$ROOT/network/gateway.sh" start; fi
log "network up in $((SECONDS - started)) s; clients read $FABRIC_DATA/network.json"
