import { createHash } from 'node:crypto';
import type { Consent, ConsentProvision } from '@medplum/fhirtypes';
import type { Grant, RelationshipRecord } from '@medrec/chaincode/domain';
import { PURPOSE_DISPLAY, SYSTEMS } from './codes.js';

/**
 * What a Consent is made from. Today: a ledger grant (Relationship.grant) with the relationship it is
 * on. Research opt-ins (branch `research`) add their own kind here — `{kind: 'research-opt-in', …}`
 * mapped to a Consent with scope `research` — and a case in `toConsent`; the facade's Consent search
 * gathers every kind (FhirFacade.consents).
 */
export type ConsentSource = {
  kind: 'grant';
  grant: Grant;
  relationship: Pick<RelationshipRecord, 'relationshipId' | 'patientId' | 'providerMspId'>;
};

export function toConsent(source: ConsentSource, now: string): Consent {
  switch (source.kind) {
    case 'grant':
      return grantConsent(source.grant, source.relationship, now);
  }
}

/** The rules a ledger grant follows (R4 requires a policy or policy rule; no code of R4's consent-policy value set fits). */
export const GRANT_POLICY = 'https://medrec.example/fhir/policy/ledger-grant';

/** A grant's Consent id: 64 hex characters of SHA-256 over `<relationship id>:<viewer pid>` (one grant per viewer and relationship). */
export function grantConsentId(relationshipId: string, viewerId: string): string {
  return createHash('sha256').update(`${relationshipId}:${viewerId}`).digest('hex');
}

/**
 * A ledger grant as an R4 Consent (docs/fhir.md, "Grants as Consent"): scope patient-privacy, the
 * patient as subject and performer, MedRec's grant policy; the provision denies everything except one
 * nested `permit` per granted category — the viewer as actor (role IRCP, information recipient), the
 * grant's period and PurposeOfUse, action `access`, `class` the category's resource type, and the
 * granted top-level elements as repeated `granted-element` extensions (valueCode: the element name).
 * Active while granted and before `validUntil`; inactive once revoked or expired.
 */
function grantConsent(grant: Grant, rel: ConsentSource['relationship'], now: string): Consent {
  const patient = { reference: `Patient/${rel.patientId}` };
  const live = grant.status === 'granted' && now < grant.validUntil;
  return {
    resourceType: 'Consent',
    id: grantConsentId(grant.relationshipId, grant.viewerId),
    meta: { lastUpdated: grant.updatedAt },
    identifier: [{ system: SYSTEMS.grant, value: `${grant.relationshipId}:${grant.viewerId}` }],
    status: live ? 'active' : 'inactive',
    scope: { coding: [{ system: SYSTEMS.consentScope, code: 'patient-privacy', display: 'Privacy Consent' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient,
    dateTime: grant.grantedAt,
    performer: [patient],
    organization: [{ identifier: { system: SYSTEMS.msp, value: rel.providerMspId }, display: `the hospital holding the records (${rel.providerMspId})` }],
    policy: [{ uri: GRANT_POLICY }],
    provision: {
      type: 'deny',
      provision: grant.items.map(
        (item): ConsentProvision => ({
          extension: item.fields.map((field) => ({ url: SYSTEMS.grantedElement, valueCode: field })),
          type: 'permit',
          period: { start: grant.grantedAt, end: grant.validUntil },
          actor: [
            {
              role: { coding: [{ system: SYSTEMS.participationType, code: 'IRCP', display: 'information recipient' }] },
              reference: { identifier: { system: SYSTEMS.participant, value: grant.viewerId } },
            },
          ],
          action: [{ coding: [{ system: SYSTEMS.consentAction, code: 'access', display: 'Access' }] }],
          purpose: [{ system: SYSTEMS.actReason, code: grant.purpose, display: PURPOSE_DISPLAY[grant.purpose] }],
          class: [{ system: SYSTEMS.resourceTypes, code: item.category }],
        }),
      ),
    },
  };
}
