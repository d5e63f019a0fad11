#!/usr/bin/env bash
# npm run fabric:up [-- --bft] [--no-gateway] [--demo-users] [--hosts] [--peers N]: a fresh Fabric network as native
# processes (no Docker).
#   the hospitals (FABRIC_HOSPITALS; --bft: FABRIC_BFT_HOSPITALS, four), each with its Fabric CA,
#   its peers (--peers N or FABRIC_PEERS, default one), an orderer (the hospitals are the ordering
#   authorities: etcdraft below four, SmartBFT from four), chaincode servers and its users;
#   the channel created with the channel participation API (osnadmin, no system channel);
#   chaincodes medrec and putstate as a service, each hospital with its own server, installed,
#   approved by every hospital, committed;
#   each hospital's REST gateway if it has an EHR mapping (network/gateway.sh), unless --no-gateway;
#   without --demo-users it has no demo people (known passwords) and never the CA admin's key: its
#   registrar (password generated into its data folder) vouches for people by activation code.
# --hosts: every hospital on a host of its own — a network namespace of this machine made by
#   network/hosts.sh (prefix FABRIC_NETNS, default "medrec"), its nodes reached by name.
# Writes $FABRIC_DATA/network.json for clients. Stop with npm run fabric:down.
set -euo pipefail
FABRIC_FRESH=1
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/network/hospital.sh"
. "$ROOT/network/chaincode.sh"
. "$CONFIG_SRC/configtx.sh"

gateways=true hosts=false demo=false
while [ $# -gt 0 ]; do
  case "$1" in
    --bft) FABRIC_HOSPITALS="$FABRIC_BFT_HOSPITALS" ;;
    --no-gateway) gateways=false ;;
    --demo-users) demo=true ;;
    --hosts) hosts=true ;;
    --peers) FABRIC_PEERS="${2:-}"; shift ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
[[ "$FABRIC_PEERS" =~ ^[1-4]$ ]] || die "--peers takes 1 to 4"
if [ "$hosts" = true ]; then FABRIC_NETNS="${FABRIC_NETNS:-medrec}"; else FABRIC_NETNS=""; fi

started=$SECONDS
"$ROOT/scripts/install-fabric.sh" >/dev/null

"$ROOT/network/down.sh"
mkdir -p "$FABRIC_DATA/channel" "$FABRIC_DATA/logs"
chmod 700 "$FABRIC_DATA"
printf '%s\n' $FABRIC_HOSPITALS >"$FABRIC_DATA/hospitals"
consensus="$(consensus_for "$(hospitals | wc -l)")"
echo "$consensus" >"$FABRIC_DATA/consensus"
echo "$FABRIC_PORT_BASE" >"$FABRIC_DATA/port-base"
echo "$FABRIC_PEERS" >"$FABRIC_DATA/peers"
echo "$demo" >"$FABRIC_DATA/demo-users"
if multihost; then
  echo "$FABRIC_NETNS" >"$FABRIC_DATA/netns"
  "$ROOT/network/hosts.sh" create
fi
prepare_config

log "building chaincode"
(cd "$ROOT" && npx tsc -b chaincode)

for h in $(hospitals); do hospital_setup "$h"; cc_tls_identity "$h"; done

log "channel $FABRIC_CHANNEL ($consensus, one orderer per hospital)"
write_configtx "$consensus"
configtxgen -configPath "$FABRIC_DATA/config" -profile MedrecChannel -channelID "$FABRIC_CHANNEL" \
  -outputBlock "$FABRIC_DATA/channel/genesis.block" 2>"$FABRIC_DATA/logs/configtxgen.log" ||
  die "configtxgen failed: $(tail -3 "$FABRIC_DATA/logs/configtxgen.log")"
for h in $(hospitals); do orderer_start "$h"; done
# Each hospital's admin joins its own orderer (its channel participation API trusts only its own CA).
for h in $(hospitals); do orderer_join "$h" "$FABRIC_DATA/channel/genesis.block"; done

for h in $(hospitals); do
  log "$h: peers on $(for n in $(peer_indexes); do peer_endpoint "$h" "$n"; done | paste -sd' ')"
  peers_start "$h"
done
for h in $(hospitals); do
  for n in $(peer_indexes); do
    for i in $(seq 1 30); do
      PEER_INDEX=$n as_admin "$h" peer channel join -b "$FABRIC_DATA/channel/genesis.block" 2>/dev/null && break
      sleep 1
    done
    PEER_INDEX=$n as_admin "$h" peer channel getinfo -c "$FABRIC_CHANNEL" >/dev/null 2>&1 || die "$h's peer$n did not join $FABRIC_CHANNEL"
  done
done

for cc in medrec putstate; do
  log "chaincode $cc"
  mkdir -p "$(cc_root "$cc")" && echo 1 >"$(cc_root "$cc")/sequence" && echo 1 >"$(cc_root "$cc")/version"
  for h in $(hospitals); do cc_deploy_hospital "$h" "$cc"; done
  cc_commit "$cc"
done

wait_gossip
write_network_json
if [ "$gateways" = true ]; then "$ROOT/network/gateway.sh" start; fi
log "network up in $((SECONDS - started)) s; clients read $FABRIC_DATA/network.json"
