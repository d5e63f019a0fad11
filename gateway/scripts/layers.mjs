// The gateway's layer rule, in one place: used by the ESLint rule `medrec/layers` (eslint.config.mjs)
// and by test/arch/layers.test.ts, which also proves it fails on a violation.
//
// gateway/src is layered, lowest first; a module may import from its own layer or a lower one:
//   ports      interfaces only (LedgerPort, IdentityPort, EhrStore) and their errors
//   pki        X.509: parsing, Fabric CA attributes, chains, CRLs, the channel's TrustStore, the key vault
//   contract   the typed medrec chaincode client over LedgerPort
//   adapters   ledger/{embedded,fabric}, identity/{embedded,fabric-ca}, ehr/{sqlite,mssql}
//   services   application services: accounts, enrolment, relationships, records (FHIR), gatekeeper, audit, notifications
//   http       the Fastify app, its plugins and routes
//   system     the composition root: builds every hospital's runtime from configuration
// Above src: bin/ (entry points), demo/ (demo data, demo users, JSON/SSE clients), test/, bench/,
// test-fabric/, test-fhir/. Nothing in src may import them.
// Workspace packages have a place too (PACKAGES): the client library's `protocol` entry (the pointer
// hash, the answer check and the signed request's fixed parts, which the device runs too) from
// services up; the rest of it is the patient's wallet, which no gateway module may hold, but the
// custodian adapter (src/adapters/peers/) that speaks for password patients' delegates.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const LAYERS = ['ports', 'pki', 'contract', 'adapters', 'services', 'http', 'system'];

/** Workspace packages src may import only in part: the lowest layer allowed, and the entries it may name. */
export const PACKAGES = {
  '@medrec/client': {
    lowest: 'services',
    entries: ['@medrec/client/protocol'],
    // The one exception: the adapter by which a home gateway acts, as her custodian, for a password
    // patient's delegates at other hospitals' gateways (docs/privacy.md §3) does what her device would.
    custodian: { dir: 'src/adapters/peers/', entries: ['@medrec/client'] },
  },
};

/** Where a file (path relative to the gateway package) sits: a layer of src, 'outside' src, or 'src-root'. */
export function placeOf(file) {
  const parts = file.split(/[\\/]/);
  if (parts[0] !== 'src') return { kind: 'outside', name: parts[0] };
  const layer = LAYERS.indexOf(parts[1]);
  return parts.length > 2 && layer >= 0 ? { kind: 'layer', name: parts[1], rank: layer } : { kind: 'src-root', name: parts[1] };
}

/** Why `from` may not import `to` (both relative to the gateway package), or undefined when it may. */
export function violation(from, to) {
  const a = placeOf(from);
  if (a.kind === 'outside') return undefined;
  if (a.kind === 'src-root') return `${from} is in no layer of src (${LAYERS.join(', ')})`;
  const b = placeOf(to);
  if (b.kind === 'outside') return `${from}: product code may not import ${to} (demo, entry point or test code)`;
  if (b.kind === 'src-root') return `${from}: ${to} is in no layer of src`;
  if (b.rank > a.rank) return `${from}: layer ${a.name} may not import ${to} from the higher layer ${b.name}`;
  return undefined;
}

/** Why `from` (relative to the gateway package) may not import the package specifier `spec`, or undefined when it may. */
export function packageViolation(from, spec) {
  const a = placeOf(from);
  if (a.kind !== 'layer') return undefined;
  const name = Object.keys(PACKAGES).find((p) => spec === p || spec.startsWith(`${p}/`));
  if (!name) return undefined;
  const rule = PACKAGES[name];
  if (rule.custodian && from.split(sep).join('/').startsWith(rule.custodian.dir) && rule.custodian.entries.includes(spec)) return undefined;
  if (!rule.entries.includes(spec)) return `${from}: ${spec} is not an entry of ${name} the gateway may use (${rule.entries.join(', ')})`;
  if (a.rank < LAYERS.indexOf(rule.lowest)) return `${from}: layer ${a.name} may not import ${spec} (allowed from ${rule.lowest} up)`;
  return undefined;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** The import specifiers of a TypeScript source. */
export function importsOf(source) {
  const out = [];
  for (const m of source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec) out.push(spec);
  }
  return out;
}

/** Why `from` may not import `spec` (relative or a package), or undefined when it may. */
export function importViolation(root, from, spec) {
  return spec.startsWith('.') ? violation(from, target(root, from, spec)) : packageViolation(from, spec);
}

/** A relative specifier of `from` as a path relative to the package (the .ts source of a .js import). */
export function target(root, from, spec) {
  return relative(root, resolve(root, dirname(from), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every violation in `root`/src: one line each. */
export function scan(root) {
  const found = [];
  for (const path of sources(join(root, 'src'))) {
    const from = relative(root, path).split(sep).join('/');
    const self = violation(from, from);
    if (self) found.push(self);
    for (const spec of importsOf(readFileSync(path, 'utf8'))) {
      const why = importViolation(root, from, spec);
      if (why) found.push(why);
    }
  }
  return [...new Set(found)];
}
