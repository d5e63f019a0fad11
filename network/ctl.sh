#!/usr/bin/env bash
# Stops or starts one component of a running network, keeping its data:
#   network/ctl.sh stop|kill|start|status peer|peer0|peer1|orderer|ca|chaincode|gateway <Hospital> [medrec|putstate]
#   network/ctl.sh kill|start|cut|restore host <Hospital>          (fabric:up -- --hosts only)
# (stop: SIGTERM, then SIGKILL after 10 s; kill: SIGKILL at once, as a crash; peer: its peer0;
# chaincode: the hospital's server of the committed definition, medrec unless named; host: every
# process on the hospital's host killed at once, or all of them started again with their data; cut /
# restore: the host's network link down / up, its processes left running).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/network/chaincode.sh"

[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: $0 stop|kill|start|status peer|peer1|orderer|ca|chaincode|gateway|host <Hospital> [chaincode]"
action="$1" kind="$2" h="$3" cc="${4:-medrec}"
hospital_index "$h" >/dev/null

# host_start HOSPITAL: everything the hospital runs, in the order fabric:up starts it.
host_start() {
  local h="$1" name
  ca_start "$h"
  orderer_start "$h"
  peers_start "$h"
  for name in medrec putstate; do cc_server_start "$name" "$h"; done
  [ -f "$FABRIC_DATA/gateway-$(lower "$h").json" ] && "$ROOT/network/gateway.sh" start "$h"
  return 0
}

if [ "$kind" = host ]; then
  case "$action" in
    kill)
      "$ROOT/network/hosts.sh" kill "$h"
      for pidfile in "$FABRIC_DATA"/pids/*-"$(lower "$h")".pid "$FABRIC_DATA"/pids/cc-*-"$(lower "$h")"-s*.pid; do
        [ -e "$pidfile" ] && ! is_running "$(basename "$pidfile" .pid)" && rm -f "$pidfile"
      done ;;
    start) host_start "$h" ;;
    cut | restore) "$ROOT/network/hosts.sh" "$action" "$h" ;;
    *) die "unknown action $action for a host" ;;
  esac
  exit 0
fi

case "$kind" in
  peer | peer0) name="$(peer_process "$h" 0)" ;;
  peer[1-9]) name="$(peer_process "$h" "${kind#peer}")" ;;
  orderer) name="orderer-$(lower "$h")" ;;
  ca) name="ca-$(lower "$h")" ;;
  chaincode) name="$(cc_process "$cc" "$h")" ;;
  gateway) name="gateway-$(lower "$h")" ;;
  *) die "unknown component $kind" ;;
esac
case "$action" in
  stop) stop_bg "$name" ;;
  kill)
    if is_running "$name"; then
      pid="$(cat "$FABRIC_DATA/pids/$name.pid")"
      kill -9 "$pid"
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$FABRIC_DATA/pids/$name.pid" ;;
  status) is_running "$name" && echo running || { echo stopped; exit 3; } ;;
  start)
    case "$kind" in
      peer | peer0) peer_start "$h" 0 ;;
      peer[1-9]) peer_start "$h" "${kind#peer}" ;;
      orderer) orderer_start "$h" ;;
      ca) ca_start "$h" ;;
      chaincode) cc_server_start "$cc" "$h" ;;
      gateway) "$ROOT/network/gateway.sh" start "$h" ;;
    esac ;;
  *) die "unknown action $action" ;;
esac
