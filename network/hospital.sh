# A hospital organisation: its CA, identities, MSP and peer (sourced after network/lib.sh).

# Identities every hospital gets at start. Users carry the certificate attributes the chaincode reads
# (`role`, `hospital`); the admin is a NodeOU admin (channel and lifecycle operations). The admin and
# the registrar may register client identities with those attributes (the gateway's FabricCaIdentity).
# The admin may also revoke and issue the CA's CRL (network/push-crl.sh).
hospital_identities() { # HOSPITAL
  local h="$1"
  echo "admin admin role=admin:ecert,hospital=$h:ecert,\"hf.Registrar.Roles=client,peer\",hf.Registrar.Attributes=*,hf.Revoker=true,hf.GenCRL=true"
  echo "records-service client role=provider:ecert,hospital=$h:ecert"
  echo "registrar client role=registrar:ecert,hospital=$h:ecert,hf.Registrar.Roles=client,\"hf.Registrar.Attributes=role,hospital\",hf.Revoker=true"
  echo "auditor client role=auditor:ecert,hospital=$h:ecert"
}

# hospital_setup HOSPITAL: CA up; its admin, peer and orderer nodes and users registered (one-time
# random secrets, not kept) and enrolled; org MSP written. Everything here is the hospital's own: on
# several hosts it runs on the hospital's host alone.
hospital_setup() {
  local h="$1" org dir n
  org="$(lower "$h")"; dir="$FABRIC_DATA/orgs/$org"
  log "$h: CA on $(ca_url "$h")"
  ca_start "$h"
  ca_admin_enroll "$h"
  for n in $(peer_indexes); do node_identity "$h" "peer$n" peer "$dir/nodes/peer$n"; done
  node_identity "$h" orderer0 orderer "$dir/nodes/orderer0"
  # The REST gateway's HTTPS server certificate, from the CA's TLS profile (what other hospitals'
  # gateways verify against this MSP's tls_root_certs in the channel configuration).
  node_identity "$h" gateway client "$dir/nodes/gateway"
  local name type attrs secret
  while read -r name type attrs; do
    secret="$(random_secret)"
    register "$h" "$name" "$secret" "$type" "$attrs"
    enroll "$h" "$name" "$secret" "$dir/users/$name/msp"
    # The admin also gets a TLS client certificate: its orderer's channel participation API wants one.
    if [ "$name" = admin ]; then enroll_tls "$h" "$name" "$secret" "$dir/users/$name/tls"; fi
  done < <(hospital_identities "$h")
  org_msp "$org"
}

# The part of network.json that describes one hospital: endpoints (host names on several hosts), CA
# certificates and the paths of its staff's certificate and key files (0600). No secret is written
# here. `peer` is its first peer; `peers` all of them, in the order its gateway tries them.
hospital_json() { # HOSPITAL
  local h="$1" org k dir n peers='[]'
  org="$(lower "$h")"; k="$(hospital_index "$h")"; dir="$FABRIC_DATA/orgs/$org"
  local users='{}' name
  for name in "$FABRIC_CA_ADMIN" admin records-service registrar auditor; do
    users="$(jq -c --arg n "$name" --arg c "$dir/users/$name/msp/signcerts/cert.pem" \
      --arg k "$dir/users/$name/msp/keystore/key.pem" '. + {($n): {certificate: $c, privateKey: $k}}' <<<"$users")"
  done
  for n in $(peer_indexes); do
    peers="$(jq -c --arg e "$(peer_endpoint "$h" "$n")" --arg tlsCa "$dir/msp/tlscacerts/ca.pem" \
      --arg ops "http://$(node_host "peer$n" "$h"):$(peer_ops_port "$k" "$n")" --arg p "$(peer_process "$h" "$n")" \
      --arg alias "$(multihost || echo localhost)" \
      '. + [{endpoint: $e, tlsCaCert: $tlsCa, operations: $ops, process: $p} + (if $alias == "" then {} else {hostAlias: $alias} end)]' <<<"$peers")"
  done
  jq -n --arg name "$h" --arg org "$org" --arg msp "${h}MSP" --argjson peers "$peers" --arg tlsCa "$dir/msp/tlscacerts/ca.pem" \
    --arg orderer "$(orderer_endpoint "$h")" --arg ordererOps "http://$(node_host orderer0 "$h"):$(orderer_ops_port "$k")" \
    --arg ca "$(ca_url "$h")" --arg caName "ca-$org" --arg caTls "$(ca_cert "$org")" \
    --argjson gw "$(gateway_port "$k")" --arg gwUrl "https://$(node_host gateway "$h"):$(gateway_port "$k")" \
    --arg gwCert "$dir/nodes/gateway/tls/server.crt" --arg gwKey "$dir/nodes/gateway/tls/server.key" \
    --arg netns "$(multihost && netns_of "$h")" --argjson users "$users" \
    '{name: $name, key: $org, mspId: $msp, peer: $peers[0], peers: $peers,
      orderer: {endpoint: $orderer, tlsCaCert: $tlsCa, operations: $ordererOps, process: ("orderer-" + $org)},
      ca: {url: $ca, caName: $caName, tlsCaCert: $caTls},
      gatewayPort: $gw, gatewayUrl: $gwUrl, gatewayTls: {certificate: $gwCert, privateKey: $gwKey}, users: $users} + (if $netns == "" then {} else {netns: $netns} end)'
}

write_network_json() {
  local h parts=()
  for h in $(hospitals); do parts+=("$(hospital_json "$h")"); done
  printf '%s\n' "${parts[@]}" | jq -s --arg ch "$FABRIC_CHANNEL" --arg cc "$FABRIC_CHAINCODE" \
    --arg data "$FABRIC_DATA" --arg root "$ROOT" --arg consensus "$(consensus)" \
    '{channel: $ch, chaincode: $cc, dataDir: $data, root: $root, consensus: $consensus,
      orderers: [.[] | .orderer + {mspId: .mspId}], hospitals: .}' >"$FABRIC_DATA/network.json"
}
