#!/usr/bin/env bash
# npm run fabric:down [-- --keep]: stops every process the network started (by its pid file),
# removes its hosts (network namespaces, `fabric:up -- --hosts`) and deletes the data folder, unless
# --keep is given (the hosts stay then too, for a later start of the same network).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    *) die "unknown option $arg" ;;
  esac
done

if [ -d "$FABRIC_DATA/pids" ]; then
  # Clients first, then peers, then orderers, then CAs, so nothing logs errors about the others.
  for pattern in 'gateway*' 'cc-*' 'peer*' 'orderer-*' 'ca-*'; do
    for pidfile in "$FABRIC_DATA"/pids/$pattern.pid; do
      [ -e "$pidfile" ] || continue
      stop_bg "$(basename "$pidfile" .pid)"
    done
  done
fi
if [ "$keep" = false ]; then
  if multihost; then "$ROOT/network/hosts.sh" destroy; fi
  case "$FABRIC_DATA" in
    "$ROOT"/*) rm -rf "$FABRIC_DATA" ;;
    *) [ -f "$FABRIC_DATA/hospitals" ] && rm -rf "$FABRIC_DATA" ;; # only a folder this script made
  esac
fi
log "network down"
