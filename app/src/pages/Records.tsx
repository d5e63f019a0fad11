import { Link } from 'react-router';
import { CATEGORY_NAMES, categoryName } from '../fhir';
import { useDevice } from '../session';
import { Busy, ErrorNote, Page, UnreachedNote, hospitalName, useLoad } from '../ui';
import { Badge } from './Badge';
import { loadPatientView, type Shelf } from './records-data';
import { Resources } from './Resources';

export function Records({ live }: { live: number }) {
  const device = useDevice();
  const view = useLoad(() => loadPatientView(device, true), [device, live]);
  const pending = view.value?.rels.filter((r) => r.status === 'new') ?? [];
  const byCategory = new Map<string, Shelf[]>();
  for (const s of view.value?.shelves ?? []) byCategory.set(s.category, [...(byCategory.get(s.category) ?? []), s]);
  const order = Object.keys(CATEGORY_NAMES);
  const categories = [...byCategory.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return (
    <Page title="My records">
      {!view.value && !view.error && <Busy label="Fetching your records from each hospital and checking them" />}
      <ErrorNote error={view.error} />
      <UnreachedNote unreached={view.value?.unreached} />
      {pending.length > 0 && (
        <section className="notice" aria-labelledby="pending-title">
          <h2 id="pending-title">Waiting for your answer</h2>
          <ul>
            {pending.map((r) => (
              <li key={r.relationshipId}>
                {hospitalName(r.providerMspId)} wants to share your records with you. <Link to="/contracts">Review it</Link>
              </li>
            ))}
          </ul>
        </section>
      )}
      {view.value && categories.length === 0 && <p>No records yet. When a hospital starts a relationship with you and you accept it, its records appear here.</p>}
      {categories.map((category) => (
        <section key={category} className="category" aria-labelledby={`cat-${category}`}>
          <h2 id={`cat-${category}`}>{categoryName(category)}</h2>
          {byCategory.get(category)!.map((s) => (
            <article key={s.rel.relationshipId} className="shelf" aria-label={`${categoryName(category)} from ${hospitalName(s.rel.providerMspId)}`}>
              <h3>
                {hospitalName(s.rel.providerMspId)}
                {s.fetched && <Badge check={s.fetched.check} projected={s.fetched.answer.projected} />}
                {s.mark && <span className={`mark ${s.mark}`}>{s.mark === 'new' ? 'New' : 'Changed'}</span>}
              </h3>
              {s.fetched && <Resources answer={s.fetched.answer} />}
              <ErrorNote error={s.error} />
            </article>
          ))}
        </section>
      ))}
    </Page>
  );
}
