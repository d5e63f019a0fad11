import { createHash } from 'node:crypto';
import type { AuditEvent, AuditEventAgent, AuditEventEntity } from '@medplum/fhirtypes';
import type { AuditRecordView } from '../gatekeeper/audit-answer.js';
import { fhirBase, searchUrl } from '../gatekeeper/answer.js';
import { PURPOSE_DISPLAY, SYSTEMS } from './codes.js';

/** The hospital whose gatekeeper keeps the log a record comes from. */
export interface AuditOrigin {
  mspId: string;
  /** that gatekeeper's origin, e.g. http://127.0.0.1:3002 */
  gatekeeper: string;
}

/** `<mspId>-<seq>`: distinct across hospitals and stable; a (rare) MSP id too long for a FHIR id is hashed. */
export function auditEventId(mspId: string, seq: number): string {
  const id = `${mspId}-${seq}`;
  return id.length <= 64 ? id : `${createHash('sha256').update(mspId).digest('hex').slice(0, 40)}-${seq}`;
}

const code = (system: string, value: string, display: string) => ({ system, code: value, display });

/**
 * One gatekeeper audit record as an R4 AuditEvent, following IHE BALP's PatientQuery pattern (each
 * gatekeeper answer is a search of one category of one relationship): type `rest`, subtype
 * `search-type`, action E, outcome 0 (served) / 4 (refused) / 8 (failed) with the decision code as
 * outcomeDesc; agents client (DCM 110153 Source Role ID: the requester's organisation), server
 * (DCM 110152 Destination Role ID: the gatekeeper, its URL as network address) and user (IRCP, the
 * requester's participant id, the certificate identity as altId, the certificate role, the grant's
 * PurposeOfUse); source = the gatekeeper (site: its MSP id, type 4 application server); entities
 * query (role 24, the search the signed claims express, base64), patient (role 1, Patient/<pid>) and
 * the relationship (role 13 security resource, with the source-hash check). docs/fhir.md says where
 * this falls short of BALP.
 */
export function auditEvent(rec: AuditRecordView, origin: AuditOrigin): AuditEvent {
  const agent: AuditEventAgent[] = [
    {
      type: { coding: [code(SYSTEMS.dicom, '110153', 'Source Role ID')] },
      who: rec.mspId ? { identifier: { system: SYSTEMS.msp, value: rec.mspId }, display: rec.mspId } : { display: 'an unidentified requester' },
      requestor: false,
    },
    {
      type: { coding: [code(SYSTEMS.dicom, '110152', 'Destination Role ID')] },
      who: { identifier: { system: SYSTEMS.uri, value: origin.gatekeeper }, display: `the gatekeeper of ${origin.mspId}` },
      requestor: false,
      network: { address: origin.gatekeeper, type: '5' },
    },
  ];
  if (rec.requester) {
    agent.push({
      type: { coding: [code(SYSTEMS.participationType, 'IRCP', 'information recipient')] },
      who: rec.requesterId
        ? { identifier: { system: SYSTEMS.participant, value: rec.requesterId } }
        : { identifier: { system: SYSTEMS.identity, value: rec.requester } },
      altId: rec.requester,
      requestor: true,
      ...(rec.role ? { role: [{ coding: [{ system: SYSTEMS.role, code: rec.role }] }] } : {}),
      ...(rec.purpose ? { purposeOfUse: [{ coding: [code(SYSTEMS.actReason, rec.purpose, PURPOSE_DISPLAY[rec.purpose] ?? rec.purpose)] }] } : {}),
    });
  }
  const entity: AuditEventEntity[] = [];
  if (rec.category && rec.relationshipId) {
    const search = searchUrl(fhirBase(origin.gatekeeper), rec.category, rec.relationshipId, rec.fields?.length ? rec.fields : undefined);
    entity.push({
      type: code(SYSTEMS.auditEntityType, '2', 'System Object'),
      role: code(SYSTEMS.objectRole, '24', 'Query'),
      description: search,
      query: Buffer.from(search, 'utf8').toString('base64'),
    });
  }
  if (rec.patientId) {
    entity.push({
      what: { reference: `Patient/${rec.patientId}` },
      type: code(SYSTEMS.auditEntityType, '1', 'Person'),
      role: code(SYSTEMS.objectRole, '1', 'Patient'),
    });
  }
  if (rec.relationshipId) {
    entity.push({
      what: { identifier: { system: SYSTEMS.relationship, value: rec.relationshipId } },
      type: code(SYSTEMS.auditEntityType, '2', 'System Object'),
      role: code(SYSTEMS.objectRole, '13', 'Security Resource'),
      ...(rec.hashMatches === null ? {} : { detail: [{ type: 'source-hash', valueString: rec.hashMatches ? 'match' : 'mismatch' }] }),
    });
  }
  return {
    resourceType: 'AuditEvent',
    id: auditEventId(origin.mspId, rec.seq),
    type: code(SYSTEMS.auditEventType, 'rest', 'Restful Operation'),
    subtype: [code(SYSTEMS.restfulInteraction, 'search-type', 'search type')],
    action: 'E',
    recorded: rec.at,
    outcome: rec.status < 400 ? '0' : rec.status < 500 ? '4' : '8',
    outcomeDesc: rec.decision,
    agent,
    source: {
      site: origin.mspId,
      observer: { identifier: { system: SYSTEMS.uri, value: origin.gatekeeper }, display: `the MedRec gatekeeper of ${origin.mspId}` },
      type: [code(SYSTEMS.securitySourceType, '4', 'Application Server')],
    },
    ...(entity.length > 0 ? { entity } : {}),
  };
}
