/**
 * Panel onboarding (issue 15 §2, docs/onboarding.md): a hospital admin uploads its patient panel;
 * a job registers the patients on the ledger in bounded batches (Registrar.registerPanel, idempotent
 * per patient), links each to its chart after the chart proof, and issues each a one-time activation
 * code. No per-patient CA work: the CA registers a patient when their device redeems the code.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { identityId } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Registrar, type PanelRegistration, type RegisterItem } from '../../contract/medrec.js';
import type { Credentials } from '../../ports/identity.js';
import { ChaincodeError } from '../../ports/ledger.js';
import type { ActivationService } from '../enrolment/activation.js';
import type { ExternalIds } from '../registrar/external-ids.js';
import { notFound, Problem } from '../problem.js';
import type { ChartProof } from '../relationships/chart.js';
import type { PatientLinks } from '../relationships/links.js';
import { migrate } from '../store/gateway-db.js';
import { parsePanel, type PanelFormat } from './panel.js';

/** registerPanel's bound (the chaincode's batch limit). */
export const MAX_BATCH = 500;
export const DEFAULT_BATCH = 500;
/** Letters go by post: a panel's codes live longer than a registrar's handed-over ones. */
export const DEFAULT_PANEL_TTL_SECONDS = 60 * 86_400;

export interface OnboardingDeps {
  mspId: string;
  db: Database;
  client: MedrecClient;
  activations: ActivationService;
  links: PatientLinks;
  chart: ChartProof;
  externalIds: Pick<ExternalIds, 'own' | 'panelEnrollmentId'>;
  /** Signs the ledger registrations (only a registrar may). */
  registrar: () => Promise<Credentials>;
  /** Where each job's 0600 letter-merge file of activation codes is written. */
  dir: string;
}

export interface PanelJob {
  id: string;
  format: PanelFormat;
  state: 'running' | 'done';
  batchSize: number;
  createdAt: string;
  finishedAt: string | null;
  rows: number;
  pending: number;
  registered: number;
  /** registered already as a patient (e.g. at another hospital): linked to the chart, no new code */
  linked: number;
  existing: number;
  failed: number;
}

export interface RowProblem {
  row: number;
  status: number;
  code: string;
  detail: string;
}

interface PendingRow {
  row: number;
  mrn: string;
  stated_hash: string | null;
}

/** A row ready for the ledger: its chart proved to be the person the row names. */
interface Ready {
  row: number;
  mrn: string;
  hash: string;
  username: string;
}

const rowFailure = (status: number, code: string, detail: string) => ({ status, code, detail });


export class PanelOnboarding {
  private readonly running = new Map<string, Promise<void>>();
  /** Jobs run one after another: two panels naming the same patient never race between check and commit. */
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly deps: OnboardingDeps) {
    migrate(deps.db);
    mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
  }

  /** Reads the panel, stores its rows and starts its job; a panel that cannot be read at all is refused (400) and stores nothing. */
  submit(format: PanelFormat, text: string, createdBy: string, options: { batchSize?: number; ttlSeconds?: number } = {}): PanelJob {
    const rows = parsePanel(format, text);
    const id = randomUUID();
    const kind = this.deps.chart.externalIdKind;
    const { db } = this.deps;
    db.transaction(() => {
      db.prepare(
        "INSERT INTO panel_jobs (id, format, created_by, created_at, state, batch_size, ttl_seconds) VALUES (?, ?, ?, ?, 'running', ?, ?)",
      ).run(id, format, createdBy, new Date().toISOString(), options.batchSize ?? DEFAULT_BATCH, options.ttlSeconds ?? DEFAULT_PANEL_TTL_SECONDS);
      const insert = db.prepare('INSERT INTO panel_rows (job_id, row, mrn, stated_hash, state, code, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const r of rows) {
        if ('error' in r) insert.run(id, r.row, null, null, 'error', r.error.code, 400, r.error.detail);
        else {
          // The stated national id is kept only as its keyed hash, to compare with the chart's.
          const stated = r.nationalId && kind ? this.deps.externalIds.own(kind, r.nationalId) : null;
          insert.run(id, r.row, r.mrn, stated, 'pending', null, null, null);
        }
      }
    })();
    this.start(id);
    return this.job(id);
  }

  job(id: string): PanelJob {
    const job = this.deps.db.prepare('SELECT * FROM panel_jobs WHERE id = ?').get(id) as
      | { id: string; format: PanelFormat; state: 'running' | 'done'; batch_size: number; created_at: string; finished_at: string | null }
      | undefined;
    if (!job) throw notFound('PANEL_JOB_UNKNOWN', 'no such panel job');
    const counts = Object.fromEntries(
      (this.deps.db.prepare('SELECT state, COUNT(*) AS n FROM panel_rows WHERE job_id = ? GROUP BY state').all(id) as { state: string; n: number }[]).map((c) => [c.state, c.n]),
    ) as Record<string, number>;
    const n = (s: string) => counts[s] ?? 0;
    return {
      id: job.id,
      format: job.format,
      state: job.state,
      batchSize: job.batch_size,
      createdAt: job.created_at,
      finishedAt: job.finished_at,
      rows: n('pending') + n('registered') + n('linked') + n('existing') + n('error'),
      pending: n('pending'),
      registered: n('registered'),
      linked: n('linked'),
      existing: n('existing'),
      failed: n('error'),
    };
  }

  /** Each refused row with its problem code (RFC 9457 fields), in row order. */
  errors(id: string): RowProblem[] {
    this.job(id);
    return this.deps.db
      .prepare("SELECT row, status, code, detail FROM panel_rows WHERE job_id = ? AND state = 'error' ORDER BY row")
      .all(id) as RowProblem[];
  }

  /** The job's letter-merge CSV (row, mrn, username, activation code, expiry); the codes are nowhere else. */
  letters(id: string): string {
    this.job(id);
    let text: string;
    try {
      text = readFileSync(this.lettersFile(id), 'utf8');
    } catch {
      return LETTER_HEADER;
    }
    // After a crash mid-batch a row may have two lines: only the last code was stored.
    const byRow = new Map(text.split('\n').slice(1).filter((l) => l !== '').map((l) => [l.split(',')[0]!, l]));
    return LETTER_HEADER + [...byRow.values()].map((l) => `${l}\n`).join('');
  }

  /** Resumes one job that stopped on a fault (the ledger unreachable, say); a finished job is answered as it is. */
  resumeJob(id: string): PanelJob {
    if (this.job(id).state === 'running') this.start(id);
    return this.job(id);
  }

  /** Resumes every job a stopped gateway left running (rows already done are not redone). */
  resume(): void {
    for (const { id } of this.deps.db.prepare("SELECT id FROM panel_jobs WHERE state = 'running'").all() as { id: string }[]) this.start(id);
  }

  /** Resolves when the job's run in this process ends (for tests, benches and the CLI's local mode). */
  async settled(id: string): Promise<PanelJob> {
    await this.running.get(id);
    return this.job(id);
  }

  private start(id: string): void {
    if (this.running.has(id)) return;
    const run = this.queue
      .then(() => this.run(id))
      .catch(() => undefined) // a job stopped by a fault stays running and resumes at the next start or resume()
      .finally(() => this.running.delete(id));
    this.queue = run;
    this.running.set(id, run);
  }

  private lettersFile(id: string): string {
    return join(this.deps.dir, `${id}.letters.csv`);
  }

  private async run(id: string): Promise<void> {
    const { db } = this.deps;
    const { batch_size: size, ttl_seconds: ttl, created_by: by } = db.prepare('SELECT batch_size, ttl_seconds, created_by FROM panel_jobs WHERE id = ?').get(id) as {
      batch_size: number;
      ttl_seconds: number;
      created_by: string;
    };
    const next = db.prepare("SELECT row, mrn, stated_hash FROM panel_rows WHERE job_id = ? AND state = 'pending' ORDER BY row LIMIT ?");
    const registrar = await this.deps.registrar();
    for (;;) {
      const batch = next.all(id, size) as PendingRow[];
      if (batch.length === 0) break;
      await this.batch(id, batch, registrar, ttl, by);
    }
    db.prepare("UPDATE panel_jobs SET state = 'done', finished_at = ? WHERE id = ?").run(new Date().toISOString(), id);
  }

  /** One batch: chart proofs, one ledger transaction, then codes, links and row states in one database transaction. */
  private async batch(id: string, rows: PendingRow[], registrar: Credentials, ttl: number, by: string): Promise<void> {
    const { db, mspId } = this.deps;
    const fail = db.prepare("UPDATE panel_rows SET state = 'error', status = ?, code = ?, detail = ? WHERE job_id = ? AND row = ?");
    const mark = db.prepare('UPDATE panel_rows SET state = ? WHERE job_id = ? AND row = ?');
    const known = db.prepare('SELECT mrn FROM panel_patients WHERE external_hash = ?');
    const ready: Ready[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      const outcome = await this.prove(r);
      if ('code' in outcome) {
        fail.run(outcome.status, outcome.code, outcome.detail, id, r.row);
        continue;
      }
      const onboarded = known.get(outcome.hash) as { mrn: string } | undefined;
      if (onboarded?.mrn === r.mrn) mark.run('existing', id, r.row);
      else if (onboarded || seen.has(outcome.hash)) fail.run(409, 'PATIENT_HAS_OTHER_CHART', 'this person is onboarded with another chart of this hospital', id, r.row);
      else {
        seen.add(outcome.hash);
        ready.push({ row: r.row, mrn: r.mrn, hash: outcome.hash, username: this.deps.externalIds.panelEnrollmentId(outcome.hash) });
      }
    }
    if (ready.length === 0) return;
    const results = await this.register(registrar, ready);
    const done: (Ready & { participantId: string; code: boolean })[] = [];
    ready.forEach((r, i) => {
      const result = results[i]!;
      if ('code' in result) fail.run(result.status, result.code, result.detail, id, r.row);
      else if (result.outcome !== 'other') done.push({ ...r, participantId: result.participantId, code: true });
      else if (result.role === 'patient') done.push({ ...r, participantId: result.participantId, code: false });
      else fail.run(409, 'ALREADY_REGISTERED', `this person is registered on the ledger as a ${result.role}`, id, r.row);
    });
    db.transaction(() => {
      const fresh = done.filter((d) => d.code);
      const codes = this.deps.activations.issueDeferred(
        fresh.map((d) => ({ username: d.username, role: 'patient', participantId: d.participantId, identityId: identityId(mspId, d.username) })),
        by,
        ttl,
      );
      const patient = db.prepare('INSERT INTO panel_patients (external_hash, mrn, participant_id, username, job_id, onboarded_at) VALUES (?, ?, ?, ?, ?, ?)');
      const at = new Date().toISOString();
      for (const d of done) {
        if (!this.deps.links.set(d.participantId, d.mrn, `panel:${id}`)) {
          fail.run(409, 'PATIENT_LINK_CONFLICT', 'the chart or the participant is already linked to another one here', id, d.row);
          continue;
        }
        patient.run(d.hash, d.mrn, d.participantId, d.code ? d.username : '', id, at);
        mark.run(d.code ? 'registered' : 'linked', id, d.row);
      }
      // Written (and synced) before the rows commit: a crash in between leaves a line whose code was
      // never stored; the resumed batch issues a new one and appends it (the letter uses the last line).
      this.appendLetters(id, fresh.map((d, i) => [d.row, d.mrn, d.username, codes[i]!.code, codes[i]!.expiresAt].join(',')));
    })();
  }

  /** The chart's identifier hash (the chart proof), or why the row cannot be onboarded. */
  private async prove(r: PendingRow): Promise<{ hash: string } | RowProblem> {
    try {
      const hash = await this.deps.chart.identifierHash(r.mrn);
      if (r.stated_hash !== null && r.stated_hash !== hash) {
        return { row: r.row, ...rowFailure(422, 'CHART_NOT_PATIENT', "the row's national id is not the chart's") };
      }
      return { hash };
    } catch (err) {
      if (err instanceof Problem && err.status < 500) return { row: r.row, ...rowFailure(422, err.code, err.message) };
      throw err;
    }
  }

  /**
   * One registerPanel transaction for the batch. If the ledger refuses it as a whole (an enrollment id
   * of the batch is taken), each row goes alone so that only that row fails.
   */
  private async register(registrar: Credentials, ready: Ready[]): Promise<(PanelRegistration | RowProblem)[]> {
    const items: RegisterItem[] = ready.map((r) => ({ externalIdHash: r.hash, enrollmentId: r.username, role: 'patient' }));
    try {
      return (await this.deps.client.submit(registrar, Registrar.registerPanel(items))).value;
    } catch (err) {
      if (!(err instanceof ChaincodeError && err.code === 'CONFLICT')) throw err;
      if (ready.length === 1) return [{ row: ready[0]!.row, ...rowFailure(409, 'ENROLLMENT_ID_TAKEN', "the patient's enrollment id is registered to another person") }];
      const one: (PanelRegistration | RowProblem)[] = [];
      for (const r of ready) one.push(...(await this.register(registrar, [r])));
      return one;
    }
  }

  private appendLetters(id: string, lines: string[]): void {
    if (lines.length === 0) return;
    const file = this.lettersFile(id);
    const fd = openSync(file, 'a', 0o600);
    try {
      if (readFileSync(file, 'utf8') === '') appendFileSync(fd, LETTER_HEADER);
      appendFileSync(fd, `${lines.join('\n')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

const LETTER_HEADER = 'row,mrn,username,activation_code,expires_at\n';
