/**
 * The REST API as the CLI uses it: KLAXON_URL (default http://127.0.0.1:8080) and KLAXON_TOKEN, sent
 * as is; the server decides who the caller is and what it may do.
 */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const { status, ok, json } = await apiAnswer<T & { message?: string }>(method, path, body);
  if (!ok) throw new Error(`${status}: ${json.message ?? 'request failed'}`);
  return json;
}

/** The base URL the CLI talks to. */
export function apiBase(): string {
  return process.env.KLAXON_URL ?? 'http://127.0.0.1:8080';
}

/** The answer whatever its status (for routes whose error answers carry the details, like /api/v1/status). */
export async function apiAnswer<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; ok: boolean; json: T }> {
  const token = process.env.KLAXON_TOKEN;
  if (!token) throw new Error('set KLAXON_TOKEN to your API token (`klaxon token issue`)');
  const res = await fetch(apiBase() + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json().catch(() => ({}))) as T;
  return { status: res.status, ok: res.ok, json };
}
