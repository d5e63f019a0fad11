/**
 * What the operator CLIs (onboard, audit) share: options, a password read without echoing it into
 * argv, a session at the gateway and JSON calls whose refusals carry their problem code.
 */
import { createInterface } from 'node:readline';

export class CliProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** $MEDREC_PASSWORD, else the first line of stdin (so it never appears in argv or the shell history). */
export async function readPassword(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if (process.env.MEDREC_PASSWORD) return process.env.MEDREC_PASSWORD;
  const lines = createInterface({ input: stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  throw new CliProblem('NO_PASSWORD', 'set MEDREC_PASSWORD or give the password on stdin');
}

export class Session {
  private constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  static async open(base: string, username: string, password: string): Promise<Session> {
    const answer = await call(base, 'POST', '/auth/login', undefined, { body: JSON.stringify({ username, password }), type: 'application/json' });
    return new Session(base, (answer as { token: string }).token);
  }

  json<T>(method: string, path: string, body?: { body: string; type: string }): Promise<T> {
    return call(base(this.base), method, path, this.token, body) as Promise<T>;
  }

  async text(path: string): Promise<string> {
    const res = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    const text = await res.text();
    if (!res.ok) throw problemOf(res.status, text);
    return text;
  }
}

const base = (url: string) => url.replace(/\/$/, '');

function problemOf(status: number, text: string): CliProblem {
  try {
    const p = JSON.parse(text) as { code?: string; detail?: string };
    return new CliProblem(p.code ?? `HTTP_${status}`, p.detail ?? text);
  } catch {
    return new CliProblem(`HTTP_${status}`, text.slice(0, 200));
  }
}

async function call(url: string, method: string, path: string, token: string | undefined, body?: { body: string; type: string }): Promise<unknown> {
  const res = await fetch(`${base(url)}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': body.type } : {}) },
    ...(body ? { body: body.body } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw problemOf(res.status, text);
  return JSON.parse(text) as unknown;
}

/** Runs a CLI's main: a refusal is `medrec: CODE: message` on stderr and exit code 2. */
export function run(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const code = err instanceof CliProblem ? err.code : 'ERROR';
      process.stderr.write(`medrec: ${code}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
