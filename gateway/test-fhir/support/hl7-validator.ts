/**
 * The HL7 FHIR R4 validator (tools/fhir-validator: HAPI FHIR's FhirInstanceValidator, offline) as one
 * long-lived JVM that any test can hand resources to. JVM start and the validator's warm-up take
 * seconds, so a test file starts one and validates everything through it.
 *
 * Offline: the tool has the R4 core package on its class path and refuses every proxy lookup; where
 * this process may create a network namespace (root, as in CI, or unprivileged user namespaces) the JVM
 * also runs inside an empty one (`unshare --net`), so it could not reach anything even if it tried.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// dist/test-fhir/support/hl7-validator.js → repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const VALIDATOR_DIR = join(ROOT, 'tools', 'fhir-validator');
const CLASSES = join(VALIDATOR_DIR, 'target', 'classes');
const LIB = join(VALIDATOR_DIR, 'target', 'lib');

export interface ValidationIssue {
  severity: 'fatal' | 'error' | 'warning';
  /** FHIRPath of the element, e.g. `Bundle.entry[0].resource/*Observation/h1-lab-1*\/.status` */
  location: string;
  line?: number;
  column?: number;
  /** the HL7 validator's message id (e.g. `Validation_VAL_Profile_Minimum`) or the invariant's URL */
  messageId: string;
  message: string;
}

export interface ValidationResult {
  id: string;
  resourceType: string | null;
  errors: number;
  warnings: number;
  information: number;
  /** errors and warnings; information-level messages are only counted */
  issues: ValidationIssue[];
}

export type OfflineMode = 'network-namespace' | 'proxy-refused';

export class ValidatorNotBuiltError extends Error {
  constructor() {
    super(`the HL7 FHIR validator is not built (${LIB} missing): run \`npm run fhir:validator\` (Maven, needs Maven Central once)`);
    this.name = 'ValidatorNotBuiltError';
  }
}

function canUnshareNet(): boolean {
  const probe = spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

export class Hl7Validator {
  private readonly pending: { resolve: (r: ValidationResult) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly offline: OfflineMode,
  ) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const next = this.pending.shift();
      if (!next) return;
      try {
        next.resolve(JSON.parse(line) as ValidationResult);
      } catch (err) {
        next.reject(new Error(`the validator printed something that is not a result: ${line.slice(0, 200)}`, { cause: err }));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-8000);
    });
    child.on('exit', (code, signal) => {
      this.exited = new Error(`the validator exited (${signal ?? code}): ${this.stderr.slice(-2000)}`);
      for (const p of this.pending.splice(0)) p.reject(this.exited);
    });
  }

  /** Starts the JVM. Throws ValidatorNotBuiltError when tools/fhir-validator has not been built. */
  static start(options: { java?: string; requireNamespace?: boolean } = {}): Hl7Validator {
    if (!existsSync(LIB) || !existsSync(CLASSES)) throw new ValidatorNotBuiltError();
    const java = options.java ?? process.env['JAVA'] ?? 'java';
    const jvm = [java, '-XX:+UseSerialGC', '-cp', `${CLASSES}:${LIB}/*`, 'org.medrec.fhirvalidator.Main'];
    const isolated = canUnshareNet();
    if (!isolated && options.requireNamespace) throw new Error('cannot create a network namespace for the validator (unshare --net)');
    const [command, ...args] = isolated ? ['unshare', '--net', ...jvm] : jvm;
    const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Hl7Validator(child, isolated ? 'network-namespace' : 'proxy-refused');
  }

  /** Validates one resource or Bundle; `id` labels the result. Results come back in submission order. */
  validate(resource: unknown, id: string): Promise<ValidationResult> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolvePromise, reject) => {
      this.pending.push({ resolve: resolvePromise, reject });
      this.child.stdin.write(`${JSON.stringify({ id, resource })}\n`);
    });
  }

  validateAll(items: readonly { id: string; resource: unknown }[]): Promise<ValidationResult[]> {
    return Promise.all(items.map((i) => this.validate(i.resource, i.id)));
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin.end();
    await done;
  }
}
