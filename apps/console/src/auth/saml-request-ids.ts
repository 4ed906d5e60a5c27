import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { DataSource } from 'typeorm';

/** How often, at most, an instance deletes the expired IDs (as it saves a new one). */
const PURGE_EVERY_MS = 60_000;

/**
 * passport-saml's cache of the AuthnRequest IDs the console sent (InResponseTo validation), in
 * `console.saml_request_ids`: the console instance that receives the IdP's Response need not be
 * the one that sent the request. Each ID lives `ttlMs`; it is removed once a Response answers it
 * (node-saml removes it, valid or not), so a Response is accepted once. Same answers as node-saml's
 * InMemoryCacheProvider: saving an ID already there keeps the first and answers null.
 */
export class SamlRequestIds implements CacheProvider {
  private lastPurge = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly ttlMs: number,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO "console"."saml_request_ids" ("id", "value", "expires_at") VALUES ($1, $2, now() + make_interval(secs => $3))
       ON CONFLICT ("id") DO NOTHING RETURNING "id"`,
      [key, value, this.ttlMs / 1000],
    );
    this.purgeNowAndThen();
    return rows.length > 0 ? { value, createdAt: Date.now() } : null;
  }

  async getAsync(key: string): Promise<string | null> {
    const rows = await this.dataSource.query<{ value: string }[]>(
      `SELECT "value" FROM "console"."saml_request_ids" WHERE "id" = $1 AND "expires_at" > now()`,
      [key],
    );
    return rows[0]?.value ?? null;
  }

  async removeAsync(key: string | null): Promise<string | null> {
    if (key === null) return null;
    const rows = await this.dataSource.query<{ id: string }[]>(
      `WITH gone AS (DELETE FROM "console"."saml_request_ids" WHERE "id" = $1 RETURNING "id") SELECT "id" FROM gone`,
      [key],
    );
    return rows.length > 0 ? key : null;
  }

  private purgeNowAndThen(): void {
    if (Date.now() - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = Date.now();
    void this.dataSource.query(`DELETE FROM "console"."saml_request_ids" WHERE "expires_at" <= now()`).catch(() => undefined);
  }
}
