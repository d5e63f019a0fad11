import type { Role } from './types';

/**
 * Every transaction of the medrec chaincode: its arguments in order, whether it is submitted (changes
 * state) or evaluated, and which certificate roles may call it (`any`: every registered identity).
 * The contracts check callers against this table, the gateway's typed client builds its requests
 * from it and its routes take their role checks from it; the served contract metadata must agree.
 */
export const TRANSACTIONS = {
  'Registrar.register': { params: ['externalIdHash', 'enrollmentId', 'role'], submit: true, roles: ['registrar'] },
  'Registrar.registerBatch': { params: ['itemsJson'], submit: true, roles: ['registrar'] },
  'Registrar.registerPanel': { params: ['itemsJson'], submit: true, roles: ['registrar'] },
  'Registrar.registerDelegate': { params: ['enrollmentId'], submit: true, roles: ['registrar'] },
  'Registrar.remap': { params: ['externalIdHash', 'newEnrollmentId'], submit: true, roles: ['registrar'] },
  'Registrar.remapDelegate': { params: ['participantId', 'newEnrollmentId'], submit: true, roles: ['registrar'] },
  'Registrar.rekey': { params: ['itemsJson'], submit: true, roles: ['registrar'] },
  'Registrar.resolve': { params: ['externalIdHash'], submit: false, roles: ['registrar', 'provider', 'auditor'] },
  'Registrar.whoami': { params: [], submit: false, roles: 'any' },
  'Registrar.history': { params: ['externalIdHash'], submit: false, roles: ['auditor'] },
  'Registrar.historyOf': { params: ['participantId'], submit: false, roles: ['auditor'] },
  'Relationship.create': { params: ['patientId', 'endpoint'], submit: true, roles: ['provider'] },
  'Relationship.createBatch': { params: ['itemsJson'], submit: true, roles: ['provider'] },
  'Relationship.ofPatients': { params: ['patientIdsJson'], submit: false, roles: ['provider'] },
  'Relationship.putPointer': { params: ['relationshipId', 'category', 'sha256'], submit: true, roles: ['provider'] },
  'Relationship.putPointers': { params: ['itemsJson'], submit: true, roles: ['provider'] },
  'Relationship.accept': { params: ['relationshipId'], submit: true, roles: ['patient'] },
  'Relationship.reject': { params: ['relationshipId'], submit: true, roles: ['patient'] },
  'Relationship.remove': { params: ['relationshipId'], submit: true, roles: ['patient'] },
  'Relationship.grant': { params: ['relationshipId', 'viewerId', 'grantJson'], submit: true, roles: ['patient'] },
  'Relationship.revoke': { params: ['relationshipId', 'viewerId'], submit: true, roles: ['patient'] },
  'Relationship.get': { params: ['relationshipId'], submit: false, roles: 'any' },
  'Relationship.checkAccess': {
    params: ['relationshipId', 'requesterIdentityId', 'category', 'fieldsJson'],
    submit: false,
    roles: 'any',
  },
  'Relationship.history': { params: ['relationshipId'], submit: false, roles: ['auditor'] },
  'Relationship.putPointerWithBounty': {
    params: ['relationshipId', 'category', 'sha256', 'bountyJson'],
    submit: true,
    roles: ['provider'],
  },
  'Summary.mine': { params: [], submit: false, roles: 'any' },
  'Summary.of': { params: ['participantId'], submit: false, roles: ['auditor'] },
  'Summary.acknowledge': { params: ['relationshipId'], submit: true, roles: ['patient'] },
  'Summary.markUpdateAvailable': { params: ['relationshipId'], submit: true, roles: ['provider'] },
  'Audit.anchor': { params: ['fromSeq', 'toSeq', 'headHash'], submit: true, roles: ['provider'] },
  'Audit.list': { params: ['mspId'], submit: false, roles: ['auditor', 'provider'] },
  'Research.consent': { params: ['relationshipId', 'consentJson'], submit: true, roles: ['patient'] },
  'Research.withdraw': { params: ['relationshipId'], submit: true, roles: ['patient'] },
  'Research.consentBatch': { params: ['itemsJson'], submit: true, roles: ['patient'] },
  'Research.consents': { params: [], submit: false, roles: ['patient'] },
  'Research.consentOf': { params: ['relationshipId', 'requesterIdentityId'], submit: false, roles: 'any' },
  'Research.submitStudy': { params: ['studyJson'], submit: true, roles: ['researcher'] },
  'Research.query': { params: ['queryId'], submit: false, roles: 'any' },
  'Research.studies': { params: [], submit: false, roles: 'any' },
  'Research.registerSteward': { params: ['participantId'], submit: true, roles: ['registrar'] },
  'Research.stewards': { params: [], submit: false, roles: 'any' },
  'Research.bounties': { params: [], submit: false, roles: ['researcher'] },
  'Research.publishGatekeeper': { params: ['endpoint', 'templatesJson'], submit: true, roles: ['provider'] },
  'Research.gatekeepers': { params: [], submit: false, roles: 'any' },
  'Research.prepareRelease': { params: ['queryId', 'requesterIdentityId', 'bookmark'], submit: false, roles: ['provider'] },
  'Research.recordRelease': { params: ['queryId', 'requesterIdentityId', 'releaseJson'], submit: true, roles: ['provider'] },
  'Research.releases': { params: ['queryId'], submit: false, roles: ['researcher', 'provider', 'auditor'] },
  'Research.budget': { params: ['participantId'], submit: false, roles: ['researcher', 'provider', 'auditor'] },
} as const satisfies Record<string, TransactionSpec>;

export interface TransactionSpec {
  params: readonly string[];
  submit: boolean;
  roles: readonly Role[] | 'any';
}

export type TransactionName = keyof typeof TRANSACTIONS;
export type ContractName = TransactionName extends `${infer C}.${string}` ? C : never;

/** The roles that may call a transaction; undefined when any registered identity may. */
export function rolesFor(name: TransactionName): readonly Role[] | undefined {
  const roles: TransactionSpec['roles'] = TRANSACTIONS[name].roles;
  return roles === 'any' ? undefined : roles;
}
