#!/usr/bin/env bash
# npm run fabric:add-hospital -- <Name>: a hospital joins the running network as a peer organisation.
#   1. its Fabric CA, identities and peer (as fabric:up makes them for the first hospitals);
#   2. a channel configuration update adding <Name>MSP (network/add-org.cjs edits the configuration,
#      configtxlator computes the update and wraps it in an envelope), signed by the
#      admins of every hospital already on the channel (the Admins policy is MAJORITY Admins);
#   3. its peer joins the channel; the chaincodes are installed and approved by the new organisation.
#      The chaincode definitions refer to the channel's "ANY Endorsement" policy, so the new hospital's
#      peer can endorse without a new definition sequence once its organisation has approved;
#   4. the REST gateways restart to serve it too (on its gatewayPort of network.json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/network/lib.sh"
. "$ROOT/network/hospital.sh"
. "$ROOT/network/chaincode.sh"
. "$CONFIG_SRC/configtx.sh"

[ $# -eq 1 ] || die "usage: npm run fabric:add-hospital -- <Name>   (e.g. Hospital3)"
h="$1"
[[ "$h" =~ ^[A-Z][A-Za-z0-9]{0,30}$ ]] || die "a hospital name is a letter then letters or digits, starting upper-case"
[ -f "$FABRIC_DATA/network.json" ] || die "no network at $FABRIC_DATA: run npm run fabric:up first"
hospitals | grep -qx "$h" && die "$h is already a member"
started=$SECONDS
members=($(hospitals))
first="${members[0]}"
org="$(lower "$h")"
# The gateway serves every member of network.json, so a member without an EHR mapping would stop it.
mapping="$ROOT/gateway/config/hospitals/$org/mapping.json"
[ -f "$mapping" ] || die "$h brings its EHR mapping first: ${mapping#"$ROOT"/} (see docs/ehr.md)"

# Until the channel accepts the new organisation, a failure undoes the local steps, so the command
# can simply be run again.
on_channel=false
rollback() {
  [ "$on_channel" = true ] && return
  log "$h: rolling back"
  stop_bg "peer-$org"; stop_bg "ca-$org"
  grep -vx "$h" "$FABRIC_DATA/hospitals" >"$FABRIC_DATA/hospitals.tmp" || true
  mv "$FABRIC_DATA/hospitals.tmp" "$FABRIC_DATA/hospitals"
  rm -rf "$FABRIC_DATA/orgs/$org" "$FABRIC_DATA/join-$org"
}
trap 'status=$?; [ $status -eq 0 ] || rollback' EXIT

echo "$h" >>"$FABRIC_DATA/hospitals"
hospital_setup "$h"
k="$(hospital_index "$h")"

log "$h: channel configuration update"
work="$FABRIC_DATA/join-$org" # beside config/, so the org's relative MSPDir resolves the same way
mkdir -p "$work"
write_org_configtx "$h" "$k" "$work"
configtxgen -configPath "$work" -printOrg "${h}MSP" >"$work/org.json" 2>"$work/configtxgen.log" ||
  die "configtxgen -printOrg failed: $(tail -3 "$work/configtxgen.log")"

# shellcheck disable=SC2046
as_admin "$first" peer channel fetch config "$work/config_block.pb" -c "$FABRIC_CHANNEL" $(orderer_args) 2>/dev/null
# -printOrg leaves out the anchor peer, without which the hospitals that joined later would never
# learn of each other's peers. An organisation's values are typed by where they sit, so it is encoded
# inside a skeleton config.
jq --arg msp "${h}MSP" --arg host "$FABRIC_HOST" --argjson port "$(peer_port "$k")" \
  '.values.AnchorPeers = {mod_policy: "Admins", version: "0", value: {anchor_peers: [{host: $host, port: $port}]}}
   | {channel_group: {groups: {Application: {groups: {($msp): .}}}}}' "$work/org.json" >"$work/org_config.json"
configtxlator proto_encode --input "$work/org_config.json" --type common.Config --output "$work/org.pb"
node "$ROOT/network/add-org.cjs" "$work/config_block.pb" "$work/org.pb" "${h}MSP" "$work/config.pb" "$work/modified.pb"
configtxlator compute_update --channel_id "$FABRIC_CHANNEL" --original "$work/config.pb" \
  --updated "$work/modified.pb" --output "$work/update.pb"
configtxlator proto_decode --input "$work/update.pb" --type common.ConfigUpdate |
  jq --arg ch "$FABRIC_CHANNEL" '{payload: {header: {channel_header: {channel_id: $ch, type: 2}}, data: {config_update: .}}}' \
    >"$work/update_envelope.json"
configtxlator proto_encode --input "$work/update_envelope.json" --type common.Envelope --output "$work/update_envelope.pb"

# Every current member's admin signs; the last one's `channel update` adds its own signature.
last="${members[${#members[@]}-1]}"
for m in "${members[@]}"; do
  [ "$m" = "$last" ] && continue
  as_admin "$m" peer channel signconfigtx -f "$work/update_envelope.pb" 2>/dev/null
done
# shellcheck disable=SC2046
as_admin "$last" peer channel update -f "$work/update_envelope.pb" -c "$FABRIC_CHANNEL" $(orderer_args) 2>"$work/update.log" ||
  die "channel update refused: $(tail -3 "$work/update.log")"
on_channel=true

log "$h: peer on $(peer_port "$k")"
peer_start "$h"
for i in $(seq 1 30); do
  as_admin "$h" peer channel join -b "$FABRIC_DATA/channel/genesis.block" 2>/dev/null && break
  sleep 1
done
# The new peer catches up from the orderer; wait until it has every block the first member has.
target="$(as_admin "$first" peer channel getinfo -c "$FABRIC_CHANNEL" 2>/dev/null | sed 's/^.*"height":\([0-9]*\).*$/\1/')"
for i in $(seq 1 120); do
  height="$(as_admin "$h" peer channel getinfo -c "$FABRIC_CHANNEL" 2>/dev/null | sed 's/^.*"height":\([0-9]*\).*$/\1/' || echo 0)"
  [ "${height:-0}" -ge "$target" ] && break
  sleep 0.5
done
[ "${height:-0}" -ge "$target" ] || die "$h's peer did not catch up (height ${height:-0} of $target)"

for cc in medrec putstate; do
  log "$h: chaincode $cc"
  cc_install "$h" "$cc"
  cc_approve "$h" "$cc"
done

wait_gossip
write_network_json
log "$h joined $FABRIC_CHANNEL in $((SECONDS - started)) s"

# The gateway process serves every hospital of network.json (each with its EHR mapping,
# gateway/config/hospitals/<key>/, and demo data when it is a demo hospital). It is restarted rather
# than joined by a second process, so that the first hospitals' gatekeepers also trust the new
# hospital's CA; their sessions, accounts and event checkpoints are in gateway.db and survive.
if is_running gateway; then
  gw_started=$SECONDS
  "$ROOT/network/gateway.sh" stop
  "$ROOT/network/gateway.sh" start ||
    die "$h is a member, but the gateway did not start; see $FABRIC_DATA/logs/gateway.log, then network/gateway.sh start"
  log "gateways restarted with $h in $((SECONDS - gw_started)) s; $h's on http://$FABRIC_HOST:$(gateway_port "$k")"
else
  log "no gateway running (fabric:up --no-gateway): network/gateway.sh start serves $h with the others"
fi
