import type { ResolveResult } from '@medrec/chaincode/domain';
import { blindLookup, EXTERNAL_ID_LOOKUP_TYP, POINT_B64 } from '@medrec/client/protocol';
import { createHmac } from 'node:crypto';
import type { MedrecClient } from '../../contract/client.js';
import { Registrar, Research } from '../../contract/medrec.js';
import { ChaincodeError } from '../../ports/ledger.js';
import { gatekeeperUrl, postToGatekeeper, type RequesterKeys } from '../gatekeeper/requester.js';
import type { GatekeeperTransport } from '../gatekeeper/transport.js';
import { Problem } from '../problem.js';
import type { IndexKeys } from './index-keys.js';

export interface ExternalIdsDeps {
  mspId: string;
  /** this hospital's secret OPRF keys: the index entries of the people it registers (two while a rotation runs) */
  keys: IndexKeys;
  client: MedrecClient;
  transport: GatekeeperTransport;
}

/** A participant found from an external id: the ledger's answer and the index entry it was found under. */
export interface Resolved {
  hash: string;
  result: ResolveResult;
}

/** What a home's gatekeeper answers a blinded lookup with (POST /gatekeeper/external-id); `previous` while it rotates its key. */
export interface Evaluation {
  evaluated: string;
  previous?: string;
}
const isPoint = (value: unknown): value is string => typeof value === 'string' && POINT_B64.test(value);
const isEvaluation = (body: unknown): body is Evaluation =>
  typeof body === 'object' &&
  body !== null &&
  isPoint((body as Evaluation).evaluated) &&
  ((body as Evaluation).previous === undefined || isPoint((body as Evaluation).previous));

/** A home's 429 without a readable Retry-After: its lookup budget's default window. */
const LOOKUP_RETRY_DEFAULT_SECONDS = 60;

const notRegistered = () => new ChaincodeError('NOT_FOUND', 'no participant is registered for that external id');

/**
 * The external-id index (docs/privacy.md §2). A person's entry on the ledger is keyed by an OPRF of
 * her external id under her *home* hospital's secret key: the home computes its own entries; any
 * other hospital asks each home to evaluate the id blindly (a signed, rate-limited, audited call
 * to its gatekeeper), so no member can enumerate the index offline and no home learns the id asked.
 */
export class ExternalIds {
  constructor(private readonly deps: ExternalIdsDeps) {}

  /** This hospital's index entry for a person it registers (activation, panel, staff). */
  own(kind: string, externalId: string): string {
    return this.deps.keys.current.ownHash(kind, externalId);
  }

  /** Every entry this hospital may hold the person under: the current key's, and while a rotation runs the previous key's. */
  ownEntries(kind: string, externalId: string): string[] {
    return this.deps.keys.all().map((key) => key.ownHash(kind, externalId));
  }

  /** The person's entry here, under whichever key it is now (current first), if any. */
  async ownEntry(keys: Pick<RequesterKeys, 'ledger'>, kind: string, externalId: string): Promise<Resolved | undefined> {
    for (const hash of this.ownEntries(kind, externalId)) {
      const result = await lookup(this.deps.client, keys, hash);
      if (result) return { hash, result };
    }
    return undefined;
  }

  /**
   * A panel patient's enrollment id: deterministic (a resumed job names the same person) yet
   * opaque like every other (`e` + 128 bits): keyed, so it cannot be tied to the index entry.
   */
  panelEnrollmentId(hash: string): string {
    return `e${createHmac('sha256', this.deps.keys.seed).update(`panel-enrollment:${hash}`).digest('hex').slice(0, 32)}`;
  }

  /**
   * Finds the participant registered under this external id at any home, reading the ledger as
   * `keys`: this hospital's own entry first, then every other hospital that publishes a gatekeeper
   * (each asked with a fresh blind, in parallel). Not found anywhere: the ledger's NOT_FOUND; not
   * found but some home did not answer: 502 EXTERNAL_ID_HOME_UNREACHABLE (the answer is unknown); or
   * answered only that this requester's lookup budget is spent: 503 EXTERNAL_ID_LOOKUP_BUSY.
   */
  async resolve(keys: RequesterKeys, kind: string, externalId: string): Promise<Resolved> {
    const here = await this.ownEntry(keys, kind, externalId);
    if (here) return here;
    const hit = await this.atOtherHomes(keys, kind, externalId);
    if (hit) return hit;
    throw notRegistered();
  }

  /**
   * Before this hospital registers a person under this external id (an activation): the other homes
   * are asked, blindly, as for a lookup. Another home holding it: 409
   * EXTERNAL_ID_REGISTERED_ELSEWHERE naming that home, for a person has one home (the ledger cannot
   * refuse it: each home's entries are under its own key). A home not answering: 502
   * EXTERNAL_ID_HOME_UNREACHABLE, a home refusing the registrar's lookups for its budget (429): 503
   * EXTERNAL_ID_LOOKUP_BUSY with the home's Retry-After; never a registration on an unknown answer.
   * An entry of this hospital's own under its current key is left to the ledger, which refuses it as
   * ever; one under the previous key (a rotation has not moved it yet) is refused here as the ledger would.
   */
  async assertNotRegisteredElsewhere(keys: RequesterKeys, kind: string, externalId: string): Promise<void> {
    const here = await this.ownEntry(keys, kind, externalId);
    if (here && here.hash !== this.own(kind, externalId)) throw new ChaincodeError('CONFLICT', 'external id already registered');
    if (here) return;
    const hit = await this.atOtherHomes(keys, kind, externalId);
    if (hit) {
      throw new Problem(409, 'EXTERNAL_ID_REGISTERED_ELSEWHERE', 'another hospital is this person\'s home already: she is registered there', {
        home: hit.result.mspId,
      });
    }
  }

  /**
   * The entry some other home holds for the id, if any. A home that did not answer makes "none"
   * unknown: 502. One that answered 429 is up but refuses this requester for now (its lookup
   * budget, a policy): if that is all that is missing, 503 with the longest of their Retry-After,
   * for asking again then will be answered.
   */
  private async atOtherHomes(keys: RequesterKeys, kind: string, externalId: string): Promise<Resolved | undefined> {
    const { client, mspId, transport } = this.deps;
    const homes = (await client.evaluate(keys.ledger, Research.gatekeepers())).filter((g) => g.mspId !== mspId);
    const unreachable: string[] = [];
    const busy: { home: string; retryAfterSeconds: number }[] = [];
    const found = await Promise.all(
      homes.map(async ({ mspId: home, endpoint }) => {
        const blinded = blindLookup(kind, externalId);
        const url = new URL(endpoint);
        try {
          const jws = await keys.sign(EXTERNAL_ID_LOOKUP_TYP, { blinded: blinded.blinded, aud: url.origin });
          const answer = await postToGatekeeper(gatekeeperUrl(url, 'external-id'), jws, transport, isEvaluation);
          // A home rotating its key answers under both: the new key's entry first, then the old one's.
          for (const evaluated of [answer.evaluated, answer.previous].filter(isPoint)) {
            const hash = blinded.finish(evaluated);
            const result = await lookup(client, keys, hash);
            // An entry is only believed from the home that registered it.
            if (result && result.mspId === home) return { hash, result };
          }
          return undefined;
        } catch (err) {
          if (err instanceof Problem && err.status === 429) {
            const wait = err.extensions['retryAfterSeconds'];
            busy.push({ home, retryAfterSeconds: typeof wait === 'number' ? wait : LOOKUP_RETRY_DEFAULT_SECONDS });
            return undefined;
          }
          if (err instanceof Problem && err.status < 500) throw err;
          unreachable.push(home);
          return undefined;
        }
      }),
    );
    const hit = found.find((f) => f !== undefined);
    if (hit) return hit;
    if (unreachable.length > 0) {
      throw new Problem(502, 'EXTERNAL_ID_HOME_UNREACHABLE', 'not registered at the hospitals that answered; some did not answer, so it is unknown', {
        unreachable: unreachable.sort(),
        ...(busy.length > 0 ? { busy: busy.map((b) => b.home).sort() } : {}),
      });
    }
    if (busy.length > 0) {
      const wait = Math.max(...busy.map((b) => b.retryAfterSeconds));
      throw new Problem(503, 'EXTERNAL_ID_LOOKUP_BUSY', `not registered at the hospitals that answered; some refuse more lookups by this user for now: ask again in ${wait} s`, {
        busy: busy.map((b) => b.home).sort(),
        retryAfterSeconds: wait,
      });
    }
    return undefined;
  }
}

async function lookup(client: MedrecClient, keys: Pick<RequesterKeys, 'ledger'>, hash: string): Promise<ResolveResult | undefined> {
  try {
    return await client.evaluate(keys.ledger, Registrar.resolve(hash));
  } catch (err) {
    if (err instanceof ChaincodeError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  }
}
