# A hospital organisation: its CA, identities, MSP and peer (sourced after network/lib.sh).

# Identities every hospital gets at start. Users carry the certificate attributes the chaincode reads
# (`role`, `hospital`); the admin is a NodeOU admin (channel and lifecycle operations). The admin and
# the registrar may register client identities with those attributes (the gateway's FabricCaIdentity).
hospital_identities() { # HOSPITAL
  local h="$1"
  echo "admin admin role=admin:ecert,hospital=$h:ecert,\"hf.Registrar.Roles=client,peer\",hf.Registrar.Attributes=*,hf.Revoker=true"
  echo "records-service client role=provider:ecert,hospital=$h:ecert"
  echo "registrar client role=registrar:ecert,hospital=$h:ecert,hf.Registrar.Roles=client,\"hf.Registrar.Attributes=role,hospital\",hf.Revoker=true"
  echo "auditor client role=auditor:ecert,hospital=$h:ecert"
}

# hospital_setup HOSPITAL: CA up, identities registered and enrolled, org MSP written.
hospital_setup() {
  local h="$1" org k port
  org="$(lower "$h")"; k="$(hospital_index "$h")"; port="$(ca_port "$k")"
  log "$h: CA on $port"
  ca_start "$org" "$port" "$(ca_ops_port "$k")"
  ca_admin_enroll "$org" "$port"
  register "$org" "$port" peer0 peer0pw peer
  enroll "$org" "$port" peer0 peer0pw "$FABRIC_DATA/orgs/$org/nodes/peer0/msp"
  enroll_tls "$org" "$port" peer0 peer0pw "$FABRIC_DATA/orgs/$org/nodes/peer0/tls"
  local name type attrs
  while read -r name type attrs; do
    register "$org" "$port" "$name" "${name}pw" "$type" "$attrs"
    enroll "$org" "$port" "$name" "${name}pw" "$FABRIC_DATA/orgs/$org/users/$name/msp"
  done < <(hospital_identities "$h")
  org_msp "$org"
}

# The part of network.json that describes one hospital.
hospital_json() { # HOSPITAL
  local h="$1" org k dir
  org="$(lower "$h")"; k="$(hospital_index "$h")"; dir="$FABRIC_DATA/orgs/$org"
  local users='{}' name
  for name in ca-admin admin records-service registrar auditor; do
    users="$(jq -c --arg n "$name" --arg c "$dir/users/$name/msp/signcerts/cert.pem" \
      --arg k "$dir/users/$name/msp/keystore/key.pem" '. + {($n): {certificate: $c, privateKey: $k}}' <<<"$users")"
  done
  jq -n --arg name "$h" --arg org "$org" --arg msp "${h}MSP" \
    --arg peer "$FABRIC_HOST:$(peer_port "$k")" --arg peerTls "$dir/msp/tlscacerts/ca.pem" \
    --arg ops "http://$FABRIC_HOST:$(peer_ops_port "$k")" \
    --arg ca "https://$FABRIC_HOST:$(ca_port "$k")" --arg caName "ca-$org" --arg caTls "$(ca_cert "$org")" \
    --arg caAdminPw "$FABRIC_CA_ADMIN_PW" --arg caAdmin "$FABRIC_CA_ADMIN" \
    --argjson gw "$(gateway_port "$k")" --argjson users "$users" \
    '{name: $name, key: $org, mspId: $msp,
      peer: {endpoint: $peer, tlsCaCert: $peerTls, hostAlias: "localhost", operations: $ops, process: ("peer-" + $org)},
      ca: {url: $ca, caName: $caName, tlsCaCert: $caTls, bootstrapAdmin: $caAdmin, bootstrapSecret: $caAdminPw},
      gatewayPort: $gw, users: $users}'
}

write_network_json() {
  local h parts=()
  for h in $(hospitals); do parts+=("$(hospital_json "$h")"); done
  local orderers='[]' n
  for n in $(seq 0 $(($(orderer_count) - 1))); do
    orderers="$(jq -c --arg e "$FABRIC_HOST:$(orderer_port "$n")" --arg p "orderer$n" \
      --arg o "http://$FABRIC_HOST:$(orderer_ops_port "$n")" '. + [{endpoint: $e, process: $p, operations: $o}]' <<<"$orderers")"
  done
  printf '%s\n' "${parts[@]}" | jq -s --arg ch "$FABRIC_CHANNEL" --arg cc "$FABRIC_CHAINCODE" \
    --arg data "$FABRIC_DATA" --arg root "$ROOT" --arg tls "$(orderer_tls_ca)" --argjson orderers "$orderers" \
    --arg consensus "$(cat "$FABRIC_DATA/consensus")" \
    '{channel: $ch, chaincode: $cc, dataDir: $data, root: $root, consensus: $consensus,
      orderers: $orderers, ordererTlsCaCert: $tls, hospitals: .}' >"$FABRIC_DATA/network.json"
}
