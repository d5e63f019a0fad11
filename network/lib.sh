# Shared helpers for the native Fabric network scripts (sourced, not run).
# Layout under $FABRIC_DATA:
#   orgs/<org>/ca            Fabric CA server home        orgs/<org>/msp   org MSP for the channel config
#   orgs/<org>/nodes/<node>  local MSP + TLS + ledger     orgs/<org>/users/<id>/msp  enrolled identities
#   config/                  core.yaml, orderer.yaml, configtx.yaml     channel/  blocks, updates
#   chaincode/               ccaas packages and ids        pids/, logs/    one file per process
#   network.json             what clients (gateway, tests) need to connect

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A running network remembers its port layout, so later commands need only FABRIC_DATA.
if [ -z "${FABRIC_PORT_BASE:-}" ] && [ -f "${FABRIC_DATA:-$ROOT/.fabric/network}/port-base" ]; then
  FABRIC_PORT_BASE="$(cat "${FABRIC_DATA:-$ROOT/.fabric/network}/port-base")"
fi
# shellcheck source=../test-network-config/network.env
. "$ROOT/test-network-config/network.env"
export PATH="$FABRIC_BIN:$PATH"
CONFIG_SRC="$ROOT/test-network-config"

log() { printf '[fabric %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

orderer_port() { echo $((FABRIC_PORT_BASE + 50 + 10 * $1)); }
orderer_admin_port() { echo $(($(orderer_port "$1") + 1)); }
orderer_ops_port() { echo $(($(orderer_port "$1") + 2)); }
hospital_port() { echo $((FABRIC_PORT_BASE + 100 * $1 + $2)); } # index offset
peer_port() { hospital_port "$1" 0; }
peer_cc_port() { hospital_port "$1" 1; }
peer_ops_port() { hospital_port "$1" 2; }
ca_port() { hospital_port "$1" 3; }
ca_ops_port() { hospital_port "$1" 4; }
gateway_port() { hospital_port "$1" 5; }
orderer_ca_port() { echo $((FABRIC_PORT_BASE + 93)); }
orderer_ca_ops_port() { echo $((FABRIC_PORT_BASE + 94)); }
chaincode_port() { case "$1" in medrec) echo $((FABRIC_PORT_BASE + 90)) ;; putstate) echo $((FABRIC_PORT_BASE + 91)) ;; esac; }

# Hospitals are numbered in the order they joined; the list lives in the data folder.
hospitals() { cat "$FABRIC_DATA/hospitals" 2>/dev/null || true; }
hospital_index() { local i=0 h; for h in $(hospitals); do i=$((i + 1)); [ "$h" = "$1" ] && { echo $i; return; }; done; die "unknown hospital $1"; }
orderer_count() { cat "$FABRIC_DATA/orderers" 2>/dev/null || echo 1; }

# ---- processes ---------------------------------------------------------------------------------
# start_bg NAME DIR CMD...: runs CMD in DIR in the background with its own log and pid file.
start_bg() {
  local name="$1" dir="$2"; shift 2
  mkdir -p "$FABRIC_DATA/pids" "$FABRIC_DATA/logs"
  if is_running "$name"; then log "$name already running"; return 0; fi
  (cd "$dir" && exec setsid "$@" >>"$FABRIC_DATA/logs/$name.log" 2>&1 </dev/null) &
  echo $! >"$FABRIC_DATA/pids/$name.pid"
}

is_running() {
  local pidfile="$FABRIC_DATA/pids/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

stop_bg() {
  local name="$1" pidfile="$FABRIC_DATA/pids/$1.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# wait_healthz NAME URL: the operations endpoint answers 200 once the process is healthy.
wait_healthz() {
  local name="$1" url="$2" i
  for i in $(seq 1 120); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    is_running "$name" || die "$name exited; see $FABRIC_DATA/logs/$name.log"
    sleep 0.5
  done
  die "$name not healthy at $url; see $FABRIC_DATA/logs/$name.log"
}

wait_port() {
  local name="$1" port="$2" i
  for i in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/$FABRIC_HOST/$port") 2>/dev/null; then return 0; fi
    is_running "$name" || die "$name exited; see $FABRIC_DATA/logs/$name.log"
    sleep 0.5
  done
  die "$name not listening on $port"
}

# ---- certificate authorities -------------------------------------------------------------------
# ca_start ORG PORT OPS_PORT: one Fabric CA server (TLS on) per organisation.
ca_start() {
  local org="$1" port="$2" ops="$3" home="$FABRIC_DATA/orgs/$1/ca"
  mkdir -p "$home"
  start_bg "ca-$org" "$home" fabric-ca-server start -H "$home" \
    -b "$FABRIC_CA_ADMIN:$FABRIC_CA_ADMIN_PW" --port "$port" --ca.name "ca-$org" \
    --tls.enabled --csr.cn "ca-$org" --csr.hosts "localhost,$FABRIC_HOST" \
    --operations.listenaddress "$FABRIC_HOST:$ops"
  wait_healthz "ca-$org" "http://$FABRIC_HOST:$ops/healthz"
}

# fabric-ca-client, its chatter kept in a log and shown only on failure.
ca_client() {
  local out="$FABRIC_DATA/logs/ca-client.log"
  mkdir -p "$FABRIC_DATA/logs"
  fabric-ca-client "$@" >>"$out" 2>&1 || { tail -5 "$out" >&2; die "fabric-ca-client $1 failed"; }
}

ca_url() { echo "https://$FABRIC_HOST:$2"; } # org port
ca_cert() { echo "$FABRIC_DATA/orgs/$1/ca/ca-cert.pem"; }

# NodeOUs: the certificate's OU (set by Fabric CA from the identity type) decides admin/peer/client.
write_ou_config() {
  cat >"$1/config.yaml" <<'EOF'
NodeOUs:
  Enable: true
  ClientOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: client}
  PeerOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: peer}
  AdminOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: admin}
  OrdererOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: orderer}
EOF
}

# Renames what fabric-ca-client wrote to fixed names: msp/cacerts/ca.pem, msp/keystore/key.pem.
normalize_msp() {
  local msp="$1"
  mv "$msp"/cacerts/*.pem "$msp/cacerts/ca.pem.tmp" && mv "$msp/cacerts/ca.pem.tmp" "$msp/cacerts/ca.pem"
  mv "$msp"/keystore/*_sk "$msp/keystore/key.pem" 2>/dev/null || true
  write_ou_config "$msp"
}

# ca_admin_enroll ORG PORT: the CA's bootstrap admin, used to register everything else.
ca_admin_enroll() {
  local org="$1" port="$2" home="$FABRIC_DATA/orgs/$1/users/ca-admin"
  mkdir -p "$home"
  ca_client enroll -H "$home" -u "https://$FABRIC_CA_ADMIN:$FABRIC_CA_ADMIN_PW@$FABRIC_HOST:$port" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$home/msp"
  normalize_msp "$home/msp"
}

# register ORG PORT NAME SECRET TYPE [ATTRS]
register() {
  local org="$1" port="$2" name="$3" secret="$4" type="$5" attrs="${6:-}"
  local args=(register -H "$FABRIC_DATA/orgs/$org/users/ca-admin" -u "https://$FABRIC_HOST:$port"
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")"
    --id.name "$name" --id.secret "$secret" --id.type "$type")
  [ -n "$attrs" ] && args+=(--id.attrs "$attrs")
  ca_client "${args[@]}"
}

# enroll ORG PORT NAME SECRET MSPDIR: an identity's signing certificate and key.
enroll() {
  local org="$1" port="$2" name="$3" secret="$4" msp="$5"
  mkdir -p "$msp"
  ca_client enroll -H "$(dirname "$msp")" -u "https://$name:$secret@$FABRIC_HOST:$port" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$msp"
  normalize_msp "$msp"
}

# enroll_tls ORG PORT NAME SECRET DIR: TLS server/client certificate (for localhost) as DIR/{server.crt,server.key,ca.crt}.
enroll_tls() {
  local org="$1" port="$2" name="$3" secret="$4" dir="$5"
  mkdir -p "$dir"
  ca_client enroll -H "$dir" -u "https://$name:$secret@$FABRIC_HOST:$port" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$dir/out" \
    --enrollment.profile tls --csr.hosts "localhost,$FABRIC_HOST,$name"
  cp "$dir/out/signcerts/cert.pem" "$dir/server.crt"
  cp "$dir"/out/keystore/*_sk "$dir/server.key"
  cp "$dir"/out/tlscacerts/*.pem "$dir/ca.crt"
  rm -rf "$dir/out"
}

# org_msp ORG: the organisation's MSP as the channel configuration carries it.
org_msp() {
  local msp="$FABRIC_DATA/orgs/$1/msp"
  mkdir -p "$msp/cacerts" "$msp/tlscacerts"
  cp "$(ca_cert "$1")" "$msp/cacerts/ca.pem"
  cp "$(ca_cert "$1")" "$msp/tlscacerts/ca.pem"
  write_ou_config "$msp"
}

# ---- peers and the CLI -------------------------------------------------------------------------
peer_config_dir() { echo "$FABRIC_DATA/config"; }

# Prepares the shared config folder: Fabric's sample core.yaml/orderer.yaml with our external builder.
prepare_config() {
  local cfg="$FABRIC_DATA/config"
  mkdir -p "$cfg"
  [ -f "$ROOT/.fabric/config/core.yaml" ] || die "run scripts/install-fabric.sh first"
  # No Docker: an empty vm.endpoint turns chaincode containers off (viper ignores an empty CORE_VM_ENDPOINT).
  sed -e "s#/opt/hyperledger/ccaas_builder#$ROOT/network/ccaas-builder#" \
    -e "s#endpoint: unix:///var/run/docker.sock#endpoint: \"\"#" "$ROOT/.fabric/config/core.yaml" >"$cfg/core.yaml"
  cp "$ROOT/.fabric/config/orderer.yaml" "$cfg/orderer.yaml"
}

# peer_start HOSPITAL: one peer per hospital, LevelDB state, gossip endpoint, ccaas only (no Docker).
peer_start() {
  local h="$1" org k node
  org="$(lower "$h")"; k="$(hospital_index "$h")"; node="$FABRIC_DATA/orgs/$org/nodes/peer0"
  mkdir -p "$node/data"
  start_bg "peer-$org" "$node" env FABRIC_CFG_PATH="$FABRIC_DATA/config" \
    FABRIC_LOGGING_SPEC="${FABRIC_PEER_LOGGING:-info:gossip=warn:msp=warn}" \
    CORE_PEER_ID="peer0.$org" CORE_PEER_NETWORKID=medrec \
    CORE_PEER_LISTENADDRESS="$FABRIC_HOST:$(peer_port "$k")" CORE_PEER_ADDRESS="$FABRIC_HOST:$(peer_port "$k")" \
    CORE_PEER_CHAINCODELISTENADDRESS="$FABRIC_HOST:$(peer_cc_port "$k")" \
    CORE_PEER_GOSSIP_BOOTSTRAP="$FABRIC_HOST:$(peer_port "$k")" \
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="$FABRIC_HOST:$(peer_port "$k")" \
    CORE_PEER_LOCALMSPID="${h}MSP" CORE_PEER_MSPCONFIGPATH="$node/msp" \
    CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE="$node/tls/server.crt" \
    CORE_PEER_TLS_KEY_FILE="$node/tls/server.key" CORE_PEER_TLS_ROOTCERT_FILE="$node/tls/ca.crt" \
    CORE_PEER_FILESYSTEMPATH="$node/data" CORE_LEDGER_SNAPSHOTS_ROOTDIR="$node/data/snapshots" \
    CORE_LEDGER_STATE_STATEDATABASE=goleveldb CORE_PEER_GATEWAY_ENABLED=true \
    CORE_VM_ENDPOINT= CORE_CHAINCODE_MODE=net \
    CORE_OPERATIONS_LISTENADDRESS="$FABRIC_HOST:$(peer_ops_port "$k")" CORE_METRICS_PROVIDER=prometheus \
    peer node start
  wait_healthz "peer-$org" "http://$FABRIC_HOST:$(peer_ops_port "$k")/healthz"
}

# wait_gossip: every hospital's peer knows every other one on the channel (through the anchor peers).
# Until then a peer's Gateway cannot find another organisation's endorsers.
wait_gossip() {
  local others=$(($(hospitals | wc -l) - 1)) h k known i
  for h in $(hospitals); do
    k="$(hospital_index "$h")"
    for i in $(seq 1 120); do
      known="$(curl -fsS "http://$FABRIC_HOST:$(peer_ops_port "$k")/metrics" 2>/dev/null |
        sed -n "s/^gossip_membership_total_peers_known{channel=\"$FABRIC_CHANNEL\"} //p")"
      [ "${known:-0}" -ge "$others" ] && break
      sleep 0.5
    done
    [ "${known:-0}" -ge "$others" ] || die "$h's peer knows ${known:-0} of the $others other peers"
  done
}

# as_admin HOSPITAL CMD...: runs the peer CLI as the hospital's admin against its own peer.
as_admin() {
  local h="$1" org k; shift
  org="$(lower "$h")"; k="$(hospital_index "$h")"
  env FABRIC_CFG_PATH="$FABRIC_DATA/config" FABRIC_LOGGING_SPEC=warn \
    CORE_PEER_LOCALMSPID="${h}MSP" CORE_PEER_MSPCONFIGPATH="$FABRIC_DATA/orgs/$org/users/admin/msp" \
    CORE_PEER_ADDRESS="$FABRIC_HOST:$(peer_port "$k")" CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem" "$@"
}

orderer_tls_ca() { echo "$FABRIC_DATA/orgs/orderer/msp/tlscacerts/ca.pem"; }
orderer_args() { echo "-o $FABRIC_HOST:$(orderer_port 0) --tls --cafile $(orderer_tls_ca)"; }

# ---- orderers ----------------------------------------------------------------------------------
orderer_start() {
  local n="$1" node="$FABRIC_DATA/orgs/orderer/nodes/orderer$1"
  mkdir -p "$node/data"
  start_bg "orderer$n" "$node" env FABRIC_CFG_PATH="$FABRIC_DATA/config" \
    FABRIC_LOGGING_SPEC="${FABRIC_ORDERER_LOGGING:-info}" \
    ORDERER_GENERAL_LISTENADDRESS="$FABRIC_HOST" ORDERER_GENERAL_LISTENPORT="$(orderer_port "$n")" \
    ORDERER_GENERAL_LOCALMSPID=OrdererMSP ORDERER_GENERAL_LOCALMSPDIR="$node/msp" \
    ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$node/tls/server.key" \
    ORDERER_GENERAL_TLS_CERTIFICATE="$node/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$node/tls/server.crt" \
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$node/tls/server.key" \
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true \
    ORDERER_ADMIN_LISTENADDRESS="$FABRIC_HOST:$(orderer_admin_port "$n")" \
    ORDERER_ADMIN_TLS_ENABLED=true ORDERER_ADMIN_TLS_CERTIFICATE="$node/tls/server.crt" \
    ORDERER_ADMIN_TLS_PRIVATEKEY="$node/tls/server.key" ORDERER_ADMIN_TLS_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_FILELEDGER_LOCATION="$node/data/ledger" \
    ORDERER_CONSENSUS_WALDIR="$node/data/etcdraft/wal" ORDERER_CONSENSUS_SNAPDIR="$node/data/etcdraft/snap" \
    ORDERER_OPERATIONS_LISTENADDRESS="$FABRIC_HOST:$(orderer_ops_port "$n")" ORDERER_METRICS_PROVIDER=prometheus \
    orderer
  wait_healthz "orderer$n" "http://$FABRIC_HOST:$(orderer_ops_port "$n")/healthz"
}

osnadmin_args() { # N
  local admin="$FABRIC_DATA/orgs/orderer/users/admin/tls"
  echo "-o $FABRIC_HOST:$(orderer_admin_port "$1") --ca-file $(orderer_tls_ca) --client-cert $admin/server.crt --client-key $admin/server.key"
}
