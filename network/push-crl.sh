#!/usr/bin/env bash
# npm run fabric:push-crl -- <Hospital>   (network/push-crl.sh <Hospital>)
# Revocation reaches the peers: takes the hospital's current CRL from its Fabric CA
# (`fabric-ca-client gencrl`, as the hospital's admin, who holds hf.GenCRL) and puts it into the
# hospital's MSP definition in the channel configuration (revocation_list, in the Application group
# and, the hospitals being orderer organisations too, the identical one in the Orderer group). An
# organisation's MSP value is governed by its own Admins, so the update is signed by that hospital's
# admin alone and submitted through its own orderer. Waits until every peer of the network has
# committed the configuration block: from then on the peers refuse the revoked certificates.
# Prints one JSON line:
#   {"hospital":"Hospital1","mspId":"Hospital1MSP","revokedSerials":["<hex>",…],"crlSha256":"<hex>",
#    "thisUpdate":"<ISO 8601>","blockNumber":<config block>,"unchanged":false}
# ("unchanged": true, no new block, and the channel's CRL described, when the channel already carries a CRL
# revoking the same certificates: a CA signs a new CRL at every request). Exit code non-zero,
# with the reason on stderr, when the CA, the orderer or the policy refuses.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -eq 1 ] || die "usage: $0 <Hospital>"
h="$1" org="$(lower "$1")"
admin="$FABRIC_DATA/orgs/$org/users/admin"
work="$FABRIC_DATA/crl/$org"
rm -rf "$work" && mkdir -p "$work"

# 1. The CA's CRL, signed by the CA (every revoked certificate not yet expired).
rm -rf "$admin/msp/crls"
ca_client "$h" gencrl -H "$admin" -M "$admin/msp" -u "$(ca_url "$h")" \
  --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")"
crl="$admin/msp/crls/crl.pem"
[ -s "$crl" ] || die "the CA returned no CRL"
openssl crl -in "$crl" -noout -CAfile "$(ca_cert "$org")" 2>/dev/null || die "the CRL does not verify against $h's CA"

# 2. The channel configuration with the CRL in the hospital's MSP value(s).
# shellcheck disable=SC2046
as_admin "$h" peer channel fetch config "$work/config_block.pb" -c "$FABRIC_CHANNEL" $(orderer_args "$h") 2>"$work/fetch.log" ||
  die "fetching the channel configuration failed: $(tail -3 "$work/fetch.log")"
configtxlator proto_decode --input "$work/config_block.pb" --type common.Block |
  jq '.data.data[0].payload.data.config' >"$work/config.json"
jq --arg m "${h}MSP" --arg crl "$(base64 -w0 "$crl")" '
  reduce ("Application", "Orderer") as $g (.;
    if .channel_group.groups[$g].groups[$m] then
      .channel_group.groups[$g].groups[$m].values.MSP.value.config.revocation_list = [$crl]
    else . end)' "$work/config.json" >"$work/modified.json"
jq -e --arg m "${h}MSP" '.channel_group.groups.Application.groups | has($m)' "$work/config.json" >/dev/null ||
  die "${h}MSP is not in the channel"

crl_serials() { openssl crl -in "$1" -noout -text | sed -n 's/^ *Serial Number: *//p' | tr 'A-F' 'a-f' | sort | jq -R . | jq -sc .; }
serials="$(crl_serials "$crl")"
result() { # CRL_FILE BLOCK UNCHANGED
  jq -nc --arg h "$h" --arg m "${h}MSP" --argjson s "$(crl_serials "$1")" --arg sha "$(sha256sum "$1" | cut -d' ' -f1)" \
    --arg t "$(date -u -d "$(openssl crl -in "$1" -noout -lastupdate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
    --argjson b "$2" --argjson u "$3" \
    '{hospital: $h, mspId: $m, revokedSerials: $s, crlSha256: $sha, thisUpdate: $t, blockNumber: $b, unchanged: $u}'
}

# A CA issues a new CRL (new date, new signature) at every request; the channel is changed only when
# the revoked certificates differ from those of the CRL it carries.
jq -r --arg m "${h}MSP" '.channel_group.groups.Application.groups[$m].values.MSP.value.config.revocation_list[0] // empty' \
  "$work/config.json" | base64 -d >"$work/channel-crl.pem"
if [ -s "$work/channel-crl.pem" ] && [ "$(crl_serials "$work/channel-crl.pem")" = "$serials" ]; then
  result "$work/channel-crl.pem" "$(configtxlator proto_decode --input "$work/config_block.pb" --type common.Block | jq '.header.number | tonumber')" true
  exit 0
fi

configtxlator proto_encode --input "$work/config.json" --type common.Config --output "$work/config.pb"
configtxlator proto_encode --input "$work/modified.json" --type common.Config --output "$work/modified.pb"
configtxlator compute_update --channel_id "$FABRIC_CHANNEL" --original "$work/config.pb" \
  --updated "$work/modified.pb" --output "$work/update.pb"
configtxlator proto_decode --input "$work/update.pb" --type common.ConfigUpdate |
  jq --arg ch "$FABRIC_CHANNEL" '{payload: {header: {channel_header: {channel_id: $ch, type: 2}}, data: {config_update: .}}}' \
    >"$work/update_envelope.json"
configtxlator proto_encode --input "$work/update_envelope.json" --type common.Envelope --output "$work/update_envelope.pb"

# 3. Signed and submitted by the hospital's own admin (`peer channel update` signs it).
# shellcheck disable=SC2046
as_admin "$h" peer channel update -f "$work/update_envelope.pb" -c "$FABRIC_CHANNEL" $(orderer_args "$h") 2>"$work/update.log" ||
  die "channel update refused: $(tail -3 "$work/update.log")"

# 4. The new configuration block, as the hospital's orderer serves it; then every running peer has
# committed it (their heights, read from their operations endpoints).
sequence="$(jq -r '.sequence' "$work/config.json")"
for i in $(seq 1 240); do
  # shellcheck disable=SC2046
  as_admin "$h" peer channel fetch config "$work/new_config.pb" -c "$FABRIC_CHANNEL" $(orderer_args "$h") 2>/dev/null &&
    configtxlator proto_decode --input "$work/new_config.pb" --type common.Block >"$work/new_config.json" &&
    [ "$(jq -r '.data.data[0].payload.data.config.sequence' "$work/new_config.json")" -gt "$sequence" ] && break
  sleep 0.5
done
block="$(jq -r '.header.number' "$work/new_config.json")"
[ "$(jq -r '.data.data[0].payload.data.config.sequence' "$work/new_config.json")" -gt "$sequence" ] ||
  die "the orderer did not produce the configuration block"
for m in $(hospitals); do
  for n in $(peer_indexes); do
    is_running "$(peer_process "$m" "$n")" || continue
    for i in $(seq 1 240); do
      [ "$(peer_height "$m" "$n")" -gt "$block" ] && break
      sleep 0.5
    done
    [ "$(peer_height "$m" "$n")" -gt "$block" ] || die "$m's peer$n did not commit the configuration block $block"
  done
done
result "$crl" "$block" false
