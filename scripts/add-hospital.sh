#!/usr/bin/env bash
# npm run fabric:add-hospital -- <Name>: a hospital joins the running network as a peer organisation
# and an ordering authority, without any process holding two hospitals' admin keys. Each step below
# is its own command, given only what its side has; on several hosts each runs on its own host and
# only files move between them (the request, the unsigned update, the signatures):
#   1. network/join/request.sh <Name>            (the new hospital) CA, identities, join request;
#   2. network/join/propose.sh <Member> …        (one member) the channel update from the request;
#   3. network/join/sign.sh … <its admin MSP>    (each member in turn, its own admin folder only)
#      until the signatures satisfy the channel's Admins policies (MAJORITY of the hospitals);
#   4. network/join/submit.sh <Member> …         (that member) merges and submits them;
#   5. network/join/finish.sh <Name>             (the new hospital) its orderer and peer join and
#      catch up, its chaincode servers start and it approves the definitions with its packages;
#   6. its own REST gateway starts, if it brought an EHR mapping
#      (gateway/config/hospitals/<key>/mapping.json); without one it is an ordering and endorsing
#      member with no REST gateway. The other hospitals' gateways keep running: they follow the
#      channel configuration, so they trust the new hospital's CA from its configuration block on.
# On several hosts (fabric:up -- --hosts) the new hospital first gets its host (network/hosts.sh add).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/network/lib.sh"

[ $# -eq 1 ] || die "usage: npm run fabric:add-hospital -- <Name>   (e.g. Hospital3)"
h="$1"
[[ "$h" =~ ^[A-Z][A-Za-z0-9]{0,30}$ ]] || die "a hospital name is a letter then letters or digits, starting upper-case"
[ -f "$FABRIC_DATA/network.json" ] || die "no network at $FABRIC_DATA: run npm run fabric:up first"
hospitals | grep -qx "$h" && die "$h is already a member"
started=$SECONDS
members=($(hospitals))
proposer="${members[0]}"
org="$(lower "$h")"
work="$FABRIC_DATA/join-$org"

# Until the channel accepts the new organisation, a failure undoes the local steps, so the command
# can simply be run again.
on_channel=false
rollback() {
  [ "$on_channel" = true ] && return
  log "$h: rolling back"
  for p in "$FABRIC_DATA"/pids/*-"$org".pid "$FABRIC_DATA"/pids/cc-*-"$org"-s*.pid; do
    [ -e "$p" ] && stop_bg "$(basename "$p" .pid)"
  done
  grep -vx "$h" "$FABRIC_DATA/hospitals" >"$FABRIC_DATA/hospitals.tmp" || true
  mv "$FABRIC_DATA/hospitals.tmp" "$FABRIC_DATA/hospitals"
  rm -rf "$FABRIC_DATA/orgs/$org" "$work" "$FABRIC_DATA/chaincode"/*/"$org"
}
trap 'status=$?; [ $status -eq 0 ] || rollback' EXIT

if multihost; then
  echo "$h" >>"$FABRIC_DATA/hospitals"
  "$ROOT/network/hosts.sh" add "$h"
fi
"$ROOT/network/join/request.sh" "$h"
log "$h: channel update proposed by $proposer"
"$ROOT/network/join/propose.sh" "$proposer" "$work/request" "$work/update"

signatures=()
for m in "${members[@]}"; do
  sig="$work/update/$(lower "$m").sig"
  # On the member's own host (several hosts): its admin folder is used there and nowhere else.
  on_host "$m" "$ROOT/network/join/sign.sh" "$work/update/update_envelope.pb" "${m}MSP" "$(admin_msp "$m")" "$sig" >/dev/null
  signatures+=("$sig")
  status=0
  "$ROOT/network/join/submit.sh" "$proposer" "$work/update" "${signatures[@]}" || status=$?
  [ $status -eq 0 ] && break
  [ $status -eq 3 ] || exit $status
done
[ $status -eq 0 ] || die "the members' signatures did not satisfy the channel's policy"
on_channel=true

"$ROOT/network/join/finish.sh" "$h"
. "$ROOT/network/hospital.sh"
wait_gossip
write_network_json
log "$h joined $FABRIC_CHANNEL in $((SECONDS - started)) s"

k="$(hospital_index "$h")"
if [ ! -f "$ROOT/gateway/config/hospitals/$org/mapping.json" ]; then
  log "$h brought no EHR mapping (gateway/config/hospitals/$org/mapping.json): no REST gateway for it"
elif ls "$FABRIC_DATA"/pids/gateway-*.pid >/dev/null 2>&1; then
  "$ROOT/network/gateway.sh" start "$h" ||
    die "$h is a member, but its gateway did not start; see $FABRIC_DATA/logs/gateway-$org.log, then network/gateway.sh start $h"
  log "$h's gateway on https://$(node_host gateway "$h"):$(gateway_port "$k")"
else
  log "no gateway running (fabric:up --no-gateway): network/gateway.sh start $h serves it"
fi
