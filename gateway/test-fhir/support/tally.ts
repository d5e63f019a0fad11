import type { ValidationResult } from './hl7-validator.js';

/** Warnings by kind (message id, plus the code system for "can't be validated"), each with a count and an example. */
export function tallyWarnings(results: readonly ValidationResult[]): Map<string, { count: number; example: string }> {
  const warnings = new Map<string, { count: number; example: string }>();
  for (const r of results) {
    for (const issue of r.issues.filter((x) => x.severity === 'warning')) {
      const system = /can't be validated: (\S+)/.exec(issue.message)?.[1];
      const kind = system ? `${issue.messageId} ${system}` : issue.messageId;
      const seen = warnings.get(kind) ?? { count: 0, example: issue.message };
      seen.count++;
      warnings.set(kind, seen);
    }
  }
  return warnings;
}
