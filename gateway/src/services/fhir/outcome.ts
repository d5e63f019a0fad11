import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Problem } from '../problem.js';
import { SYSTEMS } from './codes.js';

type IssueType = OperationOutcomeIssue['code'];

/** The FHIR issue type an HTTP status reads as (R4 `issue-type`); the problem's own code travels in `details`. */
const ISSUE_TYPE: Record<number, IssueType> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  406: 'not-supported',
  409: 'conflict',
  410: 'deleted',
  413: 'too-costly',
  415: 'not-supported',
  421: 'processing',
  422: 'business-rule',
  429: 'throttled',
  502: 'transient',
  503: 'transient',
  504: 'timeout',
};

export function issueTypeOf(status: number): IssueType {
  return ISSUE_TYPE[status] ?? (status >= 500 ? 'exception' : 'processing');
}

/** One issue carrying a problem code: `details.coding` is the REST API's stable code, `details.text` its detail. */
export function issue(severity: OperationOutcomeIssue['severity'], code: IssueType, problemCode: string, text: string, diagnostics?: string): OperationOutcomeIssue {
  return {
    severity,
    code,
    details: { coding: [{ system: SYSTEMS.problem, code: problemCode }], text },
    ...(diagnostics ? { diagnostics } : {}),
  };
}

/** A refusal as FHIR clients expect it: an OperationOutcome with the same status and the problem code. */
export function problemOutcome(problem: Problem): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [issue(problem.status >= 500 ? 'fatal' : 'error', issueTypeOf(problem.status), problem.code, problem.message)],
  };
}
