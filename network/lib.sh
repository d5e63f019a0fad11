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

hospital_port() { echo $((FABRIC_PORT_BASE + 100 * $1 + $2)); } # index offset
peer_port() { hospital_port "$1" 0; }
peer_cc_port() { hospital_port "$1" 1; }
peer_ops_port() { hospital_port "$1" 2; }
ca_port() { hospital_port "$1" 3; }
ca_ops_port() { hospital_port "$1" 4; }
gateway_port() { hospital_port "$1" 5; }
orderer_port() { hospital_port "$1" 6; }
orderer_admin_port() { hospital_port "$1" 7; }
orderer_ops_port() { hospital_port "$1" 8; }
# chaincode_port INDEX NAME SEQUENCE: two ports per chaincode, alternating with the definition's sequence.
chaincode_port() {
  local base
  case "$2" in medrec) base=10 ;; putstate) base=12 ;; *) die "unknown chaincode $2" ;; esac
  hospital_port "$1" $((base + $3 % 2))
}

# Hospitals are numbered in the order they joined; the list lives in the data folder.
hospitals() { cat "$FABRIC_DATA/hospitals" 2>/dev/null || true; }
hospital_index() { local i=0 h; for h in $(hospitals); do i=$((i + 1)); [ "$h" = "$1" ] && { echo $i; return; }; done; die "unknown hospital $1"; }
consensus() { cat "$FABRIC_DATA/consensus"; }
# SmartBFT from four ordering hospitals (it tolerates f faulty of 3f+1), etcdraft below.
consensus_for() { [ "$1" -ge 4 ] && echo BFT || echo etcdraft; } # HOSPITAL_COUNT

# A random secret (enrollment secrets, the CA's bootstrap secret): nothing on the Fabric path is a known password.
random_secret() { openssl rand -hex 24; }

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
# ca_start ORG PORT OPS_PORT: one Fabric CA server (TLS on) per organisation. Its bootstrap identity
# gets a generated secret (bootstrap.secret, 0600) that `fabric-ca-server init` writes into the CA's
# own configuration; nothing secret goes on a command line. The CA's folder is the CA's alone (0700).
ca_start() {
  local org="$1" port="$2" ops="$3" home="$FABRIC_DATA/orgs/$1/ca"
  mkdir -p "$home" && chmod 700 "$home"
  if [ ! -f "$home/fabric-ca-server-config.yaml" ]; then
    (umask 077 && random_secret >"$home/bootstrap.secret")
    (umask 077 && cd "$home" && FABRIC_CA_SERVER_BOOT="$FABRIC_CA_ADMIN:$(cat "$home/bootstrap.secret")" \
      fabric-ca-server init -H "$home" --ca.name "ca-$org" --csr.cn "ca-$org" \
      --csr.hosts "localhost,$FABRIC_HOST" >>"$FABRIC_DATA/logs/ca-$org.log" 2>&1) ||
      die "fabric-ca-server init for $org failed; see $FABRIC_DATA/logs/ca-$org.log"
  fi
  start_bg "ca-$org" "$home" env -u FABRIC_CA_SERVER_BOOT fabric-ca-server start -H "$home" --port "$port" \
    --ca.name "ca-$org" --csr.hosts "localhost,$FABRIC_HOST" --tls.enabled --operations.listenaddress "$FABRIC_HOST:$ops"
  wait_healthz "ca-$org" "http://$FABRIC_HOST:$ops/healthz"
}

# fabric-ca-client, its chatter kept in a log and shown only on failure. Secrets reach it through
# FABRIC_CA_CLIENT_URL (see enroll), never as an argument other processes could read.
ca_client() {
  local out="$FABRIC_DATA/logs/ca-client.log"
  mkdir -p "$FABRIC_DATA/logs"
  (umask 077 && fabric-ca-client "$@" >>"$out" 2>&1) || { tail -5 "$out" >&2; die "fabric-ca-client $1 failed"; }
}

ca_cert() { echo "$FABRIC_DATA/orgs/$1/ca/ca-cert.pem"; }

# NodeOUs: the certificate's OU (set by Fabric CA from the identity type) decides admin/peer/client/orderer.
write_ou_config() {
  cat >"$1/config.yaml" <<'YAML'
NodeOUs:
  Enable: true
  ClientOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: client}
  PeerOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: peer}
  AdminOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: admin}
  OrdererOUIdentifier: {Certificate: cacerts/ca.pem, OrganizationalUnitIdentifier: orderer}
YAML
}

# Renames what fabric-ca-client wrote to fixed names: msp/cacerts/ca.pem, msp/keystore/key.pem (0600).
normalize_msp() {
  local msp="$1"
  mv "$msp"/cacerts/*.pem "$msp/cacerts/ca.pem.tmp" && mv "$msp/cacerts/ca.pem.tmp" "$msp/cacerts/ca.pem"
  mv "$msp"/keystore/*_sk "$msp/keystore/key.pem" 2>/dev/null || true
  chmod 600 "$msp/keystore/key.pem"
  write_ou_config "$msp"
}

# enroll ORG PORT NAME SECRET MSPDIR [fabric-ca-client args...]: an identity's signing certificate and key.
enroll() {
  local org="$1" port="$2" name="$3" secret="$4" msp="$5"; shift 5
  mkdir -p "$msp"
  FABRIC_CA_CLIENT_URL="https://$name:$secret@$FABRIC_HOST:$port" ca_client enroll -H "$(dirname "$msp")" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$msp" "$@"
  normalize_msp "$msp"
}

# ca_admin_enroll ORG PORT: the CA's bootstrap identity, which registers everything else.
ca_admin_enroll() {
  local home="$FABRIC_DATA/orgs/$1/users/$FABRIC_CA_ADMIN"
  enroll "$1" "$2" "$FABRIC_CA_ADMIN" "$(cat "$FABRIC_DATA/orgs/$1/ca/bootstrap.secret")" "$home/msp"
}

# register ORG PORT NAME SECRET TYPE [ATTRS]
register() {
  local org="$1" port="$2" name="$3" secret="$4" type="$5" attrs="${6:-}"
  local args=(register -H "$FABRIC_DATA/orgs/$org/users/$FABRIC_CA_ADMIN" -u "https://$FABRIC_HOST:$port"
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")"
    --id.name "$name" --id.type "$type")
  [ -n "$attrs" ] && args+=(--id.attrs "$attrs")
  FABRIC_CA_CLIENT_ID_SECRET="$secret" ca_client "${args[@]}"
}

# enroll_tls ORG PORT NAME SECRET DIR: TLS server/client certificate as DIR/{server.crt,server.key,ca.crt}.
enroll_tls() {
  local org="$1" port="$2" name="$3" secret="$4" dir="$5"
  mkdir -p "$dir"
  FABRIC_CA_CLIENT_URL="https://$name:$secret@$FABRIC_HOST:$port" ca_client enroll -H "$dir" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$dir/out" \
    --enrollment.profile tls --csr.hosts "localhost,$FABRIC_HOST,$name"
  cp "$dir/out/signcerts/cert.pem" "$dir/server.crt"
  (umask 077 && cp "$dir"/out/keystore/*_sk "$dir/server.key")
  cp "$dir"/out/tlscacerts/*.pem "$dir/ca.crt"
  rm -rf "$dir/out"
}

# node_identity ORG PORT NAME TYPE DIR: registers a node (or user) with a one-time random secret and
# enrols its MSP (DIR/msp) and TLS (DIR/tls) identities; the secret is not kept.
node_identity() {
  local org="$1" port="$2" name="$3" type="$4" dir="$5" secret
  secret="$(random_secret)"
  register "$org" "$port" "$name" "$secret" "$type"
  enroll "$org" "$port" "$name" "$secret" "$dir/msp"
  enroll_tls "$org" "$port" "$name" "$secret" "$dir/tls"
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
# Prepares the shared config folder: Fabric's sample core.yaml with Docker off (no vm.endpoint: the
# peer would otherwise health-check a Docker daemon) and our ccaas external builder as the only
# builder, and the sample orderer.yaml. Edited as YAML with yq, not by matching lines.
prepare_config() {
  local cfg="$FABRIC_DATA/config"
  mkdir -p "$cfg"
  [ -f "$ROOT/.fabric/config/core.yaml" ] && [ -x "$FABRIC_BIN/yq" ] || die "run scripts/install-fabric.sh first"
  BUILDER="$ROOT/network/ccaas-builder" "$FABRIC_BIN/yq" '
    .vm.endpoint = "" |
    .chaincode.externalBuilders = [{"name": "ccaas", "path": strenv(BUILDER), "propagateEnvironment": ["MEDREC_CCAAS_CLIENT_TLS"]}]
  ' "$ROOT/.fabric/config/core.yaml" >"$cfg/core.yaml"
  cp "$ROOT/.fabric/config/orderer.yaml" "$cfg/orderer.yaml"
}

# peer_start HOSPITAL: one peer per hospital, LevelDB state, gossip endpoint, ccaas only (no Docker).
# MEDREC_CCAAS_CLIENT_TLS names the folder whose server.crt/server.key the peer presents to its
# chaincode servers (mutual TLS; the builder's release step puts them into connection.json). The
# peer's block delivery backs off at most 10 s between reconnections (Fabric's default lets the
# backoff grow to an hour), so that it is back soon after one of the orderers restarts. It accepts
# client keepalive pings every 5 s: Fabric's CLI pings more often than the default 60 s allows, and
# the peer then cuts (GOAWAY too_many_pings) the event stream on which `--waitForEvent` waits for a
# slow commit.
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
    CORE_CHAINCODE_MODE=net MEDREC_CCAAS_CLIENT_TLS="$node/tls" \
    CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD="${FABRIC_PEER_RECONNECT_MAX:-10s}" \
    CORE_PEER_KEEPALIVE_MININTERVAL=5s \
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

admin_msp() { echo "$FABRIC_DATA/orgs/$(lower "$1")/users/admin/msp"; }

# as_admin HOSPITAL CMD...: runs the peer CLI as the hospital's admin against its own peer (and,
# through orderer_args, its own orderer). Only that hospital's admin folder is given to the command.
as_admin() {
  local h="$1" org k; shift
  org="$(lower "$h")"; k="$(hospital_index "$h")"
  env FABRIC_CFG_PATH="$FABRIC_DATA/config" FABRIC_LOGGING_SPEC=warn \
    CORE_PEER_LOCALMSPID="${h}MSP" CORE_PEER_MSPCONFIGPATH="$(admin_msp "$h")" \
    CORE_PEER_ADDRESS="$FABRIC_HOST:$(peer_port "$k")" CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem" "$@"
}

# orderer_args HOSPITAL: the hospital's own orderer, trusted through its own TLS CA.
orderer_args() {
  local org k; org="$(lower "$1")"; k="$(hospital_index "$1")"
  echo "-o $FABRIC_HOST:$(orderer_port "$k") --tls --cafile $FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem"
}

# ---- orderers: every hospital runs one, with identities from its own CA (NodeOU orderer) --------
orderer_node() { echo "$FABRIC_DATA/orgs/$(lower "$1")/nodes/orderer0"; }

orderer_start() { # HOSPITAL
  local h="$1" org k node
  org="$(lower "$h")"; k="$(hospital_index "$h")"; node="$(orderer_node "$h")"
  mkdir -p "$node/data"
  start_bg "orderer-$org" "$node" env FABRIC_CFG_PATH="$FABRIC_DATA/config" \
    FABRIC_LOGGING_SPEC="${FABRIC_ORDERER_LOGGING:-info}" \
    ORDERER_GENERAL_LISTENADDRESS="$FABRIC_HOST" ORDERER_GENERAL_LISTENPORT="$(orderer_port "$k")" \
    ORDERER_GENERAL_LOCALMSPID="${h}MSP" ORDERER_GENERAL_LOCALMSPDIR="$node/msp" \
    ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$node/tls/server.key" \
    ORDERER_GENERAL_TLS_CERTIFICATE="$node/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$node/tls/server.crt" \
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$node/tls/server.key" \
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true \
    ORDERER_ADMIN_LISTENADDRESS="$FABRIC_HOST:$(orderer_admin_port "$k")" \
    ORDERER_ADMIN_TLS_ENABLED=true ORDERER_ADMIN_TLS_CERTIFICATE="$node/tls/server.crt" \
    ORDERER_ADMIN_TLS_PRIVATEKEY="$node/tls/server.key" ORDERER_ADMIN_TLS_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_FILELEDGER_LOCATION="$node/data/ledger" \
    ORDERER_CONSENSUS_WALDIR="$node/data/wal" ORDERER_CONSENSUS_SNAPDIR="$node/data/snap" \
    ORDERER_OPERATIONS_LISTENADDRESS="$FABRIC_HOST:$(orderer_ops_port "$k")" ORDERER_METRICS_PROVIDER=prometheus \
    orderer
  wait_healthz "orderer-$org" "http://$FABRIC_HOST:$(orderer_ops_port "$k")/healthz"
}

# osnadmin_args HOSPITAL: the channel participation API of the hospital's own orderer, with its
# admin's TLS client certificate (the orderer trusts only its own CA there).
osnadmin_args() {
  local h="$1" org k; org="$(lower "$h")"; k="$(hospital_index "$h")"
  local admin="$FABRIC_DATA/orgs/$org/users/admin/tls"
  echo "-o $FABRIC_HOST:$(orderer_admin_port "$k") --ca-file $FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem --client-cert $admin/server.crt --client-key $admin/server.key"
}

# orderer_join HOSPITAL BLOCK: joins the hospital's orderer to the channel with a config block.
orderer_join() {
  local out
  # shellcheck disable=SC2046
  out="$(osnadmin channel join --channelID "$FABRIC_CHANNEL" --config-block "$2" $(osnadmin_args "$1") 2>&1)"
  grep -q 'Status: 201' <<<"$out" || die "$1's orderer refused to join $FABRIC_CHANNEL: $out"
}

# orderer_height HOSPITAL: the channel's height on the hospital's orderer (0 if unknown).
orderer_height() {
  # shellcheck disable=SC2046
  osnadmin channel list --channelID "$FABRIC_CHANNEL" $(osnadmin_args "$1") 2>/dev/null |
    sed -n '/^{/,$p' | jq -r '.height // 0' 2>/dev/null || echo 0
}

# peer_height HOSPITAL: the channel's height on the hospital's peer, from its operations endpoint
# (no identity needed; 0 if unknown).
peer_height() {
  local v
  v="$(curl -fsS "http://$FABRIC_HOST:$(peer_ops_port "$(hospital_index "$1")")/metrics" 2>/dev/null |
    sed -n "s/^ledger_blockchain_height{channel=\"$FABRIC_CHANNEL\"} //p")"
  printf '%.0f\n' "${v:-0}"
}
