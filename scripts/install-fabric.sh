#!/usr/bin/env bash
# Installs Hyperledger Fabric and Fabric CA binaries from the Go module proxy into a git-ignored
# folder (.fabric/bin), with Fabric's sample core.yaml/orderer.yaml beside them (.fabric/config).
# Needs only Go (with cgo for the CA's SQLite driver) and the module proxy; idempotent.
#
# Fabric version: the issue pins v3.1.5 (pseudo-version v1.4.0-rc1.0.20260618074816-86c1172bec37),
# but the module proxy these machines reach refuses it (HTTP 403 "This module version is not
# available"), as it refuses the v2.5/v3 commits tried after spring 2023 and the ccaas_builder module.
# The one Fabric 3 development commit it serves is main of 2023-04-05 (695dd57e01c2): channel
# participation API, no system channel, SmartBFT orderer, peer Gateway service, ccaas. Set
# FABRIC_VERSION to the pinned pseudo-version where the proxy serves it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FABRIC_BIN="${FABRIC_BIN:-$ROOT/.fabric/bin}"
FABRIC_CONFIG="${FABRIC_CONFIG:-$ROOT/.fabric/config}"
FABRIC_VERSION="${FABRIC_VERSION:-v1.4.0-rc1.0.20230405174026-695dd57e01c2}"
CA_VERSION="${CA_VERSION:-v1.5.21}"

mkdir -p "$FABRIC_BIN" "$FABRIC_CONFIG"

module_dir() { go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# `go install pkg@version` first reads the module's version list (for deprecation notices), which the
# proxy refuses. Building from a throwaway main module that requires the module at that version, with
# the module's own go.mod (requirements and replacements), needs only the exact versions.
build() { # module version cgo package...
  local module="$1" version="$2" cgo="$3"; shift 3
  local missing=() pkg
  for pkg in "$@"; do [ -x "$FABRIC_BIN/${pkg##*/}" ] || missing+=("$module/$pkg"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  local src work
  src="$(module_dir "$module" "$version")"
  work="$ROOT/.fabric/src/${module##*/}"
  mkdir -p "$work"
  { printf 'module build.local/%s\n\n' "${module##*/}"
    grep -v '^module ' "$src/go.mod"
    printf '\nrequire %s %s\n' "$module" "$version"; } > "$work/go.mod"
  echo "building ${missing[*]} @ $version"
  local ldflags=""
  [ "$module" = github.com/hyperledger/fabric ] &&
    ldflags="-X $module/common/metadata.Version=3.0.0-dev+${version##*-} -X $module/common/metadata.CommitSHA=${version##*-}"
  (cd "$work" && GOFLAGS=-mod=mod GOBIN="$FABRIC_BIN" CGO_ENABLED="$cgo" go install -trimpath -ldflags "$ldflags" "${missing[@]}")
  if [ "$module" = github.com/hyperledger/fabric ]; then
    cp "$src/sampleconfig/core.yaml" "$src/sampleconfig/orderer.yaml" "$FABRIC_CONFIG/"
    chmod u+w "$FABRIC_CONFIG"/*.yaml
  fi
}

build github.com/hyperledger/fabric "$FABRIC_VERSION" 0 \
  cmd/peer cmd/orderer cmd/osnadmin cmd/configtxgen cmd/configtxlator
if [ ! -f "$FABRIC_CONFIG/core.yaml" ]; then
  src="$(module_dir github.com/hyperledger/fabric "$FABRIC_VERSION")"
  cp "$src/sampleconfig/core.yaml" "$src/sampleconfig/orderer.yaml" "$FABRIC_CONFIG/"
  chmod u+w "$FABRIC_CONFIG"/*.yaml
fi
# SQLite, the CA's default store, is a cgo driver.
build github.com/hyperledger/fabric-ca "$CA_VERSION" 1 cmd/fabric-ca-server cmd/fabric-ca-client

echo "$FABRIC_VERSION" > "$FABRIC_BIN/FABRIC_VERSION"
for name in peer orderer configtxlator fabric-ca-server fabric-ca-client; do
  printf '%-17s %s\n' "$name" "$("$FABRIC_BIN/$name" version 2>/dev/null | grep -m1 -i 'version:' | sed 's/^ *[Vv]ersion: *//')"
done
printf '%-17s %s\n' configtxgen "$("$FABRIC_BIN/configtxgen" -version 2>/dev/null | grep -m1 -i 'version:' | sed 's/^ *[Vv]ersion: *//')"
echo "fabric module    $FABRIC_VERSION"
