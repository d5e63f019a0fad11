#!/usr/bin/env bash
# Stops or starts one component of a running network, keeping its data:
#   network/ctl.sh stop|kill|start|status peer|orderer|ca|chaincode <Hospital> [medrec|putstate]
# (stop: SIGTERM, then SIGKILL after 10 s; kill: SIGKILL at once, as a crash;
# chaincode: the hospital's server of the committed definition; medrec unless named).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/network/chaincode.sh"

[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: $0 stop|kill|start|status peer|orderer|ca|chaincode <Hospital> [chaincode]"
action="$1" kind="$2" h="$3" cc="${4:-medrec}"
hospital_index "$h" >/dev/null
case "$kind" in
  peer) name="peer-$(lower "$h")" ;;
  orderer) name="orderer-$(lower "$h")" ;;
  ca) name="ca-$(lower "$h")" ;;
  chaincode) name="$(cc_process "$cc" "$h")" ;;
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
      peer) peer_start "$h" ;;
      orderer) orderer_start "$h" ;;
      ca) k="$(hospital_index "$h")"; ca_start "$(lower "$h")" "$(ca_port "$k")" "$(ca_ops_port "$k")" ;;
      chaincode) cc_server_start "$cc" "$h" ;;
    esac ;;
  *) die "unknown action $action" ;;
esac
