export type Json = Record<string, unknown> & {
  items?: Record<string, unknown>[];
  details?: { field: string; message: string }[];
};

export interface AdminResponse {
  status: number;
  body: Json;
}

/**
 * A JSON client for one service's admin API: `call(method, path, body?, key?)`, the key defaulting
 * to `defaultKey`. Bodies that are strings go as they are (for malformed-JSON tests).
 */
export const adminClient =
  (base: () => string, defaultKey: string) =>
  async (method: string, path: string, body?: unknown, key = defaultKey): Promise<AdminResponse> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: Json = {};
    try {
      parsed = text ? (JSON.parse(text) as Json) : {};
    } catch {
      parsed = { text };
    }
    return { status: res.status, body: parsed };
  };
