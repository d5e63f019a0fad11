/** A tiny JSON-over-HTTP client for the demo and end-to-end tests: what an app calling the gateway does. */

export type Json = Record<string, any>;

export async function call(base: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Like `call`, but a problem answer (4xx/5xx) throws with its stable code. */
export async function ok(base: string, method: string, path: string, token?: string, body?: unknown): Promise<Json> {
  const res = await call(base, method, path, token, body);
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${res.json.code}: ${res.json.detail}`);
  return res.json;
}

export const login = async (base: string, username: string, password: string) =>
  (await ok(base, 'POST', '/auth/login', undefined, { username, password })).token as string;
