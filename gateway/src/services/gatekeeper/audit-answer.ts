import type { RelationshipView } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship } from '../../contract/medrec.js';
import { ChaincodeError, type Signer } from '../../ports/ledger.js';
import type { ChainHead } from '../audit/log.js';
import type { AuditRecord } from '../audit/record.js';
import type { AuditFilter } from '../audit/search.js';
import { badRequest, forbidden } from '../problem.js';
import type { AuditQueryClaims } from './audit-claims.js';
import { inPool } from './pool.js';
import type { VerifiedToken } from './signed-request.js';

/** What the audit route needs of the hospital around it. */
export interface AuditAnswerDeps {
  client: MedrecClient;
  /** this hospital's records-service identity: asks the ledger who is who */
  service: Signer;
  mspId: string;
  hospital: { publicUrl: string };
  audit: { search(filter: AuditFilter): AuditRecord[]; currentHead(): ChainHead };
  /** identity id → participant id, learnt from the ledger (the mapping never changes) */
  participants: Map<string, string>;
}

/** One record of the log, with what the ledger says about the people in it (now). */
export interface AuditRecordView extends AuditRecord {
  /** the relationship's patient, when the ledger names the relationship */
  patientId: string | null;
  /** the requester's participant id, when the ledger knows the identity */
  requesterId: string | null;
  /** what the requester is to the relationship: its patient, its provider, a viewer with a grant, or nothing */
  requesterRole: 'patient' | 'provider' | 'viewer' | null;
  /** PurposeOfUse: a viewer's grant's purpose as the ledger holds it now; PATRQT for the patient's own reads */
  purpose: string | null;
}

export interface AuditAnswer {
  /** whose log this is, and the gatekeeper that keeps it */
  mspId: string;
  gatekeeper: string;
  /** why the requester may read: their own relationships, or as an auditor */
  access: 'ALLOWED_PATIENT' | 'ALLOWED_AUDITOR';
  /** the chain's head when the page was read (for issue 15's checks against the ledger anchors) */
  head: ChainHead;
  /** newest first */
  records: AuditRecordView[];
  /** the `before` of the next page, or null when this was the last */
  next: number | null;
}

export function isAuditAnswer(body: unknown): body is AuditAnswer {
  const b = body as Partial<AuditAnswer> | undefined;
  return typeof b?.mspId === 'string' && typeof b.gatekeeper === 'string' && Array.isArray(b.records) && (b.next === null || typeof b.next === 'number');
}

const MAX_KNOWN_PARTICIPANTS = 10_000;

/**
 * Who may read which records of this gatekeeper's access log. A patient names their relationships;
 * the ledger confirms each is this hospital's and that the signer is its patient (checkAccess, asked
 * as the records service: the decision names the requester's role). An auditor of any member
 * hospital reads every record (or those of the relationships it names); before a record about a
 * relationship leaves, the ledger confirms the auditor is a registered, active identity. Anyone else
 * is refused. Pure reading: the route audits the query itself.
 */
export async function answerAuditQuery(deps: AuditAnswerDeps, req: VerifiedToken<AuditQueryClaims>): Promise<AuditAnswer> {
  const { claims } = req;
  let access: AuditAnswer['access'];
  if (req.role === 'patient') {
    if (claims.rels.length === 0) throw badRequest('RELATIONSHIPS_REQUIRED', 'a patient names the relationships whose access log they read');
    for (const rel of claims.rels) await requireParty(deps, rel, req.identityId, 'patient');
    access = 'ALLOWED_PATIENT';
  } else if (req.role === 'auditor') {
    for (const rel of claims.rels) await requireParty(deps, rel, req.identityId, null);
    access = 'ALLOWED_AUDITOR';
  } else {
    throw forbidden('ROLE_FORBIDDEN', 'only a patient (their own relationships) or an auditor may read the access log');
  }
  const found = deps.audit.search({
    rels: claims.rels.length > 0 ? claims.rels : null,
    requester: claims.requester,
    since: claims.since,
    until: claims.until,
    before: claims.before,
    limit: claims.limit + 1,
  });
  const page = found.slice(0, claims.limit);
  if (access === 'ALLOWED_AUDITOR' && claims.rels.length === 0) {
    const known = page.find((r) => r.relationshipId !== null && r.decision.startsWith('ALLOWED_'));
    if (known) await requireParty(deps, known.relationshipId!, req.identityId, null);
  }
  return {
    mspId: deps.mspId,
    gatekeeper: new URL(deps.hospital.publicUrl).origin,
    access,
    head: deps.audit.currentHead(),
    records: await describe(deps, page),
    next: found.length > claims.limit ? page.at(-1)!.seq : null,
  };
}

/**
 * The ledger's word on the requester and a relationship of this hospital: a superseded identity is
 * refused, and with `role`, so is anyone who is not that party (the decision's requesterRole).
 */
async function requireParty(deps: AuditAnswerDeps, rel: string, identityId: string, role: 'patient' | null): Promise<void> {
  const decision = await deps.client.evaluate(deps.service, Relationship.checkAccess(rel, identityId, 'Patient', []));
  remember(deps.participants, identityId, decision.requesterId);
  if (decision.code === 'IDENTITY_INACTIVE') throw forbidden('IDENTITY_INACTIVE', decision.reason);
  if (role !== null && decision.requesterRole !== role) {
    throw forbidden('NOT_THE_PATIENT', 'you may read the access log only of relationships where you are the patient');
  }
}

function remember(known: Map<string, string>, identityId: string, participantId: string): void {
  if (known.size >= MAX_KNOWN_PARTICIPANTS) known.clear();
  known.set(identityId, participantId);
}

async function describe(deps: AuditAnswerDeps, records: readonly AuditRecord[]): Promise<AuditRecordView[]> {
  const rels = [...new Set(records.map((r) => r.relationshipId).filter((r): r is string => r !== null))];
  const read = await inPool(rels, 4, (rel) => deps.client.evaluate(deps.service, Relationship.get(rel)).catch(unknownToLedger));
  const views = new Map<string, RelationshipView | null>(rels.map((rel, i) => [rel, read[i]!]));
  const out: AuditRecordView[] = [];
  for (const rec of records) {
    const view = rec.relationshipId ? (views.get(rec.relationshipId) ?? null) : null;
    const requesterId = rec.requester && view ? await participantOf(deps, rec.requester, view.relationshipId) : null;
    const grant = requesterId && view ? view.grants.find((g) => g.viewerId === requesterId) : undefined;
    const requesterRole =
      requesterId === null || view === null
        ? null
        : requesterId === view.patientId
          ? 'patient'
          : requesterId === view.providerId
            ? 'provider'
            : grant
              ? 'viewer'
              : null;
    out.push({
      ...rec,
      patientId: view?.patientId ?? null,
      requesterId,
      requesterRole,
      purpose: requesterRole === 'viewer' ? grant!.purpose : requesterRole === 'patient' ? 'PATRQT' : null,
    });
  }
  return out;
}

/** The participant behind an identity, asked once of the ledger through a relationship of this hospital. */
async function participantOf(deps: AuditAnswerDeps, identityId: string, rel: string): Promise<string | null> {
  const known = deps.participants.get(identityId);
  if (known) return known;
  try {
    const decision = await deps.client.evaluate(deps.service, Relationship.checkAccess(rel, identityId, 'Patient', []));
    remember(deps.participants, identityId, decision.requesterId);
    return decision.requesterId;
  } catch (err) {
    // an identity the ledger does not know (a certificate never registered): no participant to name
    return unknownToLedger(err);
  }
}

/** A relationship or identity the ledger refuses to name (unknown, another hospital's) is described as unknown; an outage is not. */
function unknownToLedger(err: unknown): null {
  if (err instanceof ChaincodeError) return null;
  throw err;
}
