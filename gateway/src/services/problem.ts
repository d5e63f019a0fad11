/**
 * RFC 9457 problem details. Every refusal the gateway makes is one of these, with a stable `code`
 * that clients can switch on; the human `detail` may change, the code may not.
 */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: `https://medrec.example/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: this.code.replaceAll('_', ' ').toLowerCase(),
      status: this.status,
      code: this.code,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const badRequest = (code: string, detail: string, ext?: Record<string, unknown>) =>
  new Problem(400, code, detail, ext);
export const unauthorized = (code: string, detail: string) => new Problem(401, code, detail);
export const forbidden = (code: string, detail: string, ext?: Record<string, unknown>) =>
  new Problem(403, code, detail, ext);
export const notFound = (code: string, detail: string) => new Problem(404, code, detail);
export const conflict = (code: string, detail: string, ext?: Record<string, unknown>) => new Problem(409, code, detail, ext);
export const unavailable = (code: string, detail: string) => new Problem(503, code, detail);
