#!/usr/bin/env bash
# Builds the offline HL7 FHIR validator (tools/fhir-validator): Maven fetches HAPI FHIR's validator and the
# FHIR R4 core package (hapi-fhir-validation-resources-r4) from Maven Central into this clone's own local
# repository (.m2/repository), compiles Main.java and copies the class path into target/lib. This is the
# only step that needs the network; validating afterwards runs offline (see README.md here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)/.m2/repository"
cd "$here"
mvn -B -q -Dmaven.repo.local="$repo" -DskipTests package "$@"
echo "fhir-validator built: $here/target/lib ($(ls target/lib | wc -l) jars)"
