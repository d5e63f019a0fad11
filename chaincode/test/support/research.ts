import type { Actor, Cast } from './world';
import { H, H1, H2 } from './world';

/** Research fixtures on top of the two-hospital cast. */

export const CONSENT_ALL = JSON.stringify({ categories: ['Patient', 'Observation', 'MedicationRequest', 'Condition'] });

export function studyJson(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    template: 'lab-mean',
    code: '2345-7',
    criteria: { period: { from: '2020-01-01', to: '2025-01-01' } },
    groupBy: ['sex'],
    epsilon: 1,
    validUntil: '2026-06-01T00:00:00.000Z',
    ...overrides,
  });
}

export const BOUNTY = JSON.stringify({ template: 'patient-count', groupBy: [], epsilon: 0.5 });

/** A relationship of `patient` at the provider's hospital, with an Observation pointer. */
export async function relationshipOf(c: Cast, patient: Actor, provider: Actor = c.provider1): Promise<string> {
  const rel = await c.w.submit<{ relationshipId: string }>(provider, 'Relationship:create', patient.pid, 'https://h.example/gk');
  await c.w.submit(provider, 'Relationship:putPointer', rel.relationshipId, 'Observation', H('a'));
  return rel.relationshipId;
}

/** A patient whose home is Hospital2: the only kind Hospital2 treats under her own participant id (docs/privacy.md §3). */
export async function patientOfH2(c: Cast, name = 'bea'): Promise<Actor> {
  return c.w.register(c.registrar2, await c.w.person(name, H2, 'patient'));
}

export async function study(c: Cast, researcher: Actor = c.researcher, json = studyJson()): Promise<string> {
  return (await c.w.submit<{ queryId: string }>(researcher, 'Research:submitStudy', json)).queryId;
}

/** A researcher of Hospital2 registered as its steward, and Hospital1's researcher as Hospital1's. */
export async function stewards(c: Cast): Promise<{ steward1: Actor; steward2: Actor }> {
  const steward2 = await c.w.register(c.registrar2, await c.w.person('stella', 'Hospital2MSP', 'researcher'));
  await c.w.submit(c.registrar2, 'Research:registerSteward', steward2.pid);
  await c.w.submit(c.registrar1, 'Research:registerSteward', c.researcher.pid);
  return { steward1: c.researcher, steward2 };
}

export { H1 };
