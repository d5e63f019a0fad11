#!/usr/bin/env bash
# network/join/submit.sh <Member> <dir> <signature>...: once the members' signatures satisfy the
# channel's Admins policies (network/config-update.cjs enough), merges them into <dir>'s update and
# submits it through the member's own orderer. `peer channel update` adds the submitting member's
# own signature. Exit code 3 (nothing submitted) while signatures are missing.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[ $# -ge 2 ] || die "usage: $0 <Member> <dir> <signature>..."
member="$1" dir="$2"; shift 2
status=0
node "$ROOT/network/config-update.cjs" enough "$dir/config_block.pb" "$@" >"$dir/enough.json" || status=$?
[ $status -eq 0 ] || { [ $status -eq 3 ] && { log "not enough signatures yet: $(cat "$dir/enough.json")"; exit 3; }; die "checking signatures failed"; }
node "$ROOT/network/config-update.cjs" merge "$dir/update_envelope.pb" "$dir/signed_envelope.pb" "$@"
# shellcheck disable=SC2046
as_admin "$member" peer channel update -f "$dir/signed_envelope.pb" -c "$FABRIC_CHANNEL" $(orderer_args "$member") 2>"$dir/update.log" ||
  die "channel update refused: $(grep -v "keepalive ping" "$dir/update.log" | tail -3)"
log "update submitted with the signatures of $(jq -r '.signed | join(", ")' "$dir/enough.json")"
