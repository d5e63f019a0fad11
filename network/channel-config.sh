#!/usr/bin/env bash
# network/channel-config.sh <Hospital>: the channel's current configuration as JSON (configtxlator's
# form), fetched by the hospital's admin from its own orderer. For reviewing and for tests.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -eq 1 ] || die "usage: $0 <Hospital>"
hospital_index "$1" >/dev/null
block="$(mktemp)"
trap 'rm -f "$block"' EXIT
# shellcheck disable=SC2046
as_admin "$1" peer channel fetch config "$block" -c "$FABRIC_CHANNEL" $(orderer_args "$1") 2>/dev/null ||
  die "fetching the channel configuration failed"
configtxlator proto_decode --input "$block" --type common.Block | jq '.data.data[0].payload.data.config'
