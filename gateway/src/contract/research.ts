/**
 * The Research contract as typed requests (docs/research.md): patients' consents, studies, stewards,
 * the gatekeeper directory, and the gatekeeper's prepare/record pair around each released answer.
 */
import type {
  ConsentTerms,
  ConsentView,
  CohortPage,
  GatekeeperEntry,
  Release,
  ReleaseRequest,
  ResearchBudget,
  ResearchConsent,
  ResearchQuery,
  Steward,
  StudyRequest,
  TemplateId,
} from '@medrec/chaincode/domain';
import { request } from './request.js';

export interface ConsentItem {
  relationshipId: string;
  /** null withdraws */
  consent: ConsentTerms | null;
}

export type Bounty = ResearchQuery & { collected: boolean };

export const Research = {
  consent: (relationshipId: string, terms: ConsentTerms) =>
    request<ResearchConsent, 'Research.consent'>('Research.consent', [relationshipId, JSON.stringify(terms)]),
  withdraw: (relationshipId: string) => request<ResearchConsent, 'Research.withdraw'>('Research.withdraw', [relationshipId]),
  /** The relationship ids changed, in item order. */
  consentBatch: (items: readonly ConsentItem[]) =>
    request<string[], 'Research.consentBatch'>('Research.consentBatch', [JSON.stringify(items)]),
  consents: () => request<ConsentView[], 'Research.consents'>('Research.consents', []),
  consentOf: (relationshipId: string, requesterIdentityId: string) =>
    request<ConsentView, 'Research.consentOf'>('Research.consentOf', [relationshipId, requesterIdentityId]),
  submitStudy: (study: StudyRequest) =>
    request<{ queryId: string }, 'Research.submitStudy'>('Research.submitStudy', [JSON.stringify(study)]),
  query: (queryId: string) => request<ResearchQuery, 'Research.query'>('Research.query', [queryId]),
  studies: () => request<ResearchQuery[], 'Research.studies'>('Research.studies', []),
  registerSteward: (participantId: string) => request<Steward, 'Research.registerSteward'>('Research.registerSteward', [participantId]),
  stewards: () => request<Steward[], 'Research.stewards'>('Research.stewards', []),
  bounties: () => request<Bounty[], 'Research.bounties'>('Research.bounties', []),
  publishGatekeeper: (endpoint: string, templates: readonly TemplateId[]) =>
    request<GatekeeperEntry, 'Research.publishGatekeeper'>('Research.publishGatekeeper', [endpoint, JSON.stringify(templates)]),
  gatekeepers: () => request<GatekeeperEntry[], 'Research.gatekeepers'>('Research.gatekeepers', []),
  prepareRelease: (queryId: string, requesterIdentityId: string, bookmark: string) =>
    request<CohortPage, 'Research.prepareRelease'>('Research.prepareRelease', [queryId, requesterIdentityId, bookmark]),
  recordRelease: (queryId: string, requesterIdentityId: string, release: ReleaseRequest) =>
    request<Release, 'Research.recordRelease'>('Research.recordRelease', [queryId, requesterIdentityId, JSON.stringify(release)]),
  releases: (queryId: string) => request<Release[], 'Research.releases'>('Research.releases', [queryId]),
  budget: (participantId: string) => request<ResearchBudget, 'Research.budget'>('Research.budget', [participantId]),
};
