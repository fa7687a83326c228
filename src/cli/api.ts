/**
 * The REST API as the CLI uses it: KLAXON_URL (default http://127.0.0.1:8080) and KLAXON_TOKEN, sent
 * as is; the server decides who the caller is and what it may do.
 */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const base = process.env.KLAXON_URL ?? 'http://127.0.0.1:8080';
  const token = process.env.KLAXON_TOKEN;
  if (!token) throw new Error('set KLAXON_TOKEN to your API token (`klaxon token issue`)');
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json().catch(() => ({}))) as T & { message?: string };
  if (!res.ok) throw new Error(`${res.status}: ${json.message ?? res.statusText}`);
  return json;
}
