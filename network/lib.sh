# Shared helpers for the native Fabric network scripts (sourced, not run).
# Layout under $FABRIC_DATA:
#   orgs/<org>/ca            Fabric CA server home        orgs/<org>/msp   org MSP for the channel config
#   orgs/<org>/nodes/<node>  local MSP + TLS + ledger     orgs/<org>/users/<id>/msp  enrolled identities
#   config/                  core.yaml, orderer.yaml, configtx.yaml     channel/  blocks, updates
#   chaincode/               ccaas packages and ids        pids/, logs/    one file per process
#   network.json             what clients (gateway, tests) need to connect

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A running network remembers its layout (port base, peers per hospital, hosts), so later commands
# need only FABRIC_DATA (network/up.sh, which makes a new one, sets FABRIC_FRESH and reads none).
[ -n "${FABRIC_FRESH:-}" ] || for _setting in FABRIC_PORT_BASE:port-base FABRIC_PEERS:peers FABRIC_NETNS:netns; do
  _file="${FABRIC_DATA:-$ROOT/.fabric/network}/${_setting#*:}"
  _var="${_setting%%:*}"
  if [ -z "${!_var:-}" ] && [ -f "$_file" ]; then printf -v "$_var" '%s' "$(cat "$_file")"; fi
done
unset _setting _file _var
# shellcheck source=../test-network-config/network.env
. "$ROOT/test-network-config/network.env"
export PATH="$FABRIC_BIN:$PATH"
CONFIG_SRC="$ROOT/test-network-config"

log() { printf '[fabric %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

hospital_port() { echo $((FABRIC_PORT_BASE + 100 * $1 + $2)); } # index offset
# peer N of hospital k (N = 0, 1, …; FABRIC_PEERS per hospital): +0/+1/+2, then +20/+21/+22, …
peer_port() { hospital_port "$1" $((20 * ${2:-0})); }
peer_cc_port() { hospital_port "$1" $((20 * ${2:-0} + 1)); }
peer_ops_port() { hospital_port "$1" $((20 * ${2:-0} + 2)); }
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
peer_indexes() { seq 0 $((FABRIC_PEERS - 1)); }

# ---- hosts ---------------------------------------------------------------------------------------
# On one host (FABRIC_NETNS empty) every process listens on FABRIC_HOST and is reached there. On
# several (FABRIC_NETNS set; network/hosts.sh makes them on this machine as network namespaces, one
# per hospital: <FABRIC_NETNS>-<org>) each hospital's processes listen on its own host and are reached
# by name, <node>.<org>.<FABRIC_DOMAIN> (peer0, peer1, orderer0, ca, chaincode, gateway), and every
# command that acts for a hospital runs on that hospital's host (on_host). TLS certificates carry the
# names in both cases, so certificates made on one host stay valid when the nodes move.
multihost() { [ -n "${FABRIC_NETNS:-}" ]; }
netns_of() { echo "$FABRIC_NETNS-$(lower "$1")"; }              # HOSPITAL
node_name() { echo "$1.$(lower "$2").$FABRIC_DOMAIN"; }         # NODE HOSPITAL
node_host() { if multihost; then node_name "$1" "$2"; else echo "$FABRIC_HOST"; fi; } # NODE HOSPITAL
node_sans() { echo "localhost,$FABRIC_HOST,$(node_name "$1" "$2")"; }               # NODE HOSPITAL
listen_host() { if multihost; then echo 0.0.0.0; else echo "$FABRIC_HOST"; fi; }
# on_host HOSPITAL PROGRAM ARGS...: a program (not a shell function) on the hospital's host.
on_host() {
  local h="$1"; shift
  if multihost; then ip netns exec "$(netns_of "$h")" "$@"; else "$@"; fi
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
# start_bg NAME HOSPITAL DIR CMD...: runs CMD in DIR on the hospital's host, in the background, with
# its own log and pid file (`ip netns exec` execs the command, so the pid is the command's own).
start_bg() {
  local name="$1" h="$2" dir="$3" host=(); shift 3
  mkdir -p "$FABRIC_DATA/pids" "$FABRIC_DATA/logs"
  if is_running "$name"; then log "$name already running"; return 0; fi
  if multihost; then host=(ip netns exec "$(netns_of "$h")"); fi
  (cd "$dir" && exec "${host[@]}" setsid "$@" >>"$FABRIC_DATA/logs/$name.log" 2>&1 </dev/null) &
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

# wait_healthz NAME HOSPITAL PORT: the process's operations endpoint, asked on its own host, answers
# 200 once it is healthy.
wait_healthz() {
  local name="$1" h="$2" port="$3" i
  for i in $(seq 1 120); do
    if on_host "$h" curl -fsS -o /dev/null "http://$FABRIC_HOST:$port/healthz" 2>/dev/null; then return 0; fi
    is_running "$name" || die "$name exited; see $FABRIC_DATA/logs/$name.log"
    sleep 0.5
  done
  die "$name not healthy on port $port; see $FABRIC_DATA/logs/$name.log"
}

wait_port() { # NAME HOSPITAL PORT
  local name="$1" h="$2" port="$3" i
  for i in $(seq 1 120); do
    if on_host "$h" bash -c "exec 3<>/dev/tcp/$FABRIC_HOST/$port" 2>/dev/null; then return 0; fi
    is_running "$name" || die "$name exited; see $FABRIC_DATA/logs/$name.log"
    sleep 0.5
  done
  die "$name not listening on $port"
}

# ---- certificate authorities -------------------------------------------------------------------
# ca_start HOSPITAL: one Fabric CA server (TLS on) per organisation. Its bootstrap identity gets a
# generated secret (bootstrap.secret, 0600) that `fabric-ca-server init` writes into the CA's own
# configuration; nothing secret goes on a command line. The CA's folder is the CA's alone (0700).
ca_start() {
  local h="$1" org k home
  org="$(lower "$h")"; k="$(hospital_index "$h")"; home="$FABRIC_DATA/orgs/$org/ca"
  mkdir -p "$home" && chmod 700 "$home"
  if [ ! -f "$home/fabric-ca-server-config.yaml" ]; then
    (umask 077 && random_secret >"$home/bootstrap.secret")
    (umask 077 && cd "$home" && FABRIC_CA_SERVER_BOOT="$FABRIC_CA_ADMIN:$(cat "$home/bootstrap.secret")" \
      fabric-ca-server init -H "$home" --ca.name "ca-$org" --csr.cn "ca-$org" \
      --csr.hosts "$(node_sans ca "$h")" >>"$FABRIC_DATA/logs/ca-$org.log" 2>&1) ||
      die "fabric-ca-server init for $org failed; see $FABRIC_DATA/logs/ca-$org.log"
  fi
  start_bg "ca-$org" "$h" "$home" env -u FABRIC_CA_SERVER_BOOT fabric-ca-server start -H "$home" \
    --address "$(listen_host)" --port "$(ca_port "$k")" --ca.name "ca-$org" --csr.hosts "$(node_sans ca "$h")" \
    --tls.enabled --operations.listenaddress "$(listen_host):$(ca_ops_port "$k")"
  wait_healthz "ca-$org" "$h" "$(ca_ops_port "$k")"
}

ca_url() { echo "https://$(node_host ca "$1"):$(ca_port "$(hospital_index "$1")")"; } # HOSPITAL

# ca_client HOSPITAL ARGS...: fabric-ca-client on the hospital's host, its chatter kept in a log and
# shown only on failure. Secrets reach it through FABRIC_CA_CLIENT_URL (see enroll) or
# FABRIC_CA_CLIENT_ID_SECRET, never as an argument other processes could read.
ca_client() {
  local h="$1" out="$FABRIC_DATA/logs/ca-client.log"; shift
  mkdir -p "$FABRIC_DATA/logs"
  (umask 077 && on_host "$h" fabric-ca-client "$@" >>"$out" 2>&1) || { tail -5 "$out" >&2; die "fabric-ca-client $1 failed"; }
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

# enroll_url HOSPITAL NAME SECRET: the CA's URL with an enrolment secret (for FABRIC_CA_CLIENT_URL only).
enroll_url() { echo "https://$2:$3@$(node_host ca "$1"):$(ca_port "$(hospital_index "$1")")"; }

# enroll HOSPITAL NAME SECRET MSPDIR [fabric-ca-client args...]: an identity's signing certificate and key.
enroll() {
  local h="$1" name="$2" secret="$3" msp="$4" org; shift 4
  org="$(lower "$h")"
  mkdir -p "$msp"
  FABRIC_CA_CLIENT_URL="$(enroll_url "$h" "$name" "$secret")" ca_client "$h" enroll -H "$(dirname "$msp")" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$msp" "$@"
  normalize_msp "$msp"
}

# ca_admin_enroll HOSPITAL: the CA's bootstrap identity, which registers everything else.
ca_admin_enroll() {
  local org; org="$(lower "$1")"
  enroll "$1" "$FABRIC_CA_ADMIN" "$(cat "$FABRIC_DATA/orgs/$org/ca/bootstrap.secret")" "$FABRIC_DATA/orgs/$org/users/$FABRIC_CA_ADMIN/msp"
}

# register HOSPITAL NAME SECRET TYPE [ATTRS]
register() {
  local h="$1" name="$2" secret="$3" type="$4" attrs="${5:-}" org
  org="$(lower "$h")"
  local args=(register -H "$FABRIC_DATA/orgs/$org/users/$FABRIC_CA_ADMIN" -u "$(ca_url "$h")"
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")"
    --id.name "$name" --id.type "$type")
  [ -n "$attrs" ] && args+=(--id.attrs "$attrs")
  FABRIC_CA_CLIENT_ID_SECRET="$secret" ca_client "$h" "${args[@]}"
}

# enroll_tls HOSPITAL NAME SECRET DIR [NODE]: TLS server/client certificate as
# DIR/{server.crt,server.key,ca.crt}; a node's carries its host name (node_sans) as well.
enroll_tls() {
  local h="$1" name="$2" secret="$3" dir="$4" node="${5:-$2}" org
  org="$(lower "$h")"
  mkdir -p "$dir"
  FABRIC_CA_CLIENT_URL="$(enroll_url "$h" "$name" "$secret")" ca_client "$h" enroll -H "$dir" \
    --caname "ca-$org" --tls.certfiles "$(ca_cert "$org")" -M "$dir/out" \
    --enrollment.profile tls --csr.hosts "$(node_sans "$node" "$h"),$name"
  cp "$dir/out/signcerts/cert.pem" "$dir/server.crt"
  (umask 077 && cp "$dir"/out/keystore/*_sk "$dir/server.key")
  cp "$dir"/out/tlscacerts/*.pem "$dir/ca.crt"
  rm -rf "$dir/out"
}

# node_identity HOSPITAL NAME TYPE DIR: registers a node (or user) with a one-time random secret and
# enrols its MSP (DIR/msp) and TLS (DIR/tls) identities; the secret is not kept.
node_identity() {
  local h="$1" name="$2" type="$3" dir="$4" secret
  secret="$(random_secret)"
  register "$h" "$name" "$secret" "$type"
  enroll "$h" "$name" "$secret" "$dir/msp"
  enroll_tls "$h" "$name" "$secret" "$dir/tls"
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

peer_process() { echo "peer${2:-0}-$(lower "$1")"; }                              # HOSPITAL [N]
peer_node() { echo "$FABRIC_DATA/orgs/$(lower "$1")/nodes/peer${2:-0}"; }          # HOSPITAL [N]
peer_endpoint() { echo "$(node_host "peer${2:-0}" "$1"):$(peer_port "$(hospital_index "$1")" "${2:-0}")"; } # HOSPITAL [N]

# peer_start HOSPITAL [N]: the hospital's peer N, LevelDB state, gossip endpoint, ccaas only (no
# Docker). Its gossip starts from the hospital's other peers. MEDREC_CCAAS_CLIENT_TLS names the
# folder whose server.crt/server.key the peer presents to its chaincode servers (mutual TLS; the
# builder's release step puts them into connection.json). The peer's block delivery backs off at
# most 10 s between reconnections (Fabric's default lets the backoff grow to an hour), so that it is
# back soon after one of the orderers restarts. It accepts client keepalive pings every 5 s: Fabric's
# CLI pings more often than the default 60 s allows, and the peer then cuts (GOAWAY too_many_pings)
# the event stream on which `--waitForEvent` waits for a slow commit. An orderer whose host is cut off
# answers nothing, not even a refusal, so the peer notices it only by timing out: its Gateway hands a
# transaction to the next orderer after 5 s (Fabric's default waits 30 s, longer than a client's
# submit), and its block delivery pings the orderer every 10 s and gives up on it after 5 s silent
# (the default 60 s + 20 s) to fetch its blocks from another.
peer_start() {
  local h="$1" n="${2:-0}" org k node bootstrap=() i
  org="$(lower "$h")"; k="$(hospital_index "$h")"; node="$(peer_node "$h" "$n")"
  for i in $(peer_indexes); do [ "$i" = "$n" ] && [ "$FABRIC_PEERS" -gt 1 ] || bootstrap+=("$(peer_endpoint "$h" "$i")"); done
  mkdir -p "$node/data"
  start_bg "$(peer_process "$h" "$n")" "$h" "$node" env FABRIC_CFG_PATH="$FABRIC_DATA/config" \
    FABRIC_LOGGING_SPEC="${FABRIC_PEER_LOGGING:-info:gossip=warn:msp=warn}" \
    CORE_PEER_ID="peer$n.$org" CORE_PEER_NETWORKID=medrec \
    CORE_PEER_LISTENADDRESS="$(listen_host):$(peer_port "$k" "$n")" CORE_PEER_ADDRESS="$(peer_endpoint "$h" "$n")" \
    CORE_PEER_CHAINCODELISTENADDRESS="$(listen_host):$(peer_cc_port "$k" "$n")" \
    CORE_PEER_GOSSIP_BOOTSTRAP="${bootstrap[*]}" \
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="$(peer_endpoint "$h" "$n")" \
    CORE_PEER_LOCALMSPID="${h}MSP" CORE_PEER_MSPCONFIGPATH="$node/msp" \
    CORE_PEER_TLS_ENABLED=true CORE_PEER_TLS_CERT_FILE="$node/tls/server.crt" \
    CORE_PEER_TLS_KEY_FILE="$node/tls/server.key" CORE_PEER_TLS_ROOTCERT_FILE="$node/tls/ca.crt" \
    CORE_PEER_FILESYSTEMPATH="$node/data" CORE_LEDGER_SNAPSHOTS_ROOTDIR="$node/data/snapshots" \
    CORE_LEDGER_STATE_STATEDATABASE=goleveldb CORE_PEER_GATEWAY_ENABLED=true \
    CORE_CHAINCODE_MODE=net MEDREC_CCAAS_CLIENT_TLS="$node/tls" \
    CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD="${FABRIC_PEER_RECONNECT_MAX:-10s}" \
    CORE_PEER_KEEPALIVE_MININTERVAL=5s CORE_PEER_GATEWAY_BROADCASTTIMEOUT="${FABRIC_BROADCAST_TIMEOUT:-5s}" \
    CORE_PEER_KEEPALIVE_DELIVERYCLIENT_INTERVAL=10s CORE_PEER_KEEPALIVE_DELIVERYCLIENT_TIMEOUT=5s \
    CORE_OPERATIONS_LISTENADDRESS="$(listen_host):$(peer_ops_port "$k" "$n")" CORE_METRICS_PROVIDER=prometheus \
    peer node start
  wait_healthz "$(peer_process "$h" "$n")" "$h" "$(peer_ops_port "$k" "$n")"
}

peers_start() { local i; for i in $(peer_indexes); do peer_start "$1" "$i"; done; } # HOSPITAL

# peer_metric HOSPITAL N METRIC: one channel metric of the hospital's peer N, read on its host from its
# operations endpoint (no identity needed; empty if unknown).
peer_metric() {
  on_host "$1" curl -fsS "http://$FABRIC_HOST:$(peer_ops_port "$(hospital_index "$1")" "$2")/metrics" 2>/dev/null |
    sed -n "s/^$3{channel=\"$FABRIC_CHANNEL\"} //p"
}

# wait_gossip: every peer knows every other one on the channel (through the anchor peers). Until then
# a peer's Gateway cannot find another organisation's endorsers.
wait_gossip() {
  local others=$(($(hospitals | wc -l) * FABRIC_PEERS - 1)) h n known i
  for h in $(hospitals); do
    for n in $(peer_indexes); do
      for i in $(seq 1 120); do
        known="$(peer_metric "$h" "$n" gossip_membership_total_peers_known)"
        [ "${known:-0}" -ge "$others" ] && break
        sleep 0.5
      done
      [ "${known:-0}" -ge "$others" ] || die "$h's peer$n knows ${known:-0} of the $others other peers"
    done
  done
}

admin_msp() { echo "$FABRIC_DATA/orgs/$(lower "$1")/users/admin/msp"; }

# as_admin HOSPITAL CMD...: runs the peer CLI on the hospital's host as its admin against its own
# peer (PEER_INDEX, default 0) and, through orderer_args, its own orderer. Only that hospital's admin
# folder is given to the command.
as_admin() {
  local h="$1" org; shift
  org="$(lower "$h")"
  on_host "$h" env FABRIC_CFG_PATH="$FABRIC_DATA/config" FABRIC_LOGGING_SPEC=warn \
    CORE_PEER_LOCALMSPID="${h}MSP" CORE_PEER_MSPCONFIGPATH="$(admin_msp "$h")" \
    CORE_PEER_ADDRESS="$(peer_endpoint "$h" "${PEER_INDEX:-0}")" CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_ROOTCERT_FILE="$FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem" "$@"
}

# orderer_args HOSPITAL: the hospital's own orderer, trusted through its own TLS CA (any hospital's
# orderer, the second argument's, through that hospital's TLS CA).
orderer_args() {
  local via="${1}"; via="${2:-$via}"
  echo "-o $(orderer_endpoint "$via") --tls --cafile $FABRIC_DATA/orgs/$(lower "$via")/msp/tlscacerts/ca.pem"
}

# ---- orderers: every hospital runs one, with identities from its own CA (NodeOU orderer) --------
orderer_node() { echo "$FABRIC_DATA/orgs/$(lower "$1")/nodes/orderer0"; }
orderer_endpoint() { echo "$(node_host orderer0 "$1"):$(orderer_port "$(hospital_index "$1")")"; } # HOSPITAL

# orderer_start HOSPITAL: the hospital's orderer. It accepts keepalive pings every 5 s, as often as
# the peers' block delivery sends them.
orderer_start() {
  local h="$1" org k node
  org="$(lower "$h")"; k="$(hospital_index "$h")"; node="$(orderer_node "$h")"
  mkdir -p "$node/data"
  start_bg "orderer-$org" "$h" "$node" env FABRIC_CFG_PATH="$FABRIC_DATA/config" \
    FABRIC_LOGGING_SPEC="${FABRIC_ORDERER_LOGGING:-info}" \
    ORDERER_GENERAL_LISTENADDRESS="$(listen_host)" ORDERER_GENERAL_LISTENPORT="$(orderer_port "$k")" \
    ORDERER_GENERAL_LOCALMSPID="${h}MSP" ORDERER_GENERAL_LOCALMSPDIR="$node/msp" \
    ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$node/tls/server.key" \
    ORDERER_GENERAL_TLS_CERTIFICATE="$node/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$node/tls/server.crt" \
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$node/tls/server.key" \
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none ORDERER_CHANNELPARTICIPATION_ENABLED=true \
    ORDERER_GENERAL_KEEPALIVE_SERVERMININTERVAL=5s \
    ORDERER_ADMIN_LISTENADDRESS="$(listen_host):$(orderer_admin_port "$k")" \
    ORDERER_ADMIN_TLS_ENABLED=true ORDERER_ADMIN_TLS_CERTIFICATE="$node/tls/server.crt" \
    ORDERER_ADMIN_TLS_PRIVATEKEY="$node/tls/server.key" ORDERER_ADMIN_TLS_ROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$node/tls/ca.crt]" \
    ORDERER_FILELEDGER_LOCATION="$node/data/ledger" \
    ORDERER_CONSENSUS_WALDIR="$node/data/wal" ORDERER_CONSENSUS_SNAPDIR="$node/data/snap" \
    ORDERER_OPERATIONS_LISTENADDRESS="$(listen_host):$(orderer_ops_port "$k")" ORDERER_METRICS_PROVIDER=prometheus \
    orderer
  wait_healthz "orderer-$org" "$h" "$(orderer_ops_port "$k")"
}

# osnadmin_args HOSPITAL: the channel participation API of the hospital's own orderer, with its
# admin's TLS client certificate (the orderer trusts only its own CA there).
osnadmin_args() {
  local h="$1" org k; org="$(lower "$h")"; k="$(hospital_index "$h")"
  local admin="$FABRIC_DATA/orgs/$org/users/admin/tls"
  echo "-o $(node_host orderer0 "$h"):$(orderer_admin_port "$k") --ca-file $FABRIC_DATA/orgs/$org/msp/tlscacerts/ca.pem --client-cert $admin/server.crt --client-key $admin/server.key"
}

# orderer_join HOSPITAL BLOCK: joins the hospital's orderer to the channel with a config block.
orderer_join() {
  local out
  # shellcheck disable=SC2046
  out="$(on_host "$1" osnadmin channel join --channelID "$FABRIC_CHANNEL" --config-block "$2" $(osnadmin_args "$1") 2>&1)"
  grep -q 'Status: 201' <<<"$out" || die "$1's orderer refused to join $FABRIC_CHANNEL: $out"
}

# orderer_height HOSPITAL: the channel's height on the hospital's orderer (0 if unknown).
orderer_height() {
  # shellcheck disable=SC2046
  on_host "$1" osnadmin channel list --channelID "$FABRIC_CHANNEL" $(osnadmin_args "$1") 2>/dev/null |
    sed -n '/^{/,$p' | jq -r '.height // 0' 2>/dev/null || echo 0
}

# peer_height HOSPITAL [N]: the channel's height on the hospital's peer N (0 if unknown).
peer_height() {
  local v
  v="$(peer_metric "$1" "${2:-0}" ledger_blockchain_height)"
  printf '%.0f\n' "${v:-0}"
}
