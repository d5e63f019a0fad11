import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { CATEGORIES } from '@medrec/chaincode/domain';

const CORE = 'http://hl7.org/fhir/SearchParameter';

/** What `GET /fhir/metadata` says about one gateway's facade: exactly the interactions it serves. */
export function capabilityStatement(options: { baseUrl: string; hospital: string; mspId: string; version: string; date: string }): CapabilityStatement {
  const records: CapabilityStatementRestResource[] = CATEGORIES.map((type) => ({
    type,
    interaction: [{ code: 'search-type' }],
    searchParam: [
      type === 'Patient'
        ? {
            name: 'patient',
            type: 'reference',
            documentation:
              "MedRec's participant id (Patient/{pid}): the Patient records every hospital holding this person's records keeps of them. R4 defines no `patient` parameter on Patient; this is the facade's.",
          }
        : {
            name: 'patient',
            definition: `${CORE}/clinical-patient`,
            type: 'reference',
            documentation: "MedRec's participant id (Patient/{pid}); required",
          },
    ],
    ...(type === 'Patient'
      ? {
          operation: [
            {
              name: 'everything',
              definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
              documentation: 'Every record of every category the caller may see, from every hospital that holds them (Patient/{pid}/$everything)',
            },
          ],
        }
      : {}),
    documentation:
      "Answered from every hospital's gatekeeper that holds the patient's records, signed as the caller; a viewer's resources are the granted subset, tagged SUBSETTED, as the gatekeeper served them",
  }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.date,
    publisher: `MedRec — ${options.hospital}`,
    kind: 'instance',
    software: { name: 'MedRec gateway', version: options.version },
    implementation: { description: `MedRec FHIR R4 read facade of ${options.hospital} (${options.mspId})`, url: options.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          "Read-only. Records come from each holding hospital's Database Gatekeeper; fullUrl is that gatekeeper's, resource ids are kept as it served them.",
        security: {
          cors: false,
          description: 'Authorization: Bearer {session token from POST /auth/login at this gateway}. /fhir/metadata needs none.',
        },
        resource: [
          ...records,
          {
            type: 'Consent',
            interaction: [{ code: 'search-type' }],
            searchParam: [{ name: 'patient', definition: `${CORE}/clinical-patient`, type: 'reference', documentation: 'required' }],
            documentation: "Every ledger grant of the patient's relationships, as the caller may see them (docs/fhir.md, Consent)",
          },
          {
            type: 'AuditEvent',
            interaction: [{ code: 'search-type' }],
            searchParam: [
              { name: 'patient', definition: `${CORE}/AuditEvent-patient`, type: 'reference', documentation: 'required for patients (their own)' },
              { name: 'altid', definition: `${CORE}/AuditEvent-altid`, type: 'token', documentation: "the requester's identity id" },
              { name: 'date', definition: `${CORE}/AuditEvent-date`, type: 'date', documentation: 'ge, gt, le, lt; at most two' },
              { name: 'site', definition: `${CORE}/AuditEvent-site`, type: 'token', documentation: "a hospital's MSP id" },
            ],
            documentation:
              "Each holding gatekeeper's access log, newest first, paged with _count (1-100) and the next link (docs/fhir.md, AuditEvent)",
          },
        ],
      },
    ],
  };
}
