#!/usr/bin/env bash
# network/hosts.sh: the hospitals' hosts on this machine, for `fabric:up -- --hosts`. Each hospital
# is a network namespace of its own (<FABRIC_NETNS>-<org>, address <FABRIC_SUBNET>.1.<k>/16), and
# so is the clients' host (<FABRIC_NETNS>-client, .0.2); each has a veth pair to a bridge that lives
# in a namespace of its own too (<FABRIC_NETNS>-lan): nothing is added to this machine's own network
# and nothing leaves it. Every host resolves every node by name (peer0.<org>.<FABRIC_DOMAIN>, …)
# through its own hosts file, /etc/netns/<ns>/hosts, which `ip netns exec` mounts as /etc/hosts.
#   create              the lan, the client host and a host per hospital of the network
#   add <Hospital>      one more hospital's host (a hospital that joins), named in every hosts file
#   cut|restore <Hospital>   pulls its cable (the lan's side of its link down) or plugs it back in
#   kill <Hospital>     SIGKILL every process on the hospital's host (a host crash)
#   exec <Hospital|client> <program> [args…]   runs a program on that host
#   destroy             kills what still runs on them, deletes the namespaces and their hosts files
# Needs root (ip netns). Everything it made is listed in $FABRIC_DATA/hosts/made, so destroy removes
# exactly that, also after a failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

multihost || die "FABRIC_NETNS is not set: this network runs on one host"
made="$FABRIC_DATA/hosts/made"
lan="$FABRIC_NETNS-lan"
client="$FABRIC_NETNS-client"

# host_line HOSPITAL: the hosts-file line naming every node of the hospital.
host_line() {
  local h="$1" k names=()
  k="$(hospital_index "$h")"
  for node in $(for n in $(seq 0 3); do echo "peer$n"; done) orderer0 ca chaincode gateway; do names+=("$(node_name "$node" "$h")"); done
  echo "$FABRIC_SUBNET.1.$k ${names[*]}"
}

# new_host NS ADDRESS LANPORT: a namespace with a veth pair to the lan's bridge, its loopback up.
new_host() {
  local ns="$1" address="$2" port="$3"
  ip netns add "$ns"
  echo "$ns" >>"$made"
  mkdir -p "/etc/netns/$ns"
  ip link add eth0 netns "$ns" type veth peer name "$port" netns "$lan"
  ip -n "$lan" link set "$port" master br0 up
  ip -n "$ns" addr add "$address/16" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  {
    echo "127.0.0.1 localhost"
    for h in $(hospitals); do host_line "$h"; done
  } >"/etc/netns/$ns/hosts"
}

hospital_host() { # HOSPITAL
  local h="$1" k
  k="$(hospital_index "$h")"
  [ "$k" -le 250 ] || die "at most 250 hospitals on one lan"
  case "$(lower "$h")" in lan | client) die "a hospital cannot be called $h on several hosts" ;; esac
  new_host "$(netns_of "$h")" "$FABRIC_SUBNET.1.$k" "vh$k"
}

case "${1:-}" in
  create)
    mkdir -p "$FABRIC_DATA/hosts"
    : >>"$made"
    ip netns add "$lan"
    echo "$lan" >>"$made"
    ip -n "$lan" link add br0 type bridge
    ip -n "$lan" link set br0 up
    new_host "$client" "$FABRIC_SUBNET.0.2" vc0
    for h in $(hospitals); do hospital_host "$h"; done
    log "hosts: $(hospitals | wc -l) hospitals and a client on $FABRIC_SUBNET.0.0/16 ($lan)" ;;
  add)
    [ $# -eq 2 ] || die "usage: $0 add <Hospital>"
    ip netns list | grep -q "^$(netns_of "$2")\b" && exit 0
    hospital_host "$2"
    # Appended, not rewritten: a running process keeps the file (inode) ip netns exec mounted for it.
    line="$(host_line "$2")"
    while read -r ns; do
      [ "$ns" = "$lan" ] || [ "$ns" = "$(netns_of "$2")" ] || echo "$line" >>"/etc/netns/$ns/hosts"
    done <"$made" ;;
  cut | restore)
    [ $# -eq 2 ] || die "usage: $0 $1 <Hospital>"
    ip -n "$lan" link set "vh$(hospital_index "$2")" "$([ "$1" = cut ] && echo down || echo up)" ;;
  kill)
    [ $# -eq 2 ] || die "usage: $0 kill <Hospital>"
    for pid in $(ip netns pids "$(netns_of "$2")"); do kill -9 "$pid" 2>/dev/null || true; done ;;
  exec)
    [ $# -ge 3 ] || die "usage: $0 exec <Hospital|client> <program> [args…]"
    if [ "$2" = client ]; then ns="$client"; else ns="$(netns_of "$2")"; fi
    shift 2
    exec ip netns exec "$ns" "$@" ;;
  destroy)
    [ -f "$made" ] || exit 0
    tac "$made" | while read -r ns; do
      if ip netns list | grep -q "^$ns\b"; then
        for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
        ip netns del "$ns"
      fi
      rm -rf "/etc/netns/$ns"
    done
    rm -f "$made"
    log "hosts removed" ;;
  *) die "usage: $0 create|add <Hospital>|cut <Hospital>|restore <Hospital>|kill <Hospital>|exec <host> …|destroy" ;;
esac
