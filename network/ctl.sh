#!/usr/bin/env bash
# Stops or starts one component of a running network, keeping its data:
#   network/ctl.sh stop|start|status peer <Hospital> | orderer <n> | ca <Hospital> | chaincode <name>
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/network/chaincode.sh"

[ $# -eq 3 ] || die "usage: $0 stop|start|status peer <Hospital>|orderer <n>|ca <Hospital>|chaincode <name>"
action="$1" kind="$2" target="$3"
case "$kind" in
  peer) name="peer-$(lower "$target")" ;;
  orderer) name="orderer$target" ;;
  ca) name="ca-$(lower "$target")" ;;
  chaincode) name="cc-$target" ;;
  *) die "unknown component $kind" ;;
esac
case "$action" in
  stop) stop_bg "$name" ;;
  status) is_running "$name" && echo running || { echo stopped; exit 3; } ;;
  start)
    case "$kind" in
      peer) peer_start "$target" ;;
      orderer) orderer_start "$target" ;;
      ca) k="$(hospital_index "$target")"; ca_start "$(lower "$target")" "$(ca_port "$k")" "$(ca_ops_port "$k")" ;;
      chaincode) cc_server_start "$target" ;;
    esac ;;
  *) die "unknown action $action" ;;
esac
