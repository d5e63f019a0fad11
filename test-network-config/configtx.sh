# Writes configtx.yaml for the medrec channel (sourced by network/up.sh after network/lib.sh).
# Paths are relative to $FABRIC_DATA/config, where the file is written.
#
# Policies: hospitals use NodeOUs (admin/peer/client from the certificate's OU).
# - Application Endorsement "ANY Endorsement": the chaincode-level policy lets any hospital's peer
#   endorse; the chaincode narrows it per key with state-based endorsement (a relationship's keys need
#   the provider's own hospital). Because the chaincode definition refers to this channel policy, a
#   hospital that joins later is covered without a new definition sequence.
# - LifecycleEndorsement and Admins "MAJORITY": committing a definition and changing the channel
#   (adding a hospital) need most hospitals' admins.

hospital_org_yaml() { # HOSPITAL INDEX
  local h="$1" k="$2" org
  org="$(lower "$h")"
  cat <<EOF
  - &${h}
    Name: ${h}MSP
    ID: ${h}MSP
    MSPDir: ../orgs/${org}/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('${h}MSP.admin', '${h}MSP.peer', '${h}MSP.client')"}
      Writers: {Type: Signature, Rule: "OR('${h}MSP.admin', '${h}MSP.client')"}
      Admins: {Type: Signature, Rule: "OR('${h}MSP.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('${h}MSP.peer')"}
    AnchorPeers:
      - {Host: ${FABRIC_HOST}, Port: $(peer_port "$k")}
EOF
}

write_configtx() { # CONSENSUS (etcdraft|BFT)
  local consensus="$1" n count h k=0 out="$FABRIC_DATA/config/configtx.yaml"
  count="$(orderer_count)"
  {
    echo "Organizations:"
    echo "  - &OrdererOrg"
    echo "    Name: OrdererMSP"
    echo "    ID: OrdererMSP"
    echo "    MSPDir: ../orgs/orderer/msp"
    echo "    Policies:"
    echo "      Readers: {Type: Signature, Rule: \"OR('OrdererMSP.member')\"}"
    echo "      Writers: {Type: Signature, Rule: \"OR('OrdererMSP.member')\"}"
    echo "      Admins: {Type: Signature, Rule: \"OR('OrdererMSP.admin')\"}"
    echo "    OrdererEndpoints:"
    for n in $(seq 0 $((count - 1))); do echo "      - ${FABRIC_HOST}:$(orderer_port "$n")"; done
    for h in $(hospitals); do k=$((k + 1)); hospital_org_yaml "$h" "$k"; done
    cat <<EOF
Capabilities:
  Channel: &ChannelCapabilities {$([ "$consensus" = BFT ] && echo "V3_0: true" || echo "V2_0: true")}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Application: &ApplicationDefaults
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
    Endorsement: {Type: ImplicitMeta, Rule: "ANY Endorsement"}
  Capabilities: *ApplicationCapabilities
Orderer: &OrdererDefaults
  OrdererType: ${consensus}
  BatchTimeout: ${FABRIC_BATCH_TIMEOUT:-250ms}
  BatchSize: {MaxMessageCount: 200, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
  Capabilities: *OrdererCapabilities
EOF
    if [ "$consensus" = BFT ]; then
      echo "  ConsenterMapping:"
      for n in $(seq 0 $((count - 1))); do
        local node="../orgs/orderer/nodes/orderer$n"
        echo "    - {ID: $((n + 1)), Host: ${FABRIC_HOST}, Port: $(orderer_port "$n"), MSPID: OrdererMSP, ClientTLSCert: $node/tls/server.crt, ServerTLSCert: $node/tls/server.crt, Identity: $node/msp/signcerts/cert.pem}"
      done
    else
      echo "  EtcdRaft:"
      echo "    Consenters:"
      for n in $(seq 0 $((count - 1))); do
        local node="../orgs/orderer/nodes/orderer$n"
        echo "      - {Host: ${FABRIC_HOST}, Port: $(orderer_port "$n"), ClientTLSCert: $node/tls/server.crt, ServerTLSCert: $node/tls/server.crt}"
      done
    fi
    cat <<EOF
Channel: &ChannelDefaults
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
  Capabilities: *ChannelCapabilities
Profiles:
  MedrecChannel:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Organizations: [*OrdererOrg]
    Application:
      <<: *ApplicationDefaults
      Organizations: [$(hospitals | sed 's/^/*/' | paste -sd, | sed 's/,/, /g')]
EOF
  } >"$out"
}

# One hospital's org definition on its own, for `configtxgen -printOrg` when it joins later.
write_org_configtx() { # HOSPITAL INDEX DIR
  { echo "Organizations:"; hospital_org_yaml "$1" "$2"; } >"$3/configtx.yaml"
}
