/**
 * Panel onboarding (issue 15 §2, docs/onboarding.md): a hospital admin uploads its patient panel;
 * a job registers the patients on the ledger in bounded batches (Registrar.registerPanel, idempotent
 * per patient), links each to its chart after the chart proof, and issues each a one-time activation
 * code; then it opens each patient's relationship with this hospital, with the current pointers of
 * the chart (Relationship.createBatch, signed by the records service). No per-patient CA work: the
 * CA registers a patient when their device redeems the code.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { existingRelationshipOf, identityId, type Category } from '@medrec/chaincode/domain';
import type { MedrecClient } from '../../contract/client.js';
import { Registrar, Relationship, type PanelRegistration, type RegisterItem } from '../../contract/medrec.js';
import { endorsedBy } from '../../contract/request.js';
import type { Credentials } from '../../ports/identity.js';
import { ChaincodeError, LedgerTimeoutError, LedgerUnavailableError, type Signer } from '../../ports/ledger.js';
import type { ActivationService } from '../enrolment/activation.js';
import type { ExternalIds } from '../registrar/external-ids.js';
import { notFound, Problem } from '../problem.js';
import type { ChartProof } from '../relationships/chart.js';
import type { PatientLinks } from '../relationships/links.js';
import { isCommitConflict } from '../relationships/settle.js';
import { migrate } from '../store/gateway-db.js';
import { parsePanel, type PanelFormat } from './panel.js';
import { MAX_BATCH, shrunk } from './batch-size.js';

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
  /**
   * Opens the relationships: the records service, the hospital's provider identity that already
   * moves their pointers (the change watcher) — no person's signature is behind a panel's
   * relationships, the hospital's is.
   */
  service: Signer;
  /** This hospital's gatekeeper URL, the relationships' endpoint (read on use: port 0 settles late). */
  publicUrl: () => string;
  /** The chart's current pointers, hashed as every pointer is (RelationshipService.pointersFor). */
  pointersFor: (mrn: string) => Promise<{ category: Category; hash: string }[]>;
  /** Where each job's 0600 letter-merge file of activation codes is written. */
  dir: string;
  /** A job stopped by a transient fault runs again by itself this often, after doubling waits. */
  retry?: RetryPolicy;
  /** Patients per ledger transaction when the upload names none (the ledger adapter's, batch-size.ts; MAX_BATCH without it). */
  batchSize?: number;
}

export interface RetryPolicy {
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

/** 1 + 2 + 4 + 8 + 16 s: a peer's restart or a short outage passes; a longer one waits for resume. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, firstDelayMs: 1_000, maxDelayMs: 30_000 };

/** Why a job is not moving: a transient fault it is retrying, or one it gave up on (POST …/resume). */
export interface JobFault {
  code: string;
  retries: number;
  waiting: 'retry' | 'resume';
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
  /** rows whose patient has their relationship with this hospital (opened by the job or before) */
  relationships: number;
  /** the fault that stopped the job in this process, if it is stopped */
  fault: JobFault | null;
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
  private readonly faults = new Map<string, JobFault>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

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
      ).run(id, format, createdBy, new Date().toISOString(), options.batchSize ?? this.deps.batchSize ?? MAX_BATCH, options.ttlSeconds ?? DEFAULT_PANEL_TTL_SECONDS);
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
    const { related } = this.deps.db
      .prepare('SELECT COUNT(*) AS related FROM panel_rows r JOIN patient_links l ON l.mrn = r.mrn WHERE r.job_id = ? AND r.state IN (?, ?, ?) AND l.relationship_id IS NOT NULL')
      .get(id, ...ONBOARDED) as { related: number };
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
      relationships: related,
      fault: this.faults.get(id) ?? null,
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
      .then(() => this.retrying(id))
      .catch(() => undefined) // a job stopped by a fault stays running and resumes at the next start or resume()
      .finally(() => this.running.delete(id));
    this.queue = run;
    this.running.set(id, run);
  }

  /**
   * Runs the job; after a transient fault (the ledger or the EHR answering 503) runs it again after
   * doubling waits, a bounded number of times — safe, as every step is idempotent — then leaves it
   * for `resume`. Any other error stops it at once.
   */
  private async retrying(id: string): Promise<void> {
    const policy = this.deps.retry ?? DEFAULT_RETRY;
    for (let retries = 0; ; retries++) {
      try {
        await this.run(id);
        this.faults.delete(id);
        return;
      } catch (err) {
        const code = transientCode(err);
        const again = code !== undefined && retries < policy.attempts && !this.closed;
        this.faults.set(id, { code: code ?? 'JOB_FAILED', retries, waiting: again ? 'retry' : 'resume' });
        if (!again) throw err;
        await this.sleep(Math.min(policy.firstDelayMs * 2 ** retries, policy.maxDelayMs));
        if (this.closed) throw err;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Stops waiting to retry (the gateway is closing); a job left running resumes at the next start. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
    await this.queue;
  }

  private lettersFile(id: string): string {
    return join(this.deps.dir, `${id}.letters.csv`);
  }

  private async run(id: string): Promise<void> {
    const { db } = this.deps;
    const job = db.prepare('SELECT batch_size, ttl_seconds, created_by FROM panel_jobs WHERE id = ?').get(id) as {
      batch_size: number;
      ttl_seconds: number;
      created_by: string;
    };
    const { ttl_seconds: ttl, created_by: by } = job;
    let size = job.batch_size;
    const next = db.prepare("SELECT row, mrn, stated_hash FROM panel_rows WHERE job_id = ? AND state = 'pending' ORDER BY row LIMIT ?");
    const registrar = await this.deps.registrar();
    for (;;) {
      const batch = next.all(id, size) as PendingRow[];
      if (batch.length === 0) break;
      try {
        await this.batch(id, batch, registrar, ttl, by);
      } catch (err) {
        size = this.shrinkAfter(err, id, batch.length);
      }
    }
    // Then the relationships, in row order (a row refused here keeps none; the cursor passes it).
    const unrelated = db.prepare(
      'SELECT r.row, r.mrn, l.participant_id AS pid FROM panel_rows r JOIN patient_links l ON l.mrn = r.mrn WHERE r.job_id = ? AND r.state IN (?, ?, ?) AND l.relationship_id IS NULL AND r.row > ? ORDER BY r.row LIMIT ?',
    );
    for (let after = 0; ; ) {
      const batch = unrelated.all(id, ...ONBOARDED, after, size) as Unrelated[];
      if (batch.length === 0) break;
      try {
        await this.relate(id, batch);
      } catch (err) {
        size = this.shrinkAfter(err, id, batch.length);
        continue;
      }
      after = batch.at(-1)!.row;
    }
    db.prepare("UPDATE panel_jobs SET state = 'done', finished_at = ? WHERE id = ?").run(new Date().toISOString(), id);
  }

  /**
   * After a batch of `size` failed: a ledger timeout (an endorsement longer than its deadline: the
   * batch was too big for the ledger at this load) gives the smaller size to go on with, kept as the
   * job's for a resumed run; anything else, or a single patient timing out, is rethrown (a timeout
   * is then a transient fault like any unavailability, retried as such). Asking again is safe:
   * registerPanel is idempotent per patient and relate asks the ledger what is open first.
   */
  private shrinkAfter(err: unknown, id: string, size: number): number {
    const smaller = err instanceof LedgerTimeoutError ? shrunk(size) : undefined;
    if (smaller === undefined) throw err;
    this.deps.db.prepare('UPDATE panel_jobs SET batch_size = ? WHERE id = ?').run(smaller, id);
    return smaller;
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

  /**
   * Opens the relationships of one batch of onboarded rows in one createBatch transaction, with the
   * charts' current pointers. The ledger is asked first which patients have one here already (opened
   * by a provider, or by this job before a crash): those are recorded, not created, so a resumed or
   * repeated job submits nothing for them and never a second relationship. The relationship ids are
   * recorded in one database transaction after the ledger's commit.
   */
  private async relate(id: string, rows: Unrelated[], attempt = 1): Promise<void> {
    const { client, service, mspId, links, db } = this.deps;
    const open = await client.evaluate(service, Relationship.ofPatients(rows.map((r) => r.pid)));
    const fresh = rows.filter((_, i) => open[i] === null);
    const items = [];
    for (const r of fresh) items.push({ patientId: r.pid, endpoint: this.deps.publicUrl(), pointers: await this.deps.pointersFor(r.mrn) });
    let created: string[] = [];
    if (items.length > 0) {
      try {
        created = (await client.submit(service, endorsedBy(Relationship.createBatch(items), mspId))).value;
      } catch (err) {
        // A provider opened one of them since the question (the ledger names it), or a concurrent write: ask again.
        const raced = (err instanceof ChaincodeError && existingRelationshipOf(err.message) !== undefined) || isCommitConflict(err);
        if (raced && attempt < RELATE_ATTEMPTS) return this.relate(id, rows, attempt + 1);
        if (!(err instanceof ChaincodeError)) throw err;
        if (fresh.length === 1) {
          db.prepare("UPDATE panel_rows SET state = 'error', status = 409, code = 'RELATIONSHIP_REFUSED', detail = ? WHERE job_id = ? AND row = ?").run(err.message, id, fresh[0]!.row);
          return;
        }
        for (const r of rows) await this.relate(id, [r]);
        return;
      }
    }
    db.transaction(() => {
      rows.forEach((r, i) => {
        if (open[i] !== null) links.setRelationship(r.pid, open[i]!);
      });
      fresh.forEach((r, i) => links.setRelationship(r.pid, created[i]!));
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

/** A fault worth retrying: a component answering 503, as the ledger does when a peer is down. */
function transientCode(err: unknown): string | undefined {
  if (err instanceof LedgerUnavailableError) return 'LEDGER_UNAVAILABLE';
  if (err instanceof Problem && err.status === 503) return err.code;
  return undefined;
}

/** Rows whose patient is on the ledger and linked to the chart: each gets a relationship here. */
const ONBOARDED = ['registered', 'linked', 'existing'] as const;
/** A relationship batch that raced a provider's create is asked about again at most this often. */
const RELATE_ATTEMPTS = 3;

interface Unrelated {
  row: number;
  mrn: string;
  pid: string;
}

const LETTER_HEADER = 'row,mrn,username,activation_code,expires_at\n';
