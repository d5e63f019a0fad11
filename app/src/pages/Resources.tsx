import type { GatekeeperAnswer } from '@medrec/client';
import { describe } from '../fhir';

export function Resources({ answer }: { answer: GatekeeperAnswer }) {
  const entries = (answer.bundle as { entry?: { resource: Record<string, unknown> }[] }).entry ?? [];
  if (entries.length === 0) return <p className="hint">No records.</p>;
  return (
    <ul className="resources">
      {entries.map(({ resource }, i) => {
        const d = describe(resource);
        return (
          <li key={String(resource['id'] ?? i)}>
            <span className="what">{d.what}</span>
            {d.value && <span className="value">{d.value}</span>}
            {d.when && <span className="when">{d.when}</span>}
          </li>
        );
      })}
    </ul>
  );
}
