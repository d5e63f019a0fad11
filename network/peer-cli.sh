#!/usr/bin/env bash
# Runs Fabric's own peer CLI as one of a hospital's enrolled users against that hospital's peer:
#   network/peer-cli.sh <Hospital> <user> chaincode query -C medrec -n medrec -c '{"Args":[...]}'
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 3 ] || die "usage: $0 <Hospital> <user> <peer arguments...>"
h="$1" user="$2"; shift 2
as_admin "$h" env CORE_PEER_MSPCONFIGPATH="$FABRIC_DATA/orgs/$(lower "$h")/users/$user/msp" peer "$@"
