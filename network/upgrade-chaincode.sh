#!/usr/bin/env bash
# npm run fabric:upgrade-chaincode -- [medrec|putstate] [VERSION]
# A new definition of the chaincode (version VERSION, default the next number; sequence + 1), with the
# code as it is now in the repository: for each hospital, its own new package and chaincode server
# (beside the old one, on the sequence's other port), installed on its peer and approved by that
# hospital's admin; then one commit, endorsed by the hospitals' peers (LifecycleEndorsement: a
# majority). Peers switch to the new servers at commit; the old servers are stopped after it. The
# ledger state is untouched: a definition names code, not data.
# Prints one JSON line: {"chaincode":"medrec","version":"2","sequence":2,"packages":{"Hospital1MSP":"<id>",…}}
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/network/chaincode.sh"

name="${1:-medrec}"
case "$name" in medrec | putstate) ;; *) die "usage: $0 [medrec|putstate] [VERSION]" ;; esac
old="$(cc_sequence "$name")"
new=$((old + 1))
version="${2:-$(($(cc_version "$name") + 1))}"
[[ "$version" =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || die "a version is 1-64 letters, digits or ._+-"
started=$SECONDS

# The committed definition must be the one this folder knows, or someone else upgraded meanwhile.
h1="$(hospitals | head -1)"
committed="$(as_admin "$h1" peer lifecycle chaincode querycommitted --channelID "$FABRIC_CHANNEL" --name "$name" -O json | jq -r .sequence)"
[ "$committed" = "$old" ] || die "the channel has $name at sequence $committed, this folder at $old"

[ "$name" = medrec ] && { log "building chaincode"; (cd "$ROOT" && npx tsc -b chaincode); }
echo "$version" >"$(cc_root "$name")/version.next"
cc_version() { cat "$(cc_root "$1")/version.next"; } # the new definition's version from here on

for h in $(hospitals); do
  log "$h: $name $version (sequence $new)"
  cc_package "$name" "$h" "$new"
  cc_server_start "$name" "$h" "$new"
  cc_install "$h" "$name" "$new"
  cc_approve "$h" "$name" "$new"
done
cc_commit "$name" "$new" >&2
mv "$(cc_root "$name")/version.next" "$(cc_root "$name")/version"
echo "$new" >"$(cc_root "$name")/sequence"
for h in $(hospitals); do stop_bg "$(cc_process "$name" "$h" "$old")"; done
log "$name upgraded to version $version, sequence $new, in $((SECONDS - started)) s"

packages='{}'
for h in $(hospitals); do
  packages="$(jq -c --arg m "${h}MSP" --arg p "$(cc_package_id "$name" "$h" "$new")" '. + {($m): $p}' <<<"$packages")"
done
jq -nc --arg n "$name" --arg v "$version" --argjson s "$new" --argjson p "$packages" '{chaincode: $n, version: $v, sequence: $s, packages: $p}'
