# Chaincode as a service (sourced after network/lib.sh): packaged once, the same package installed on
# every peer, approved by every hospital, committed; the peers' external builder (network/ccaas-builder)
# connects to a chaincode server run with `fabric-chaincode-node server`.
#
# Two chaincodes: `medrec` (chaincode/) and `putstate` (network/putstate/), a one-line put-state
# contract that the Fabric benchmark uses as the baseline cost of a transaction.

cc_dir() { echo "$FABRIC_DATA/chaincode/$1"; }
cc_module() { case "$1" in medrec) echo "$ROOT/chaincode" ;; putstate) echo "$ROOT/network/putstate" ;; esac; }

# cc_package NAME: writes NAME.tar.gz (metadata.json + code.tar.gz with connection.json) and its id.
cc_package() {
  local name="$1" dir
  dir="$(cc_dir "$name")"
  mkdir -p "$dir/pkg"
  jq -n --arg a "$FABRIC_HOST:$(chaincode_port "$name")" '{address: $a, dial_timeout: "10s", tls_required: false}' >"$dir/pkg/connection.json"
  jq -n --arg l "${name}_1" '{type: "ccaas", label: $l}' >"$dir/metadata.json"
  tar -C "$dir/pkg" -czf "$dir/code.tar.gz" connection.json
  tar -C "$dir" -czf "$dir/$name.tar.gz" metadata.json code.tar.gz
  as_admin "$(hospitals | head -1)" peer lifecycle chaincode calculatepackageid "$dir/$name.tar.gz" >"$dir/package-id"
}

cc_package_id() { cat "$(cc_dir "$1")/package-id"; }

cc_install() { # HOSPITAL NAME
  as_admin "$1" peer lifecycle chaincode install "$(cc_dir "$2")/$2.tar.gz" >/dev/null 2>&1 ||
    as_admin "$1" peer lifecycle chaincode queryinstalled | grep -q "$(cc_package_id "$2")" ||
    die "install of $2 on $1 failed"
}

cc_sequence() { cat "$(cc_dir "$1")/sequence" 2>/dev/null || echo 1; }

cc_approve() { # HOSPITAL NAME
  # shellcheck disable=SC2046
  as_admin "$1" peer lifecycle chaincode approveformyorg $(orderer_args) --channelID "$FABRIC_CHANNEL" \
    --name "$2" --version 1 --sequence "$(cc_sequence "$2")" --package-id "$(cc_package_id "$2")" \
    --waitForEvent 2>&1 | grep -v '^$' >&2 || true
  as_admin "$1" peer lifecycle chaincode queryapproved --channelID "$FABRIC_CHANNEL" --name "$2" \
    --sequence "$(cc_sequence "$2")" >/dev/null 2>&1 || die "approval of $2 by $1 failed"
}

cc_commit() { # NAME
  local args=() h org
  for h in $(hospitals); do
    org="$(lower "$h")"
    args+=(--peerAddresses "$FABRIC_HOST:$(peer_port "$(hospital_index "$h")")" --tlsRootCertFiles "$FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem")
  done
  # shellcheck disable=SC2046
  as_admin "$(hospitals | head -1)" peer lifecycle chaincode commit $(orderer_args) --channelID "$FABRIC_CHANNEL" \
    --name "$1" --version 1 --sequence "$(cc_sequence "$1")" "${args[@]}" --waitForEvent
}

cc_server_start() { # NAME
  local name="$1"
  start_bg "cc-$name" "$(cc_module "$name")" env CORE_CHAINCODE_ID="$(cc_package_id "$name")" \
    CORE_CHAINCODE_ADDRESS="$FABRIC_HOST:$(chaincode_port "$name")" CORE_CHAINCODE_LOGGING_LEVEL=warning \
    node "$ROOT/node_modules/fabric-shim/cli.js" server \
    --chaincode-address "$FABRIC_HOST:$(chaincode_port "$name")" --chaincode-id "$(cc_package_id "$name")"
  wait_port "cc-$name" "$(chaincode_port "$name")"
}
