import { useDevice } from '../session';
import { Busy, ErrorNote, Page, UnreachedNote, hospitalName, short, useLoad } from '../ui';
import { loadPatientView } from './records-data';

interface Node {
  id: string;
  label: string;
  kind: 'me' | 'provider' | 'viewer';
  x: number;
  y: number;
}
interface Edge {
  from: string;
  to: string;
  status: string;
}

const W = 800;
const H = 480;
const EDGE_TEXT: Record<string, string> = { new: 'waiting', accepted: 'accepted', update_available: 'update', rejected: 'rejected', deleted: 'deleted', granted: 'granted', revoked: 'revoked' };

/** Me in the middle, providers on an inner ring, viewers outside next to the provider they were shared from. */
function layout(rels: Awaited<ReturnType<typeof loadPatientView>>['rels']): { nodes: Node[]; edges: Edge[] } {
  const nodes: Node[] = [{ id: 'me', label: 'Me', kind: 'me', x: W / 2, y: H / 2 }];
  const edges: Edge[] = [];
  const viewers = new Map<string, Node>();
  rels.forEach((rel, i) => {
    const a = Math.PI + (2 * Math.PI * i) / Math.max(rels.length, 1);
    const provider: Node = { id: rel.relationshipId, label: hospitalName(rel.providerMspId), kind: 'provider', x: W / 2 + 190 * Math.cos(a), y: H / 2 + 150 * Math.sin(a) };
    nodes.push(provider);
    edges.push({ from: 'me', to: provider.id, status: rel.status });
    rel.grants.forEach((g, j) => {
      let v = viewers.get(g.viewerId);
      if (!v) {
        const b = a + (j - (rel.grants.length - 1) / 2) * 0.5;
        v = { id: g.viewerId, label: `Viewer ${short(g.viewerId)}`, kind: 'viewer', x: W / 2 + 310 * Math.cos(b), y: H / 2 + 200 * Math.sin(b) };
        viewers.set(g.viewerId, v);
        nodes.push(v);
      }
      edges.push({ from: provider.id, to: v.id, status: g.status === 'granted' && Date.parse(g.validUntil) <= Date.now() ? 'expired' : g.status });
    });
  });
  return { nodes, edges };
}

export function Graph({ live }: { live: number }) {
  const device = useDevice();
  const view = useLoad(() => loadPatientView(device, false), [device, live]);
  const { nodes, edges } = layout(view.value?.rels ?? []);
  const at = new Map(nodes.map((n) => [n.id, n]));
  return (
    <Page title="My network">
      {!view.value && !view.error && <Busy label="Reading your relationships" />}
      <ErrorNote error={view.error} />
      <UnreachedNote unreached={view.value?.unreached} />
      {view.value && (
        <>
          <svg className="graph" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="graph-title graph-desc">
            <title id="graph-title">Your relationships</title>
            <desc id="graph-desc">
              You, the hospitals holding your records, and the people you shared with; each line is labelled with its status. The same is listed below.
            </desc>
            {edges.map((e) => {
              const a = at.get(e.from)!;
              const b = at.get(e.to)!;
              return (
                <g key={`${e.from}-${e.to}`} className={`edge ${e.status}`}>
                  <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
                  <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 4} textAnchor="middle">{EDGE_TEXT[e.status] ?? e.status}</text>
                </g>
              );
            })}
            {nodes.map((n) => (
              <g key={n.id} className={`node ${n.kind}`} transform={`translate(${n.x} ${n.y})`}>
                <circle r={n.kind === 'me' ? 34 : 28} />
                <text textAnchor="middle" dy="0.35em">{n.label}</text>
              </g>
            ))}
          </svg>
          <h2>As a list</h2>
          <ul className="edges">
            {edges.map((e) => (
              <li key={`${e.from}-${e.to}`}>
                {at.get(e.from)!.label} — {at.get(e.to)!.label}: {EDGE_TEXT[e.status] ?? e.status}
              </li>
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}
