/**
 * A minimal browser for tests: keeps cookies per host, never follows redirects by itself, and
 * can submit the auto-POST form an IdP answers with.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  async get(url: string): Promise<Response> {
    return this.request(url, { method: 'GET' });
  }

  async postForm(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /**
   * Gives `toUrl`'s host the cookies `fromUrl`'s host set: two instances of a service on their own
   * ports, as a browser sees one address behind a load balancer.
   */
  copyCookies(fromUrl: string, toUrl: string): void {
    const from = this.jar.get(new URL(fromUrl).host);
    if (from) this.jar.set(new URL(toUrl).host, new Map(from));
  }

  /** Follows redirects (GET), like a browser would, and returns the first non-redirect answer. */
  async follow(response: Response, base: string, limit = 10): Promise<{ response: Response; url: string }> {
    let current = response;
    let url = base;
    for (let i = 0; i < limit && current.status >= 300 && current.status < 400; i++) {
      url = new URL(current.headers.get('location') ?? '', url).toString();
      current = await this.get(url);
    }
    return { response: current, url };
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    const host = new URL(url).host;
    const cookies = this.jar.get(host);
    const headers = new Headers(init.headers);
    if (cookies?.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const jar = this.jar.get(host) ?? new Map<string, string>();
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      this.jar.set(host, jar);
    }
    return response;
  }
}

/** Reads the hidden fields and action of an HTML form (enough for the SAML auto-POST page). */
export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page:\n${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
    fields[m[1]] = decodeEntities(m[2]);
  }
  return { action: decodeEntities(action), fields };
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
