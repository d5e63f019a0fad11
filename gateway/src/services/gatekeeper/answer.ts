import { hashResources, isSubsetted, project, toBundle, type RecordService, type SearchsetBundle } from '../records/records.js';
import { Problem, forbidden, notFound } from '../problem.js';
import type { MedrecClient } from '../../contract/client.js';
import { Relationship } from '../../contract/medrec.js';
import type { Signer } from '../../ports/ledger.js';
import type { VerifiedRequest } from './signed-request.js';
import type { GatekeeperAnswer as AnswerShape } from '@medrec/client/protocol';

export const TAG_SYSTEM = 'https://medrec.example/fhir/CodeSystem/gatekeeper';

/** What the gatekeeper needs of the hospital around it. */
export interface AnswerDeps {
  client: MedrecClient;
  records: Pick<RecordService, 'fetch'>;
  links: { get(participantId: string): string | undefined };
  /** This hospital's records-service identity (role provider): asks the ledger for decisions. */
  service: Signer;
  mspId: string;
  /** read per answer: the public URL may be settled after listen (port 0) */
  hospital: { publicUrl: string };
}

/**
 * This gatekeeper's FHIR base: entries' fullUrl is `<base>/<type>/<id>`, so relative references such as
 * `Patient/h1-pat-1001` inside an answer resolve against the hospital that holds the record.
 */
export function fhirBase(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/fhir`;
}

/** The search an answer is: one category of one relationship, and `_elements` when fields were left out. */
export function searchUrl(base: string, category: string, relationshipId: string, elements?: readonly string[]): string {
  const elementsParam = elements ? `&_elements=${elements.map(encodeURIComponent).join(',')}` : '';
  return `${base}/${category}?relationship=${encodeURIComponent(relationshipId)}${elementsParam}`;
}

/** The answer as the client library defines it (the device checks it with the same code), with this gatekeeper's Bundle. */
export interface GatekeeperAnswer extends AnswerShape {
  bundle: SearchsetBundle;
}

/**
 * The gatekeeper's decision path for a verified request: the ledger decides, this hospital's mapped
 * query supplies, the source hash is compared with the ledger's pointer, and only granted elements
 * leave. A denial is thrown as a Problem carrying the ledger's decision code.
 */
export async function answerRequest(deps: AnswerDeps, req: VerifiedRequest): Promise<GatekeeperAnswer> {
  const { rel, cat, fields } = req.claims;
  const decision = await deps.client.evaluate(deps.service, Relationship.checkAccess(rel, req.identityId, cat, fields));
  if (!decision.allowed || !decision.pointer) throw refusal(decision);
  if (decision.providerMspId !== deps.mspId) {
    throw new Problem(421, 'WRONG_GATEKEEPER', "this relationship's records are kept by another hospital");
  }
  const mrn = deps.links.get(decision.patientId);
  if (mrn === undefined) throw notFound('PATIENT_NOT_LINKED', 'this hospital has no local record of the patient');

  const resources = await deps.records.fetch(cat, mrn);
  const sourceHash = hashResources(resources);
  const hashMatches = sourceHash === decision.pointer.hash;
  const served = project(resources, decision.fields);
  const projected = served.some(isSubsetted);
  const base = fhirBase(deps.hospital.publicUrl);
  const bundle = toBundle(served, {
    baseUrl: base,
    selfUrl: searchUrl(base, cat, rel, projected ? decision.fields : undefined),
    meta: {
      tag: [
        { system: TAG_SYSTEM, code: decision.code },
        { system: TAG_SYSTEM, code: hashMatches ? 'source-hash-match' : 'source-hash-mismatch' },
        { system: TAG_SYSTEM, code: projected ? 'projected' : 'complete' },
      ],
    },
  });
  return {
    relationshipId: rel,
    category: cat,
    decision: decision.code,
    fields: decision.fields,
    projected,
    ledgerHash: decision.pointer.hash,
    sourceHash,
    hashMatches,
    version: decision.pointer.version,
    bundle,
  };
}

function refusal(decision: { code: string; reason: string }): Problem {
  if (decision.code === 'NO_POINTER') return notFound('NO_POINTER', decision.reason);
  return forbidden(decision.code, decision.reason);
}
