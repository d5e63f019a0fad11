#!/usr/bin/env bash
# Checks the Helm chart without a cluster (none can be reached from CI here): `helm lint`, then
# `helm template` for each hospital's values, then a Kubernetes schema check of what it renders with
# kubeconform (-strict: no field the API does not know). helm and kubeconform are built from the Go
# module proxy into .fabric/tools (cached); Kubernetes' own OpenAPI documents come from the
# k8s.io/kubernetes module (api/openapi-spec/v3) and become kubeconform's schemas
# (scripts/k8s-schemas.mjs); the operator's custom resources are checked against
# deploy/helm/schemas/ (the fields this chart uses). Prints TAP, one test per check.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${DEPLOY_TOOLS:-$ROOT/.fabric/tools}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.7.0}"
K8S_VERSION="${K8S_VERSION:-v1.37.2}"
KUBE_VERSION="${K8S_VERSION#v}"
# What the chart renders per hospital: 3 FabricIdentity, 1 FabricChaincode, ConfigMap, Deployment,
# Service, PersistentVolumeClaim.
RESOURCES=8
CHART="$ROOT/deploy/helm/medrec"
mkdir -p "$TOOLS"

tool() { # NAME PACKAGE@VERSION
  [ -x "$TOOLS/$1" ] && [ "$(cat "$TOOLS/$1.version" 2>/dev/null)" = "$2" ] && return 0
  echo "# building $2" >&2
  GOBIN="$TOOLS" CGO_ENABLED=0 go install -trimpath "$2" >&2 && echo "$2" >"$TOOLS/$1.version"
}
tool helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" || { echo "not ok 1 - building helm"; exit 1; }
tool kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" || { echo "not ok 1 - building kubeconform"; exit 1; }
schemas="$TOOLS/k8s-schemas-$K8S_VERSION"
if [ ! -f "$schemas/deployment-apps-v1.json" ]; then
  k8s="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  node "$ROOT/scripts/k8s-schemas.mjs" "$k8s/api/openapi-spec/v3" "$schemas" >&2 || { echo "not ok 1 - Kubernetes schemas"; exit 1; }
fi

n=0 failed=0
check() { # DESCRIPTION CMD...
  local out
  n=$((n + 1))
  if out="$("${@:2}" 2>&1)"; then echo "ok $n - $1"; else failed=$((failed + 1)); echo "not ok $n - $1"; sed 's/^/  # /' <<<"$out"; fi
}
# Placeholder install-time values: the chart refuses to render without them (they are secrets or
# per-deployment facts, never committed).
sets=(--set identities.records-service.enrollSecret=x --set identities.registrar.enrollSecret=x
  --set identities.auditor.enrollSecret=x --set identityRegistrar.enrollId=x --set identityRegistrar.enrollSecret=x
  --set chaincode.tls.enrollId=x --set chaincode.tls.enrollSecret=x --set chaincode.packageId=medrec_1:0000)
render="$(mktemp -d)"
trap 'rm -rf "$render"' EXIT
check "helm lint" "$TOOLS/helm" lint --strict "$CHART" "${sets[@]}"
refuses() {
  local out
  out="$("$TOOLS/helm" template h "$CHART" --kube-version "$KUBE_VERSION" 2>&1)" && return 1
  grep -q 'enrollSecret is required' <<<"$out"
}
check "helm template refuses to render without the install-time secrets" refuses
template() { "$TOOLS/helm" template "$1" "$CHART" -n "$1" -f "$CHART/values/$1.yaml" --kube-version "$KUBE_VERSION" "${sets[@]}" >"$render/$1.yaml"; }
# Every resource valid, and all of them there (an empty rendering would pass a schema check).
conform() {
  local out
  out="$("$TOOLS/kubeconform" -strict -summary -schema-location "$schemas/{{.ResourceKind}}{{.KindSuffix}}.json" \
    -schema-location "$ROOT/deploy/helm/schemas/{{.ResourceKind}}{{.KindSuffix}}.json" "$render/$1.yaml")" || { echo "$out"; return 1; }
  echo "$out"
  grep -q "Valid: $2, Invalid: 0, Errors: 0, Skipped: 0" <<<"$out"
}
for values in "$CHART"/values/*.yaml; do
  h="$(basename "$values" .yaml)"
  check "helm template for $h" template "$h"
  check "kubeconform -strict for $h: $RESOURCES resources valid" conform "$h" "$RESOURCES"
done
echo "1..$n"
[ $failed -eq 0 ]
