#!/usr/bin/env bash
# network/join/finish.sh <Name>: the joining hospital's side once the channel has accepted it. Its
# orderer joins the channel with the latest configuration block (it then replicates the chain from
# the other consenters), its peer joins and catches up, and it deploys its chaincode servers and
# approves the committed definitions with its own packages (the definitions' "ANY Endorsement" already
# covers it, so no new sequence is needed). Waits until its orderer and peer have caught up.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$ROOT/network/chaincode.sh"

[ $# -eq 1 ] || die "usage: $0 <Name>"
h="$1" org="$(lower "$1")"
work="$FABRIC_DATA/join-$org"
first="$(hospitals | head -1)"

# The latest configuration block, which names this hospital's orderer as a consenter; fetched with
# the hospital's own admin (a member now) from a member's orderer.
for i in $(seq 1 30); do
  # shellcheck disable=SC2046
  as_admin "$h" peer channel fetch config "$work/latest_config.pb" -c "$FABRIC_CHANNEL" $(orderer_args "$first") 2>/dev/null &&
    configtxlator proto_decode --input "$work/latest_config.pb" --type common.Block |
      jq -e --arg m "${h}MSP" '.data.data[0].payload.data.config.channel_group.groups.Orderer.groups | has($m)' >/dev/null && break
  sleep 1
done
log "$h: orderer on $(orderer_endpoint "$h")"
orderer_start "$h"
[ "$(orderer_height "$h")" -gt 0 ] || orderer_join "$h" "$work/latest_config.pb"

log "$h: peers on $(for n in $(peer_indexes); do peer_endpoint "$h" "$n"; done | paste -sd' ')"
peers_start "$h"
for n in $(peer_indexes); do
  for i in $(seq 1 30); do
    PEER_INDEX=$n as_admin "$h" peer channel getinfo -c "$FABRIC_CHANNEL" >/dev/null 2>&1 && break
    PEER_INDEX=$n as_admin "$h" peer channel join -b "$FABRIC_DATA/channel/genesis.block" 2>/dev/null && break
    sleep 1
  done
done
# The new peers and orderer catch up; wait until they have every block the first member has.
target="$(peer_height "$first")"
for n in $(peer_indexes); do
  for i in $(seq 1 240); do
    height="$(peer_height "$h" "$n")"
    oheight="$(orderer_height "$h")"
    [ "${height:-0}" -ge "$target" ] && [ "${oheight:-0}" -ge "$target" ] && break
    sleep 0.5
  done
  [ "${height:-0}" -ge "$target" ] || die "$h's peer$n did not catch up (height ${height:-0} of $target)"
  [ "${oheight:-0}" -ge "$target" ] || die "$h's orderer did not catch up (height ${oheight:-0} of $target)"
done

for cc in medrec putstate; do
  log "$h: chaincode $cc"
  cc_deploy_hospital "$h" "$cc"
done
