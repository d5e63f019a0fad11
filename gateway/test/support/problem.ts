import { Problem } from '../../src/services/problem.js';

/** The status and stable code of the Problem a service call was refused with (anything else thrown fails the test). */
export async function problemOf(call: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof Problem) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected a refusal');
}
