import './quiet';
import { createHmac } from 'node:crypto';
import { contracts } from '../../src/index';
import { identityId } from '../../src/domain/ids';
import { ERROR_CODE_PATTERN } from '../../src/domain/errors';
import { issue, makeCa, type Ca, type Creator } from './identities';
import { TestLedger, type Response } from './stub';

export const H1 = 'Hospital1MSP';
export const H2 = 'Hospital2MSP';
const CONSORTIUM_KEY = 'test-consortium-key';

/** What the gateway computes: a keyed hash, so the ledger never sees the external id itself. */
export function externalIdHash(kind: string, externalId: string): string {
  return createHmac('sha256', CONSORTIUM_KEY).update(`${kind}:${externalId}`).digest('hex');
}

export interface Actor {
  name: string;
  mspId: string;
  enrollmentId: string;
  role: string;
  /** the plain external id (e.g. an MRN) and the person's name: must never reach the ledger */
  externalId: string;
  displayName: string;
  hash: string;
  creator: Creator;
  iid: string;
  pid: string;
}

export class CallError extends Error {
  constructor(readonly response: Response) {
    super(response.message);
  }
}

export class World {
  readonly ledger = new TestLedger(contracts);
  readonly actors = new Map<string, Actor>();
  private readonly cas = new Map<string, Ca>();

  async ca(mspId: string): Promise<Ca> {
    let ca = this.cas.get(mspId);
    if (!ca) {
      ca = await makeCa(mspId);
      this.cas.set(mspId, ca);
    }
    return ca;
  }

  /** An enrolled person with a certificate (not yet on the ledger). */
  async person(name: string, mspId: string, role: string, attrs?: Record<string, string>): Promise<Actor> {
    const enrollmentId = `${name}.${mspId === H1 ? 'h1' : 'h2'}`;
    const externalId = `MRN-${mspId}-${name.toUpperCase()}-0042`;
    const creator = await issue(await this.ca(mspId), enrollmentId, attrs ?? { 'hf.EnrollmentID': enrollmentId, role });
    const actor: Actor = {
      name,
      mspId,
      enrollmentId,
      role,
      externalId,
      displayName: `${name[0].toUpperCase()}${name.slice(1)} Testperson`,
      hash: externalIdHash('mrn', externalId),
      creator,
      iid: identityId(mspId, enrollmentId),
      pid: '',
    };
    this.actors.set(name, actor);
    return actor;
  }

  /** Re-enrolment (key recovery): the same person, a new enrollment id and certificate. */
  async reenrol(actor: Actor, suffix: string): Promise<Actor> {
    const enrollmentId = `${actor.enrollmentId}.${suffix}`;
    const creator = await issue(await this.ca(actor.mspId), enrollmentId, { 'hf.EnrollmentID': enrollmentId, role: actor.role });
    return { ...actor, enrollmentId, creator, iid: identityId(actor.mspId, enrollmentId) };
  }

  async call(actor: Actor, fn: string, args: string[], commit: boolean, at?: Date): Promise<Response> {
    return this.ledger.invoke(actor.creator, fn, args, { commit, at });
  }

  async submit<T = unknown>(actor: Actor, fn: string, ...args: string[]): Promise<T> {
    return this.ok<T>(await this.call(actor, fn, args, true));
  }

  async evaluate<T = unknown>(actor: Actor, fn: string, ...args: string[]): Promise<T> {
    return this.ok<T>(await this.call(actor, fn, args, false));
  }

  async submitAt<T = unknown>(at: Date, actor: Actor, fn: string, ...args: string[]): Promise<T> {
    return this.ok<T>(await this.call(actor, fn, args, true, at));
  }

  private ok<T>(res: Response): T {
    if (res.status !== 200) throw new CallError(res);
    return JSON.parse(res.payload) as T;
  }

  /** Everything a refusal must leave untouched. */
  snapshot(): string {
    const state = [...this.ledger.state.entries()].map(([k, v]) => [k, v.toString('utf8')]);
    return JSON.stringify({ state, events: this.ledger.events, validation: this.ledger.validation.size });
  }

  async register(registrar: Actor, actor: Actor): Promise<Actor> {
    const rec = await this.submit<{ participantId: string }>(registrar, 'Registrar:register', actor.hash, actor.enrollmentId, actor.role);
    actor.pid = rec.participantId;
    return actor;
  }
}

/** The code of a failed call, as the gateway reads it. */
export function codeOf(res: Response): string | undefined {
  return ERROR_CODE_PATTERN.exec(res.message)?.[1];
}

export interface Cast {
  w: World;
  registrar1: Actor;
  registrar2: Actor;
  provider1: Actor;
  records1: Actor;
  provider2: Actor;
  patient: Actor;
  patient2: Actor;
  viewer: Actor;
  viewer2: Actor;
  auditor: Actor;
  researcher: Actor;
  admin: Actor;
  /** enrolled with a patient certificate but never registered */
  stranger: Actor;
}

/** Two hospitals and one of every role, all registered. */
export async function cast(): Promise<Cast> {
  const w = new World();
  const registrar1 = await w.person('reggie', H1, 'registrar');
  const registrar2 = await w.person('rita', H2, 'registrar');
  await w.register(registrar1, registrar1);
  await w.register(registrar2, registrar2);
  const h1 = {
    provider1: await w.person('drhouse', H1, 'provider'),
    records1: await w.person('records', H1, 'provider'),
    patient: await w.person('alice', H1, 'patient'),
    patient2: await w.person('bob', H1, 'patient'),
    viewer: await w.person('carol', H1, 'viewer'),
    auditor: await w.person('audrey', H1, 'auditor'),
    researcher: await w.person('rosalind', H1, 'researcher'),
    admin: await w.person('adam', H1, 'admin'),
  };
  for (const a of Object.values(h1)) await w.register(registrar1, a);
  const provider2 = await w.register(registrar2, await w.person('drgrey', H2, 'provider'));
  const viewer2 = await w.register(registrar2, await w.person('dave', H2, 'viewer'));
  const stranger = await w.person('mallory', H1, 'patient');
  return { w, registrar1, registrar2, provider2, viewer2, stranger, ...h1 };
}

export const ALL_ROLES = ['patient', 'provider', 'registrar', 'viewer', 'researcher', 'auditor', 'admin'] as const;

export function byRole(c: Cast): Record<(typeof ALL_ROLES)[number], Actor> {
  return {
    patient: c.patient,
    provider: c.provider1,
    registrar: c.registrar1,
    viewer: c.viewer,
    researcher: c.researcher,
    auditor: c.auditor,
    admin: c.admin,
  };
}

interface Asserts {
  equal(found: unknown, wanted: unknown, message: string): unknown;
}

/**
 * Submits a call that must be refused with `code`: it fails, and it neither wrote nor emitted
 * anything even in its own uncommitted write set (all checks come before the first write).
 */
export async function refused(t: Asserts, w: World, actor: Actor, fn: string, args: string[], code: string): Promise<Response> {
  const before = w.snapshot();
  const res = await w.call(actor, fn, args, true);
  const stub = w.ledger.stubs.at(-1)!;
  t.equal(`${res.status} ${codeOf(res)}`, `500 ${code}`, `${fn} by ${actor.name} (${actor.role}) → ${code}`);
  t.equal(stub.writes.size + stub.events.length, 0, `${fn} by ${actor.name}: nothing written or emitted`);
  t.equal(w.snapshot(), before, `${fn} by ${actor.name}: ledger unchanged`);
  return res;
}

/** The last committed event, parsed. */
export function lastEvent(w: World): { name: string; notifications: Record<string, string>[] } {
  const e = w.ledger.events.at(-1)!;
  return { name: e.name, ...JSON.parse(e.payload) };
}

export function grantJson(items: { category: string; fields: string[] }[], validUntil = '2027-01-01T00:00:00.000Z', purpose = 'TREAT'): string {
  return JSON.stringify({ items, validUntil, purpose });
}

export const H = (c: string) => c.repeat(64);
