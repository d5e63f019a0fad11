import type { Bundle, BundleEntry, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Category, Role, SummaryEntry } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship, Summary } from '../../contract/medrec.js';
import { fhirBase } from '../gatekeeper/answer.js';
import { inPool } from '../gatekeeper/pool.js';
import { fetchAsUser, type RequesterKeys } from '../gatekeeper/requester.js';
import type { Problem } from '../problem.js';
import { toConsent, type ConsentSource } from './consent.js';
import { issue } from './outcome.js';
import { recordsBundle, searchset } from './records-bundle.js';
import type { GatekeeperTransport } from '../gatekeeper/transport.js';

export interface FacadeDeps {
  client: MedrecClient;
  /** this gateway's public URL, read on use (it may be settled after listen) */
  publicUrl: () => string;
  /** how gatekeepers are reached (HTTPS trusting the channel's TLS roots) and how long to wait for each */
  transport: GatekeeperTransport;
  /** the HTTP layer's mapping of anything thrown to a problem with a status and stable code */
  problemOf: (err: unknown) => Problem;
}

/** Who is asking: the session's user. */
export interface Caller {
  role: Role;
  participantId: string;
  mspId: string;
}

/** A patient may read while the relationship is new, update_available or accepted (docs/DESIGN.md). */
const PATIENT_READS = new Set(['new', 'update_available', 'accepted']);

/**
 * The FHIR R4 read facade (docs/fhir.md): a patient's records from every hospital that holds them,
 * through those hospitals' gatekeepers, signed as the caller — over the one requester path
 * (fetchAsUser) — and the ledger's grants as Consent. The patient's logical id is their participant
 * id (pid). Which relationships are asked comes from the caller's own ledger summary: a patient's
 * own readable relationships, a viewer's granted ones of that patient; anything else is simply not
 * found (an empty Bundle), so a search says nothing about relationships the caller cannot see.
 */
export class FhirFacade {
  constructor(private readonly deps: FacadeDeps) {}

  get baseUrl(): string {
    return fhirBase(this.deps.publicUrl());
  }

  /** `<type>?patient=<pid>` for each of `categories` (one for a type search, all for $everything). */
  async records(keys: RequesterKeys, caller: Caller, patientId: string, categories: readonly Category[], selfUrl: string): Promise<Bundle> {
    const entries = await this.deps.client.evaluate(keys.ledger, Summary.mine());
    const plans = entries
      .filter(
        (e) =>
          e.patientId === patientId &&
          e.participantId === caller.participantId &&
          ((e.role === 'patient' && PATIENT_READS.has(e.status)) || (e.role === 'viewer' && e.status === 'granted')),
      )
      .map((e) => ({ relationshipId: e.relationshipId, categories, pointedOnly: true }));
    const fetched = await fetchAsUser(this.deps.client, keys, plans, { transport: this.deps.transport });
    return recordsBundle(fetched, { selfUrl, problemOf: this.deps.problemOf });
  }

  /**
   * `Consent?patient=<pid>`: every grant on the patient's relationships as the caller's ledger view
   * shows it — the patient sees all (live, expired and revoked), a viewer its own live grants, an
   * auditor all of any patient.
   */
  async consents(keys: RequesterKeys, caller: Caller, patientId: string, selfUrl: string): Promise<Bundle> {
    const rels = (await this.relationshipsOf(keys, caller, patientId)).map((e) => e.relationshipId);
    const issues: OperationOutcomeIssue[] = [];
    const views = await inPool(rels, 4, async (rel) => {
      try {
        return await this.deps.client.evaluate(keys.ledger, Relationship.get(rel));
      } catch (err) {
        const problem = this.deps.problemOf(err);
        if (problem.status >= 500) throw problem;
        issues.push(issue('warning', 'suppressed', problem.code, problem.message, `relationship ${rel}`));
        return undefined;
      }
    });
    const now = new Date().toISOString();
    const sources: ConsentSource[] = views.flatMap((view) =>
      view ? view.grants.map((grant): ConsentSource => ({ kind: 'grant', grant, relationship: view })) : [],
    );
    // Research opt-ins (branch `research`) are gathered here too, as ConsentSources of their own kind.
    const matches: BundleEntry[] = sources.map((source) => {
      const consent = toConsent(source, now);
      return { fullUrl: `${this.baseUrl}/Consent/${consent.id}`, resource: consent, search: { mode: 'match' } };
    });
    return searchset(matches, { self: selfUrl, total: matches.length }, issues);
  }

  /**
   * The relationships a caller may name a patient's records by: an auditor any patient's (Summary.of),
   * the patient their own, a viewer those it holds a grant on (revoked ones the ledger hides from it).
   */
  async relationshipsOf(keys: RequesterKeys, caller: Caller, patientId: string): Promise<SummaryEntry[]> {
    if (caller.role === 'auditor') {
      return (await this.deps.client.evaluate(keys.ledger, Summary.of(patientId))).filter((e) => e.role === 'patient');
    }
    const mine = await this.deps.client.evaluate(keys.ledger, Summary.mine());
    return mine.filter(
      (e) => e.patientId === patientId && e.participantId === caller.participantId && (e.role === 'patient' || (e.role === 'viewer' && e.status === 'granted')),
    );
  }
}
