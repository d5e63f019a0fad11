/** What the device-key tests (embedded and Fabric) share: a client that records what crossed the relay, and a refusal's code. */
import { GatewayClient, GatewayProblem } from '@medrec/client';

/** A GatewayClient whose /records/relay answers are kept, exactly as the home gateway sent them. */
export function watchedClient(base: string): { client: GatewayClient; relayed: string[] } {
  const relayed: string[] = [];
  const client = new GatewayClient(base, async (input, init) => {
    const res = await fetch(input, init);
    if (String(input).endsWith('/records/relay')) relayed.push(await res.clone().text());
    return res;
  });
  return { client, relayed };
}

/** The status and problem code a client call was refused with. */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof GatewayProblem) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('expected a refusal');
}
