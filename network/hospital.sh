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
  local h="$1" org k port dir
  org="$(lower "$h")"; k="$(hospital_index "$h")"; port="$(ca_port "$k")"; dir="$FABRIC_DATA/orgs/$org"
  log "$h: CA on $port"
  ca_start "$org" "$port" "$(ca_ops_port "$k")"
  ca_admin_enroll "$org" "$port"
  node_identity "$org" "$port" peer0 peer "$dir/nodes/peer0"
  node_identity "$org" "$port" orderer0 orderer "$dir/nodes/orderer0"
  local name type attrs secret
  while read -r name type attrs; do
    secret="$(random_secret)"
    register "$org" "$port" "$name" "$secret" "$type" "$attrs"
    enroll "$org" "$port" "$name" "$secret" "$dir/users/$name/msp"
    # The admin also gets a TLS client certificate: its orderer's channel participation API wants one.
    if [ "$name" = admin ]; then enroll_tls "$org" "$port" "$name" "$secret" "$dir/users/$name/tls"; fi
  done < <(hospital_identities "$h")
  org_msp "$org"
}

# The part of network.json that describes one hospital: endpoints, CA certificates and the paths of
# its staff's certificate and key files (0600). No secret is written here.
hospital_json() { # HOSPITAL
  local h="$1" org k dir
  org="$(lower "$h")"; k="$(hospital_index "$h")"; dir="$FABRIC_DATA/orgs/$org"
  local users='{}' name
  for name in "$FABRIC_CA_ADMIN" admin records-service registrar auditor; do
    users="$(jq -c --arg n "$name" --arg c "$dir/users/$name/msp/signcerts/cert.pem" \
      --arg k "$dir/users/$name/msp/keystore/key.pem" '. + {($n): {certificate: $c, privateKey: $k}}' <<<"$users")"
  done
  jq -n --arg name "$h" --arg org "$org" --arg msp "${h}MSP" \
    --arg peer "$FABRIC_HOST:$(peer_port "$k")" --arg tlsCa "$dir/msp/tlscacerts/ca.pem" \
    --arg ops "http://$FABRIC_HOST:$(peer_ops_port "$k")" \
    --arg orderer "$FABRIC_HOST:$(orderer_port "$k")" --arg ordererOps "http://$FABRIC_HOST:$(orderer_ops_port "$k")" \
    --arg ca "https://$FABRIC_HOST:$(ca_port "$k")" --arg caName "ca-$org" --arg caTls "$(ca_cert "$org")" \
    --argjson gw "$(gateway_port "$k")" --argjson users "$users" \
    '{name: $name, key: $org, mspId: $msp,
      peer: {endpoint: $peer, tlsCaCert: $tlsCa, hostAlias: "localhost", operations: $ops, process: ("peer-" + $org)},
      orderer: {endpoint: $orderer, tlsCaCert: $tlsCa, operations: $ordererOps, process: ("orderer-" + $org)},
      ca: {url: $ca, caName: $caName, tlsCaCert: $caTls},
      gatewayPort: $gw, users: $users}'
}

write_network_json() {
  local h parts=()
  for h in $(hospitals); do parts+=("$(hospital_json "$h")"); done
  printf '%s\n' "${parts[@]}" | jq -s --arg ch "$FABRIC_CHANNEL" --arg cc "$FABRIC_CHAINCODE" \
    --arg data "$FABRIC_DATA" --arg root "$ROOT" --arg consensus "$(consensus)" \
    '{channel: $ch, chaincode: $cc, dataDir: $data, root: $root, consensus: $consensus,
      orderers: [.[] | .orderer + {mspId: .mspId}], hospitals: .}' >"$FABRIC_DATA/network.json"
}
