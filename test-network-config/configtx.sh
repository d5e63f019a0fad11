# Writes configtx.yaml for the medrec channel (sourced by network/up.sh after network/lib.sh).
# Paths are relative to $FABRIC_DATA/config, where the file is written.
#
# The hospitals are the channel's only organisations, in both its Application group (their peers
# endorse, their clients transact) and its Orderer group (each runs an orderer): no separate orderer
# organisation. They use NodeOUs (admin/peer/client/orderer from the certificate's OU).
# Policies:
# - Application Endorsement "ANY Endorsement": the chaincode-level policy lets any hospital's peer
#   endorse; the chaincode narrows it per key with state-based endorsement (a relationship's keys need
#   the provider's own hospital). Because the chaincode definition refers to this channel policy, a
#   hospital that joins later is covered without a new definition sequence.
# - LifecycleEndorsement and every Admins "MAJORITY": committing a definition and changing the channel
#   (adding a hospital, its orderer as a consenter) need most hospitals' admins. An organisation's own
#   values (its MSP, with its CRL) are governed by its own Admins alone.
# - BlockValidation "ANY Writers": a block signed by any hospital's orderer (etcdraft); SmartBFT
#   checks a quorum of the consenters' signatures itself.

hospital_org_yaml() { # HOSPITAL INDEX
  local h="$1" k="$2" org
  org="$(lower "$h")"
  cat <<YAML
  - &${h}
    Name: ${h}MSP
    ID: ${h}MSP
    MSPDir: ../orgs/${org}/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('${h}MSP.admin', '${h}MSP.peer', '${h}MSP.client', '${h}MSP.orderer')"}
      Writers: {Type: Signature, Rule: "OR('${h}MSP.admin', '${h}MSP.client', '${h}MSP.orderer')"}
      Admins: {Type: Signature, Rule: "OR('${h}MSP.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('${h}MSP.peer')"}
    OrdererEndpoints:
      - $(orderer_endpoint "$h")
    AnchorPeers:
YAML
  # Every peer of the hospital is an anchor: the others find it through whichever is up.
  for n in $(peer_indexes); do echo "      - {Host: $(node_host "peer$n" "$h"), Port: $(peer_port "$k" "$n")}"; done
}

write_configtx() { # CONSENSUS (etcdraft|BFT)
  local consensus="$1" h k=0 out="$FABRIC_DATA/config/configtx.yaml" node
  {
    echo "Organizations:"
    for h in $(hospitals); do k=$((k + 1)); hospital_org_yaml "$h" "$k"; done
    cat <<YAML
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
YAML
    k=0
    if [ "$consensus" = BFT ]; then
      echo "  ConsenterMapping:"
      for h in $(hospitals); do
        k=$((k + 1)); node="../orgs/$(lower "$h")/nodes/orderer0"
        echo "    - {ID: $k, Host: $(node_host orderer0 "$h"), Port: $(orderer_port "$k"), MSPID: ${h}MSP, ClientTLSCert: $node/tls/server.crt, ServerTLSCert: $node/tls/server.crt, Identity: $node/msp/signcerts/cert.pem}"
      done
    else
      echo "  EtcdRaft:"
      echo "    Consenters:"
      for h in $(hospitals); do
        k=$((k + 1)); node="../orgs/$(lower "$h")/nodes/orderer0"
        echo "      - {Host: $(node_host orderer0 "$h"), Port: $(orderer_port "$k"), ClientTLSCert: $node/tls/server.crt, ServerTLSCert: $node/tls/server.crt}"
      done
    fi
    local orgs
    orgs="$(hospitals | sed 's/^/*/' | paste -sd, | sed 's/,/, /g')"
    cat <<YAML
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
      Organizations: [$orgs]
    Application:
      <<: *ApplicationDefaults
      Organizations: [$orgs]
YAML
  } >"$out"
}

# One hospital's org definition on its own, for `configtxgen -printOrg` when it joins later.
write_org_configtx() { # HOSPITAL INDEX DIR
  { echo "Organizations:"; hospital_org_yaml "$1" "$2"; } >"$3/configtx.yaml"
}
