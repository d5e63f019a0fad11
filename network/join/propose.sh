#!/usr/bin/env bash
# network/join/propose.sh <Member> <request-dir> <out-dir>: a member's side. Fetches the channel's
# current configuration from its own orderer and computes the update that adds the joining hospital
# of <request-dir> (network/join/request.sh): its organisation in the Application and Orderer groups
# and its orderer as a consenter (etcdraft: a consenter; SmartBFT: a consenter mapping with the next
# id, and the block validation policy of the new consenter set). Writes, unsigned:
#   <out-dir>/config_block.pb      the configuration the update applies to
#   <out-dir>/update_envelope.pb   the update every member signs (network/join/sign.sh)
#   <out-dir>/update.json          the same, readable, for the members to review before signing
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[ $# -eq 3 ] || die "usage: $0 <Member> <request-dir> <out-dir>"
member="$1" request="$2" out="$3"
mkdir -p "$out"
msp="$(jq -r .msp_id "$request/consenter.json")"

# shellcheck disable=SC2046
as_admin "$member" peer channel fetch config "$out/config_block.pb" -c "$FABRIC_CHANNEL" $(orderer_args "$member") 2>"$out/fetch.log" ||
  die "fetching the channel configuration failed: $(tail -3 "$out/fetch.log")"
configtxlator proto_decode --input "$out/config_block.pb" --type common.Block |
  jq '.data.data[0].payload.data.config' >"$out/config.json"
jq -e --arg m "$msp" '.channel_group.groups.Application.groups | has($m) | not' "$out/config.json" >/dev/null ||
  die "$msp is already a member"

jq --arg m "$msp" --slurpfile app "$request/application-org.json" --slurpfile ord "$request/orderer-org.json" \
  --slurpfile c "$request/consenter.json" '
  .channel_group.groups.Application.groups[$m] = $app[0]
  | .channel_group.groups.Orderer.groups[$m] = $ord[0]
  | if .channel_group.groups.Orderer.values.ConsensusType.value.type == "BFT" then
      .channel_group.groups.Orderer.values.Orderers.value.consenter_mapping |=
        (. + [$c[0] + {id: ((map(.id) | max) + 1)}])
      # SmartBFT requires the block validation policy to be the consenters quorum: a quorum of
      # signatures (ceil((n+f+1)/2), f = floor((n-1)/3)) from the consenters identities, in order.
      | .channel_group.groups.Orderer.values.Orderers.value.consenter_mapping as $cm
      | ($cm | length) as $n | ((($n - 1) / 3) | floor) as $f
      | .channel_group.groups.Orderer.policies.BlockValidation.policy.value = {
          identities: [$cm[] | {principal: {id_bytes: .identity, mspid: .msp_id}, principal_classification: "IDENTITY"}],
          rule: {n_out_of: {n: ((($n + $f + 1) / 2) | ceil), rules: [range(0; $n) | {signed_by: .}]}},
          version: 0}
    else
      .channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters +=
        [$c[0] | {host, port, client_tls_cert, server_tls_cert}]
    end' "$out/config.json" >"$out/modified.json"

configtxlator proto_encode --input "$out/config.json" --type common.Config --output "$out/config.pb"
configtxlator proto_encode --input "$out/modified.json" --type common.Config --output "$out/modified.pb"
configtxlator compute_update --channel_id "$FABRIC_CHANNEL" --original "$out/config.pb" \
  --updated "$out/modified.pb" --output "$out/update.pb"
configtxlator proto_decode --input "$out/update.pb" --type common.ConfigUpdate >"$out/update.json"
jq --arg ch "$FABRIC_CHANNEL" --slurpfile u "$out/update.json" -n \
  '{payload: {header: {channel_header: {channel_id: $ch, type: 2}}, data: {config_update: $u[0]}}}' >"$out/update_envelope.json"
configtxlator proto_encode --input "$out/update_envelope.json" --type common.Envelope --output "$out/update_envelope.pb"
log "update adding $msp: ${out#"$ROOT"/}/update_envelope.pb (review update.json, then each member signs)"
