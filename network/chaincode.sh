# Chaincode as a service (sourced after network/lib.sh). Every hospital runs its own chaincode server
# for each chaincode, and its peer talks only to it: each hospital packages a connection.json naming
# its own server (so each hospital has its own package id), installs it on its peer and approves the
# shared definition (name, version, sequence) with its package id; one commit makes it live.
# Peer and chaincode server speak mutual TLS: the server's certificate comes from the hospital's CA,
# it accepts only clients with certificates from that CA, and connection.json carries the CA's
# certificate (root_cert) with tls_required and client_auth_required; the peer presents its own TLS
# certificate, which the ccaas builder's release step adds (network/ccaas-builder/bin/release), so no
# key travels in a package.
#
# Two chaincodes: `medrec` (chaincode/) and `putstate` (network/putstate/), a one-line put-state
# contract that the Fabric benchmark uses as the baseline cost of a transaction.

cc_root() { echo "$FABRIC_DATA/chaincode/$1"; }          # NAME
cc_dir() { echo "$(cc_root "$1")/$(lower "$2")"; }       # NAME HOSPITAL
cc_module() { case "$1" in medrec) echo "$ROOT/chaincode" ;; putstate) echo "$ROOT/network/putstate" ;; esac; }
cc_sequence() { cat "$(cc_root "$1")/sequence" 2>/dev/null || echo 1; }
cc_version() { cat "$(cc_root "$1")/version" 2>/dev/null || echo 1; }
cc_tls_dir() { echo "$FABRIC_DATA/orgs/$(lower "$1")/nodes/chaincode/tls"; }
cc_process() { echo "cc-$1-$(lower "$2")-s${3:-$(cc_sequence "$1")}"; } # NAME HOSPITAL [SEQUENCE]

# cc_tls_identity HOSPITAL: the TLS certificate of the hospital's chaincode servers.
cc_tls_identity() {
  local h="$1" secret
  secret="$(random_secret)"
  register "$h" chaincode0 "$secret" client
  enroll_tls "$h" chaincode0 "$secret" "$(cc_tls_dir "$h")" chaincode
}

# cc_package NAME HOSPITAL [SEQUENCE]: the hospital's package for the definition at SEQUENCE
# (metadata.json + code.tar.gz with connection.json) and its package id.
cc_package() {
  local name="$1" h="$2" seq="${3:-$(cc_sequence "$1")}" dir k
  dir="$(cc_dir "$name" "$h")/s$seq"; k="$(hospital_index "$h")"
  mkdir -p "$dir/pkg"
  jq -n --arg a "$(node_host chaincode "$h"):$(chaincode_port "$k" "$name" "$seq")" --rawfile root "$(cc_tls_dir "$h")/ca.crt" \
    '{address: $a, dial_timeout: "10s", tls_required: true, client_auth_required: true, root_cert: $root}' >"$dir/pkg/connection.json"
  jq -n --arg l "${name}_$(cc_version "$name")_$(lower "$h")" '{type: "ccaas", label: $l}' >"$dir/metadata.json"
  tar -C "$dir/pkg" -czf "$dir/code.tar.gz" connection.json
  tar -C "$dir" -czf "$dir/$name.tar.gz" metadata.json code.tar.gz
  as_admin "$h" peer lifecycle chaincode calculatepackageid "$dir/$name.tar.gz" >"$dir/package-id"
}

cc_package_id() { cat "$(cc_dir "$1" "$2")/s${3:-$(cc_sequence "$1")}/package-id"; } # NAME HOSPITAL [SEQUENCE]

cc_install() { # HOSPITAL NAME [SEQUENCE]: on each of the hospital's peers
  local pkg n; pkg="$(cc_dir "$2" "$1")/s${3:-$(cc_sequence "$2")}/$2.tar.gz"
  for n in $(peer_indexes); do
    PEER_INDEX=$n as_admin "$1" peer lifecycle chaincode install "$pkg" >/dev/null 2>&1 ||
      PEER_INDEX=$n as_admin "$1" peer lifecycle chaincode queryinstalled | grep -q "$(cc_package_id "$2" "$1" "${3:-}")" ||
      die "install of $2 on $1's peer$n failed"
  done
}

# cc_approve HOSPITAL NAME [SEQUENCE]: the hospital's admin approves the definition with its own package.
cc_approve() {
  local h="$1" name="$2" seq="${3:-$(cc_sequence "$2")}"
  local via tries=0
  # The peer CLI hands the transaction to one orderer. One that has just restarted (or lost the BFT
  # leader) can accept it and never get it ordered, so an approval not seen on the peer is sent again
  # through the next hospitals' orderers (at most three in all); approving is the same definition
  # each time, and queryapproved is the one test of success.
  for via in "$h" $(hospitals | grep -vx "$h"); do
    [ "$tries" -lt 3 ] || break
    tries=$((tries + 1))
    # shellcheck disable=SC2046
    as_admin "$h" peer lifecycle chaincode approveformyorg $(orderer_args "$h" "$via") --channelID "$FABRIC_CHANNEL" \
      --name "$name" --version "$(cc_version "$name")" --sequence "$seq" --package-id "$(cc_package_id "$name" "$h" "$seq")" \
      --waitForEvent --waitForEventTimeout 90s 2>&1 | grep -v -e '^$' -e 'keepalive ping interval' >&2 || true
    as_admin "$h" peer lifecycle chaincode queryapproved --channelID "$FABRIC_CHANNEL" --name "$name" \
      --sequence "$seq" >/dev/null 2>&1 && return 0
    log "approval of $name by $h not seen after ordering through $via's orderer; sending it again"
  done
  die "approval of $name by $h failed"
}

# cc_commit NAME [SEQUENCE]: one hospital's admin commits, endorsed by every hospital's peer.
cc_commit() {
  local args=() h org first seq="${2:-$(cc_sequence "$1")}"
  first="$(hospitals | head -1)"
  for h in $(hospitals); do
    org="$(lower "$h")"
    args+=(--peerAddresses "$(peer_endpoint "$h")" --tlsRootCertFiles "$FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem")
  done
  # shellcheck disable=SC2046
  as_admin "$first" peer lifecycle chaincode commit $(orderer_args "$first") --channelID "$FABRIC_CHANNEL" \
    --name "$1" --version "$(cc_version "$1")" --sequence "$seq" "${args[@]}" --waitForEvent --waitForEventTimeout 120s 2>&1 |
    { grep -v -e '^$' -e 'keepalive ping interval' >&2 || true; }
}

# cc_server_start NAME HOSPITAL [SEQUENCE]: the hospital's chaincode server for that definition, TLS
# with client authentication against the hospital's CA.
cc_server_start() {
  local name="$1" h="$2" seq="${3:-$(cc_sequence "$1")}" k tls address
  k="$(hospital_index "$h")"; tls="$(cc_tls_dir "$h")"; address="$(listen_host):$(chaincode_port "$k" "$name" "$seq")"
  start_bg "$(cc_process "$name" "$h" "$seq")" "$h" "$(cc_module "$name")" env \
    CORE_CHAINCODE_ID="$(cc_package_id "$name" "$h" "$seq")" CORE_CHAINCODE_ADDRESS="$address" \
    CORE_CHAINCODE_LOGGING_LEVEL=warning \
    node "$ROOT/node_modules/fabric-shim/cli.js" server \
    --chaincode-address "$address" --chaincode-id "$(cc_package_id "$name" "$h" "$seq")" \
    --chaincode-tls-cert-file "$tls/server.crt" --chaincode-tls-key-file "$tls/server.key" \
    --chaincode-tls-client-cacert-file "$tls/ca.crt"
  wait_port "$(cc_process "$name" "$h" "$seq")" "$h" "$(chaincode_port "$k" "$name" "$seq")"
}

# cc_deploy_hospital HOSPITAL NAME: package, server, install and approval of the current definition.
cc_deploy_hospital() {
  cc_package "$2" "$1"
  cc_server_start "$2" "$1"
  cc_install "$1" "$2"
  cc_approve "$1" "$2"
}
