#!/usr/bin/env bash
# npm run test:multihost [-- --faults]: the consortium across hosts on this machine. Starts a fresh network whose
# three hospitals (the third joining through the join flow) are each a host of their own (`fabric:up -- --hosts --peers 2`: a network
# namespace per hospital and one for the clients, veth pairs to a bridge in a namespace of its own;
# nothing outside this machine, nothing on its own interfaces), runs gateway/test-fabric/multihost/ on
# the clients' host, and removes the network and every namespace afterwards, also on failure.
# --faults (npm run fault:multihost): instead of the tests, the fault run
# (gateway/test-fabric/multihost/faults.ts): writes flow while Hospital2 loses its peer, its
# orderer, its chaincode server and its whole host in turn; it ends with one JSON line.
# Needs root (ip netns). Its own data folder (.fabric/multihost), so a running fabric:up network is
# left alone; FABRIC_NETNS names the namespaces (default medrec-mh-…).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FABRIC_DATA="${MULTIHOST_DATA:-$ROOT/.fabric/multihost}"
export FABRIC_NETNS="${FABRIC_NETNS:-medrec-mh}"
# Two hospitals found the network; the third joins through the join flow (scripts/add-hospital.sh:
# its own request on its own host, each member's signature made on that member's host).
export FABRIC_HOSPITALS="Hospital1 Hospital2"
export FABRIC_PEERS=2
faults=false
case "${1:-}" in --faults) faults=true ;; "") ;; *) echo "usage: $0 [--faults]" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "test:multihost needs root (ip netns)" >&2; exit 1; }
ip netns add "$FABRIC_NETNS-probe" && ip netns del "$FABRIC_NETNS-probe" || { echo "ip netns does not work here" >&2; exit 1; }

started=$SECONDS
trap '"$ROOT/network/down.sh" >/dev/null 2>&1 || true' EXIT
"$ROOT/network/up.sh" --hosts --peers 2
"$ROOT/scripts/add-hospital.sh" Hospital3
(cd "$ROOT" && npx tsc -b gateway)
status=0
if [ "$faults" = true ]; then
  (cd "$ROOT/gateway" && "$ROOT/network/hosts.sh" exec client node dist/test-fabric/multihost/faults.js) || status=$?
else
  (cd "$ROOT/gateway" && "$ROOT/network/hosts.sh" exec client \
    npx tap --disable-coverage --allow-incomplete-coverage --timeout=900 --jobs=1 dist/test-fabric/multihost/*.test.js) || status=$?
fi
echo "test:multihost took $((SECONDS - started)) s"
exit $status
