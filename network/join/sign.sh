#!/usr/bin/env bash
# network/join/sign.sh <update_envelope.pb> <MSP id> <admin MSP folder> <signature out>: one member
# signs a channel configuration update on its own host with its own admin identity, and nothing else:
# Fabric's `peer channel signconfigtx` signs a copy of the envelope, and the signature it added is
# written alone (a ConfigSignature, protobuf) to hand back to whoever submits the update. Needs only
# the Fabric binaries and a core.yaml (FABRIC_CFG_PATH; the network's config folder by default).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ $# -eq 4 ] || { echo "usage: $0 <update_envelope.pb> <MSP id> <admin MSP folder> <signature out>" >&2; exit 2; }
envelope="$1" msp="$2" admin="$3" out="$4"
: "${FABRIC_BIN:=$ROOT/.fabric/bin}"
: "${FABRIC_CFG_PATH:=${FABRIC_DATA:-$ROOT/.fabric/network}/config}"
[ -f "$admin/signcerts/cert.pem" ] || { echo "$admin is not an MSP folder" >&2; exit 2; }
copy="$(mktemp)"
trap 'rm -f "$copy"' EXIT
cp "$envelope" "$copy"
FABRIC_CFG_PATH="$FABRIC_CFG_PATH" FABRIC_LOGGING_SPEC=warn CORE_PEER_LOCALMSPID="$msp" CORE_PEER_MSPCONFIGPATH="$admin" \
  "$FABRIC_BIN/peer" channel signconfigtx -f "$copy"
signer="$(node "$ROOT/network/config-update.cjs" signature "$copy" "$out")"
[ "$signer" = "$msp" ] || { echo "signed as $signer, not $msp" >&2; exit 1; }
echo "$msp signed: $out"
