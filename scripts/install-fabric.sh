#!/usr/bin/env bash
# Installs Hyperledger Fabric and Fabric CA binaries from the Go module proxy into a git-ignored
# folder (.fabric/bin), with Fabric's sample core.yaml/orderer.yaml beside them (.fabric/config).
# Needs only Go (with cgo for the CA's SQLite driver) and the module proxy. Rebuilds when the pinned
# versions change (.fabric/bin/VERSIONS records what the binaries were built from).
#
# Fabric version. Fabric's go.mod says `module github.com/hyperledger/fabric` (no /v3), so the proxy
# serves its commits, tagged releases included, only as pseudo-versions v1.4.0-rc1.0.<time>-<commit>.
# The default is the newest commit the proxy here serves: main of 2026-04-23 (2190a1c8e067), two
# months after the v3.1.4 release, whose Makefile still says FABRIC_VER 3.1.4. The binaries are
# labelled the way Fabric's own Makefile labels a build that is not a release:
# <FABRIC_VER>-snapshot-<commit> (here 3.1.4-snapshot-2190a1c8e067), Commit SHA <commit>.
# FABRIC_VERSION overrides the module version; a tagged release is named by its tag, which
# FABRIC_RELEASES maps to its commit's pseudo-version (served or not: the proxy decides), and is
# labelled with its release number. FABRIC_VERSION=v3.1.5 → v1.4.0-rc1.0.20260618074816-86c1172bec37
# (refused by the proxy here on 2026-11-29: 403 "This module version is not available").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FABRIC_BIN="${FABRIC_BIN:-$ROOT/.fabric/bin}"
FABRIC_CONFIG="${FABRIC_CONFIG:-$ROOT/.fabric/config}"
FABRIC_VERSION="${FABRIC_VERSION:-v1.4.0-rc1.0.20260423151550-2190a1c8e067}"
CA_VERSION="${CA_VERSION:-v1.5.22}"
# The network scripts edit Fabric's YAML (core.yaml) with mikefarah's yq, built the same way.
YQ_VERSION="${YQ_VERSION:-v4.54.3}"

# Tagged Fabric releases and the pseudo-versions of their commits.
FABRIC_RELEASES="v3.1.5=v1.4.0-rc1.0.20260618074816-86c1172bec37"

release=""
for pair in $FABRIC_RELEASES; do
  if [ "$FABRIC_VERSION" = "${pair%%=*}" ]; then release="${pair%%=*}"; FABRIC_VERSION="${pair#*=}"; fi
done

mkdir -p "$FABRIC_BIN" "$FABRIC_CONFIG"

module_dir() {
  local out
  out="$(go mod download -json "$1@$2")" || { echo "the Go module proxy does not serve $1@$2:" >&2; echo "$out" >&2; exit 1; }
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$out"
}

# What the binaries are built from; a change rebuilds them all.
wanted="fabric $FABRIC_VERSION ${release:-} ca $CA_VERSION yq $YQ_VERSION go $(go env GOVERSION)"
if [ "$(cat "$FABRIC_BIN/VERSIONS" 2>/dev/null)" != "$wanted" ]; then
  rm -f "$FABRIC_BIN"/{peer,orderer,osnadmin,configtxgen,configtxlator,fabric-ca-server,fabric-ca-client,yq} \
    "$FABRIC_CONFIG"/{core,orderer}.yaml "$FABRIC_BIN/VERSIONS"
fi

# `go install pkg@version` first reads the module's version list (for deprecation notices), which the
# proxy refuses. Building from a throwaway main module that requires the module at that version, with
# the module's own go.mod (requirements and replacements), needs only the exact versions.
build() { # module version cgo ldflags package...
  local module="$1" version="$2" cgo="$3" ldflags="$4"; shift 4
  local missing=() pkg
  for pkg in "$@"; do
    if [ "$pkg" = . ]; then # the module's own main package: the binary is named after the module
      [ -x "$FABRIC_BIN/$(basename "${module%/v[0-9]*}")" ] || missing+=("$module")
    else
      [ -x "$FABRIC_BIN/${pkg##*/}" ] || missing+=("$module/$pkg")
    fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  local src work
  src="$(module_dir "$module" "$version")"
  work="$ROOT/.fabric/src/$(basename "${module%/v[0-9]*}")"
  rm -rf "$work" && mkdir -p "$work"
  { printf 'module build.local/%s\n\n' "${module##*/}"
    grep -v '^module ' "$src/go.mod"
    printf '\nrequire %s %s\n' "$module" "$version"; } > "$work/go.mod"
  echo "building ${missing[*]} @ $version"
  (cd "$work" && GOFLAGS=-mod=mod GOBIN="$FABRIC_BIN" CGO_ENABLED="$cgo" go install -trimpath -ldflags "$ldflags" "${missing[@]}")
}

fabric_src="$(module_dir github.com/hyperledger/fabric "$FABRIC_VERSION")"
commit="${FABRIC_VERSION##*-}"
if [ -n "$release" ]; then
  label="${release#v}"
else
  label="$(sed -n 's/^FABRIC_VER ?= *//p' "$fabric_src/Makefile")-snapshot-$commit"
fi
meta=github.com/hyperledger/fabric/common/metadata
build github.com/hyperledger/fabric "$FABRIC_VERSION" 0 "-X $meta.Version=$label -X $meta.CommitSHA=$commit" \
  cmd/peer cmd/orderer cmd/osnadmin cmd/configtxgen cmd/configtxlator
if [ ! -f "$FABRIC_CONFIG/core.yaml" ]; then
  cp "$fabric_src/sampleconfig/core.yaml" "$fabric_src/sampleconfig/orderer.yaml" "$FABRIC_CONFIG/"
  chmod u+w "$FABRIC_CONFIG"/*.yaml
fi
# SQLite, the CA's default store, is a cgo driver. Fabric CA's Makefile sets metadata.Version.
build github.com/hyperledger/fabric-ca "$CA_VERSION" 1 "-X github.com/hyperledger/fabric-ca/lib/metadata.Version=${CA_VERSION#v}" \
  cmd/fabric-ca-server cmd/fabric-ca-client
build github.com/mikefarah/yq/v4 "$YQ_VERSION" 0 "" .

echo "$wanted" > "$FABRIC_BIN/VERSIONS"
echo "$FABRIC_VERSION" > "$FABRIC_BIN/FABRIC_VERSION"
for name in peer orderer configtxlator fabric-ca-server fabric-ca-client; do
  printf '%-17s %s\n' "$name" "$("$FABRIC_BIN/$name" version 2>/dev/null | grep -m1 -i 'version:' | sed 's/^ *[Vv]ersion: *//')"
done
printf '%-17s %s\n' configtxgen "$("$FABRIC_BIN/configtxgen" -version 2>/dev/null | grep -m1 -i 'version:' | sed 's/^ *[Vv]ersion: *//')"
echo "fabric module    $FABRIC_VERSION"
