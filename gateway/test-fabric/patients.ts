import { randomInt } from 'node:crypto';
import type { DemoPatient } from '../demo/seed/population.js';
import { call, login, ok, type Json } from '../demo/json-client.js';

export interface ActivatedPatient {
  username: string;
  password: string;
  participantId: string;
  externalId: string;
  mrn: string;
}

/**
 * A new patient whose chart another hospital holds: a registrar of `home` vouches for a random
 * synthetic person of that hospital's EHR (the chart's own national id is what links them, so it is
 * the id registered), and the person redeems the activation code with their own password. A person
 * registered by an earlier run of the same network is skipped (409), so the tests can run again.
 */
export async function activatedPatient(home: string, registrarToken: string, charts: DemoPatient[], name: string): Promise<ActivatedPatient> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const chart = charts[randomInt(charts.length)]!;
    // A refused attempt leaves its (revoked) name at the CA: each attempt has its own.
    const username = attempt === 0 ? name : `${name}-${attempt}`;
    const issued = await call(home, 'POST', '/registrar/activations', registrarToken, {
      username,
      role: 'patient',
      externalIdKind: 'national-id',
      externalId: chart.externalId,
    });
    if (issued.status === 409) continue;
    if (issued.status !== 201) throw new Error(`activation → ${issued.status} ${issued.json.code}`);
    const password = `${username}-pass`;
    await ok(home, 'POST', '/device/activations/redeem', undefined, { code: issued.json.code, password });
    return { username, password, participantId: issued.json.participantId as string, externalId: chart.externalId, mrn: chart.mrn };
  }
  throw new Error('every synthetic person tried is registered already');
}

/**
 * Waits (bounded) until the patient's home gateway sees a relationship another hospital just
 * created, as her app does before she can accept it (its notification comes from her own hospital's
 * peer): the creating hospital's peer commits first, hers a moment later (with SmartBFT noticeably so).
 */
export async function seenAtHome(home: string, token: string, relationshipId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await call(home, 'GET', `/relationships/${relationshipId}`, token)).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the home gateway did not see relationship ${relationshipId} within 20 s`);
}

export interface DelegateRelationship {
  relationshipId: string;
  /** the 201 answer of `POST /relationships {mrn}` */
  created: Json;
  /** the delegate's participant id: the relationship's patient */
  participantId: string;
  mrn: string;
  username: string;
  password: string;
  /** a session of the delegate's account at the providing hospital */
  token: string;
}

/**
 * How a hospital treats a patient registered at another one (docs/privacy.md §3; the ledger refuses
 * her home id there): its registrar registers a delegate for its chart, the patient redeems the code
 * with a password (an account at that hospital), and the provider creates the relationship by the
 * chart. The first of `mrns` (tried in random order) that has no delegate yet is taken, so that the
 * tests can run again on the same network. `before` runs once the account exists and before the
 * relationship does (to open a stream).
 */
export async function delegateRelationship(
  gateway: string,
  registrarToken: string,
  providerToken: string,
  mrns: readonly string[],
  before?: (token: string) => Promise<void>,
): Promise<DelegateRelationship> {
  const order = [...mrns].sort(() => randomInt(3) - 1);
  for (const mrn of order.slice(0, 20)) {
    const issued = await call(gateway, 'POST', '/registrar/delegates', registrarToken, { mrn });
    if (issued.status === 409) continue;
    if (issued.status !== 201) throw new Error(`delegate → ${issued.status} ${issued.json.code}`);
    const password = `delegate-${randomInt(1e9)}-pass`;
    const redeemed = await ok(gateway, 'POST', '/device/activations/redeem', undefined, { code: issued.json.code, password });
    const username = redeemed.username as string;
    const token = await login(gateway, username, password);
    await before?.(token);
    const created = await ok(gateway, 'POST', '/relationships', providerToken, { mrn });
    return { relationshipId: created.relationshipId as string, created, participantId: issued.json.participantId as string, mrn, username, password, token };
  }
  throw new Error('every chart tried has its delegate already');
}
