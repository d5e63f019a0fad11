/**
 * Bench only: where one gatekeeper answer's time goes, stage by stage, each stage run alone and
 * sequentially (no concurrency) over many different requesters. Wall time is what one request
 * waits; CPU is the server process's CPU (every thread: the event loop, libuv's pool, the audit
 * writer) per run, from process.cpuUsage().
 */
import { Relationship } from '../../src/contract/medrec.js';
import { answerRequest } from '../../src/services/gatekeeper/answer.js';
import { ReplayCache } from '../../src/services/gatekeeper/replay.js';
import { JOSE_MEDIA_TYPE, RequestVerifier, signRequest, type VerifiedRequest } from '../../src/services/gatekeeper/signed-request.js';
import { hashResources, project, toBundle, type FhirResource } from '../../src/services/records/records.js';
import type { World } from '../../test/support/world.js';
import { CATEGORY, type Requester } from './population.js';

export interface StageCost {
  stage: string;
  wallUs: number;
  cpuUs: number;
}

const WARM = 40;
const RUNS = 400;

/** Runs `run(i)` WARM times to warm up, then RUNS times measured; every i is used once (no replay). */
async function measure(stage: string, run: (i: number) => Promise<unknown> | unknown): Promise<StageCost> {
  process.stderr.write(`bench setup: stage ${stage}\n`);
  for (let i = RUNS; i < RUNS + WARM; i++) await run(i);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) await run(i);
  const wallUs = ((performance.now() - start) * 1000) / RUNS;
  const used = process.cpuUsage(cpu);
  return { stage, wallUs, cpuUs: (used.user + used.system) / RUNS };
}

/** The requesters the stages use, in order (the whole-request stage sends theirs to the gatekeeper route too). */
export function stageRequesters<R>(requesters: readonly R[]): R[] {
  return Array.from({ length: RUNS + WARM }, (_, i) => requesters[(i * 7919) % requesters.length]!);
}

export async function stageCosts(world: World, requesters: readonly Requester[], baselineUrl: string): Promise<StageCost[]> {
  const { h2 } = world;
  const aud = new URL(h2.url).origin;
  const picked = stageRequesters(requesters);
  const sign = () => Promise.all(picked.map((r) => signRequest(r, { rel: r.rel, cat: CATEGORY, fields: [], aud })));
  const deps = { ...h2.runtime, mspId: h2.mspId };
  const costs: StageCost[] = [];

  // A fresh verifier sees every certificate for the first time; the second pass finds them cached.
  const verifier = new RequestVerifier(h2.runtime.trust, new ReplayCache(), () => aud);
  const first = await sign();
  costs.push(await measure('verify: certificate not seen before', (i) => verifier.verify(first[i]!)));
  const again = await sign();
  const verified: VerifiedRequest[] = [];
  costs.push(await measure('verify: certificate cached', async (i) => (verified[i] = await verifier.verify(again[i]!))));

  const decisions = verified.map((v) => ({ v, d: undefined as unknown }));
  costs.push(
    await measure('checkAccess (ledger decision)', async (i) => {
      const { claims, identityId } = verified[i]!;
      decisions[i]!.d = await world.client.checkAccess(h2.service, Relationship.checkAccess(claims.rel, identityId, claims.cat, claims.fields));
    }),
  );
  costs.push(await measure('patient link (pid → chart)', (i) => h2.links.get(((decisions[i]!.d as { patientId: string }).patientId))));
  const resources: FhirResource[][] = [];
  costs.push(await measure('mapped SQL read + FHIR mapping', async (i) => (resources[i] = await h2.records.fetch(CATEGORY, picked[i]!.mrn))));
  costs.push(await measure('pointer hash (canonical JSON + SHA-256)', (i) => hashResources(resources[i]!)));
  costs.push(
    await measure('projection + bundle', (i) => {
      const fields = (decisions[i]!.d as { fields: string[] }).fields;
      return toBundle(project(resources[i]!, fields), { baseUrl: aud, selfUrl: aud });
    }),
  );
  const entry = (i: number) => ({
    at: new Date().toISOString(),
    requester: verified[i]!.identityId,
    mspId: verified[i]!.mspId,
    role: verified[i]!.role,
    relationshipId: verified[i]!.claims.rel,
    category: CATEGORY,
    fields: [],
    decision: 'BENCH_STAGE',
    status: 200,
    hashMatches: true,
    jti: null,
    exp: null,
  });
  costs.push(await measure('audit append (durable, one at a time)', (i) => h2.audit.append(entry(i))));
  costs.push(await measure('answer: decision → link → read → hash → bundle', (i) => answerRequest(deps, verified[i]!)));

  const http = await sign();
  costs.push(
    await measure('HTTP: one whole gatekeeper request', async (i) => {
      const res = await fetch(`${h2.url}/gatekeeper/query`, { method: 'POST', headers: { 'content-type': JOSE_MEDIA_TYPE }, body: http[i]! });
      if (res.status !== 200) throw new Error(`gatekeeper answered ${res.status}`);
      await res.arrayBuffer();
    }),
  );
  costs.push(
    await measure('HTTP: one whole baseline request', async (i) => {
      const res = await fetch(`${baselineUrl}?mrn=${encodeURIComponent(picked[i]!.mrn)}`, {
        method: 'POST',
        headers: { 'content-type': JOSE_MEDIA_TYPE },
        body: http[i]!,
      });
      if (res.status !== 200) throw new Error(`baseline answered ${res.status}`);
      await res.arrayBuffer();
    }),
  );
  return costs;
}
