/**
 * npm run audit -- <command> --gateway <url> --user <auditor> [options]   (password: $MEDREC_PASSWORD or stdin)
 *
 *   verify [--msp <mspId>] [--relationship <id>]
 *       Reads the hospital's whole gatekeeper access log (its own, or another hospital's through that
 *       hospital's gatekeeper as a signed audit query) and the anchors its gatekeeper wrote on the
 *       ledger; recomputes every record's hash and link and checks each anchor against the log.
 *       Then the ledger's own integrity as the gateway checks it (/auditor/ledger/verify: the
 *       embedded ledger's whole file, or a Fabric peer's block hash chain).
 *       With --relationship, also the relationship's ledger history and its access records, each
 *       said to be anchored or not yet. Exit 0: the log and the ledger agree; 3: findings; 2: error.
 *   verify --ledger <ledger.sqlite>
 *       Offline, no gateway: an embedded ledger's file (a copy, or a stopped gateway's
 *       <data dir>/ledger/ledger.sqlite), opened read only: every block's number, data hash and
 *       previous-hash link, each creator's signature, and the state, history and transaction index
 *       replayed from the blocks. Exit 0: intact; 3: findings, each naming its block; 2: error.
 *   log [--msp <mspId>] [--requester <identity id>] [--since <ISO>] [--until <ISO>] [--limit n]
 *       The access records matching, newest first (one JSON line each).
 */
import { parseArgs } from 'node:util';
import { verifyLedgerFile } from '../src/adapters/ledger/embedded/index.js';
import type { LedgerVerifyReport } from '../src/ports/ledger.js';
import type { AuditRecord } from '../src/services/audit/record.js';
import { verifyAgainstAnchors, type AnchorRange } from '../src/services/audit/verify-anchors.js';
import { CliProblem, Session, readPassword, run } from './cli-http.js';

interface Page {
  mspId: string;
  head: { seq: number; hash: string };
  records: AuditRecord[];
  next: number | null;
}

/** Every page of the log below the filters, newest first; bounded by the log's own head. */
async function readLog(session: Session, filters: Record<string, string>, max = Number.MAX_SAFE_INTEGER): Promise<{ mspId: string; records: AuditRecord[] }> {
  const records: AuditRecord[] = [];
  let before: number | null = null;
  let mspId = '';
  for (let pages = 0; pages < 1_000_000 && records.length < max; pages++) {
    const query = new URLSearchParams({ ...filters, limit: String(Math.min(100, max - records.length)), ...(before ? { before: String(before) } : {}) });
    const page: Page = await session.json<Page>('GET', `/auditor/access-log?${query}`);
    mspId = page.mspId;
    records.push(...page.records);
    if (page.next === null) break;
    before = page.next;
  }
  return { mspId, records };
}

function reportLedger(where: string, report: LedgerVerifyReport): void {
  const what = report.checked === 'file' ? 'every block, signature and state entry' : 'the block hash chain';
  process.stderr.write(
    report.ok
      ? `${where}: ${what} verified (${report.height} blocks)\n`
      : `${where} is NOT intact: ${report.problems.length} finding(s), first: ${report.problems[0]}\n`,
  );
}

/** The offline check of an embedded ledger file; a file that is not one (or is in use) is an error, not a finding. */
function verifyFile(file: string): number {
  let report: LedgerVerifyReport;
  try {
    report = verifyLedgerFile(file);
  } catch (err) {
    throw new CliProblem('LEDGER_UNREADABLE', `${file} cannot be read as an embedded ledger (a gateway holding it open locks it: verify a copy): ${(err as Error).message}`);
  }
  process.stdout.write(`${JSON.stringify({ ledger: file, ...report }, null, 2)}\n`);
  reportLedger(`the ledger file ${file}`, report);
  return report.ok ? 0 : 3;
}

run(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      gateway: { type: 'string' },
      user: { type: 'string' },
      msp: { type: 'string' },
      relationship: { type: 'string' },
      requester: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      ledger: { type: 'string' },
    },
  });
  const [command] = positionals;
  if (command === 'verify' && values.ledger) return verifyFile(values.ledger);
  if (!values.gateway || !values.user || (command !== 'verify' && command !== 'log')) {
    throw new CliProblem('USAGE', 'npm run audit -- verify|log --gateway <url> --user <auditor> [--msp <mspId>] [--relationship <id>], or verify --ledger <ledger.sqlite>');
  }
  const session = await Session.open(values.gateway, values.user, await readPassword());
  const msp: Record<string, string> = values.msp ? { msp: values.msp } : {};
  if (command === 'log') {
    const filters: Record<string, string> = { ...msp, ...(values.requester ? { requester: values.requester } : {}), ...(values.since ? { since: values.since } : {}), ...(values.until ? { until: values.until } : {}) };
    const { records } = await readLog(session, filters, values.limit ? Number(values.limit) : 100);
    for (const r of records) process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  const { mspId, records } = await readLog(session, msp);
  const { anchors } = await session.json<{ anchors: AnchorRange[] }>('GET', `/auditor/anchors/${encodeURIComponent(mspId)}`);
  const report = verifyAgainstAnchors(records, anchors);
  const out: Record<string, unknown> = { mspId, ...report };
  if (values.relationship) {
    const history = await session.json<{ relationship: unknown[]; pointers: { history: unknown[] }[]; grants: { history: unknown[] }[] }>(
      'GET',
      `/auditor/relationships/${encodeURIComponent(values.relationship)}/history`,
    );
    const accesses = records.filter((r) => r.relationshipId === values.relationship).sort((a, b) => a.seq - b.seq);
    out.relationship = {
      id: values.relationship,
      ledgerChanges: history.relationship.length + history.pointers.reduce((n, p) => n + p.history.length, 0) + history.grants.reduce((n, g) => n + g.history.length, 0),
      accesses: accesses.map((r) => ({ seq: r.seq, at: r.at, requester: r.requester, category: r.category, decision: r.decision, status: r.status, anchored: r.seq <= report.anchoredTo })),
    };
  }
  const ledger = await session.json<LedgerVerifyReport>('GET', '/auditor/ledger/verify');
  out.ledger = ledger;
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.stderr.write(
    report.ok
      ? `the access log of ${mspId} (${report.records} records, head ${report.head.seq}) agrees with its ${report.anchors} ledger anchors (anchored to ${report.anchoredTo})\n`
      : `the access log of ${mspId} does NOT agree with the ledger: ${report.findings.length} finding(s)\n`,
  );
  reportLedger('the ledger', ledger);
  return report.ok && ledger.ok ? 0 : 3;
});
