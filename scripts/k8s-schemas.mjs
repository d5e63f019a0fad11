#!/usr/bin/env node
// node scripts/k8s-schemas.mjs <kubernetes openapi-spec/v3 folder> <out folder>
// Writes standalone, strict JSON schemas for every Kubernetes kind in the OpenAPI v3 documents that
// ship with the Kubernetes source (the k8s.io/kubernetes Go module: api/openapi-spec/v3), named as
// kubeconform looks them up: <kind>-<group>-<version>.json (core kinds: <kind>-<version>.json).
// kubeconform would otherwise download them from a schema repository, which CI here cannot reach.
// Strict like kubectl's validation: an object that lists its properties accepts no others.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [source, out] = process.argv.slice(2);
if (!out) {
  process.stderr.write('usage: k8s-schemas.mjs <openapi-spec/v3 folder> <out folder>\n');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

function resolve(node, schemas, seen) {
  if (Array.isArray(node)) return node.map((n) => resolve(n, schemas, seen));
  if (!node || typeof node !== 'object') return node;
  if (node.$ref) {
    const name = node.$ref.replace('#/components/schemas/', '');
    if (seen.includes(name)) return {}; // a recursive type (e.g. JSONSchemaProps): accept anything below
    return resolve(schemas[name], schemas, [...seen, name]);
  }
  if (node.format === 'int-or-string') return { oneOf: [{ type: 'string' }, { type: 'integer' }] };
  const copy = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'x-kubernetes-group-version-kind' || key === 'description') continue;
    copy[key] = key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, schemas, seen)])) : resolve(value, schemas, seen);
  }
  // {allOf: [one schema]} is how v3 documents wrap a $ref with a default.
  if (Array.isArray(copy.allOf) && copy.allOf.length === 1) Object.assign(copy, copy.allOf[0]) && delete copy.allOf;
  if (copy.properties && copy.additionalProperties === undefined) copy.additionalProperties = false;
  return copy;
}

let written = 0;
for (const file of readdirSync(source).filter((f) => f.endsWith('.json'))) {
  const schemas = JSON.parse(readFileSync(join(source, file), 'utf8')).components?.schemas ?? {};
  for (const [name, schema] of Object.entries(schemas)) {
    for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
      // Only the document of the kind's own group and version (others repeat it as a reference).
      if (!name.includes(`.${gvk.version}.${gvk.kind}`) || !schema.properties?.apiVersion) continue;
      const group = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
      const resolved = resolve(schema, schemas, [name]);
      resolved.properties.apiVersion = { type: 'string', enum: [gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version] };
      resolved.properties.kind = { type: 'string', enum: [gvk.kind] };
      writeFileSync(join(out, `${gvk.kind.toLowerCase()}${group}-${gvk.version}.json`), JSON.stringify({ $schema: 'http://json-schema.org/schema#', ...resolved }));
      written++;
    }
  }
}
process.stdout.write(`${written} schemas in ${out}\n`);
