import { Injectable } from '@nestjs/common';
import { CsvError, parse } from 'csv-parse/sync';
import { CUSTOM_ATTRIBUTE_NAME, STANDARD_USER_ATTRIBUTES } from '@jit/directory-contracts';
import { z } from 'zod';
import { DomainError, ErrorCode, FieldProblemView, parseOrThrow, type FieldProblem } from '@jit/service';
import { CUSTOM_NAME_RULE, CreateUserBody } from './users.dto';
import { UsersService } from './users.service';

/** Also the text/csv body limit that main.ts gives Fastify: beyond it Fastify answers 413 itself. */
export const IMPORT_MAX_BYTES = 2 * 1024 * 1024;
export const IMPORT_MAX_ROWS = 5_000;

/** Every standard attribute but the id (the directory assigns it), and the state and password. */
export const IMPORT_COLUMNS: readonly string[] = [...STANDARD_USER_ATTRIBUTES.filter((name) => name !== 'id'), 'state', 'password'];
const CUSTOM_PREFIX = 'custom.';
const REQUIRED_COLUMNS = ['username', 'email'] as const;

export const ImportRowResult = z.object({
  row: z.number().int().meta({ description: '1-based number of the data row (the header is not counted)' }),
  status: z.enum(['created', 'failed']),
  id: z.uuid().optional().meta({ description: 'The created user' }),
  errors: z.array(FieldProblemView).optional().meta({ description: 'Why the row was not imported, per column' }),
});
export type ImportRowResult = z.infer<typeof ImportRowResult>;

/** `POST /v1/users/import`: each row created or refused, with the reasons. */
export const ImportResult = z
  .object({ created: z.number().int(), failed: z.number().int(), rows: z.array(ImportRowResult) })
  .meta({ id: 'ImportResult' });
export type ImportResult = z.infer<typeof ImportResult>;

export interface UserCsv {
  columns: string[];
  records: string[][];
}

/**
 * Parses the file and checks it as a whole (syntax, header, size), so that a file that cannot be
 * imported is refused before any row is written.
 */
export function readUserCsv(content: string): UserCsv {
  if (Buffer.byteLength(content, 'utf8') > IMPORT_MAX_BYTES) {
    throw new DomainError(ErrorCode.PayloadTooLarge, `An import file may have at most ${IMPORT_MAX_BYTES} bytes`);
  }
  let table: string[][];
  try {
    // relax_column_count: a row with a wrong number of fields fails alone, not the whole file.
    table = parse(content, { bom: true, skip_empty_lines: true, relax_column_count: true });
  } catch (error) {
    if (error instanceof CsvError) throw new DomainError(ErrorCode.ValidationFailed, `The file is not valid CSV: ${error.message}`);
    throw error;
  }
  const [header, ...records] = table;
  if (!header) {
    throw new DomainError(ErrorCode.ValidationFailed, 'The file is empty: send a header row and one row per user', [
      { field: '(header)', message: 'missing' },
    ]);
  }
  const columns = header.map((name) => name.trim());
  checkHeader(columns);
  if (records.length > IMPORT_MAX_ROWS) {
    throw new DomainError(
      ErrorCode.PayloadTooLarge,
      `An import may have at most ${IMPORT_MAX_ROWS} rows; this file has ${records.length}. Split it into several files.`,
    );
  }
  return { columns, records };
}

function checkHeader(columns: string[]): void {
  const known = new Set<string>(IMPORT_COLUMNS);
  const allowed = `allowed: ${IMPORT_COLUMNS.join(', ')}, ${CUSTOM_PREFIX}<name>`;
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  columns.forEach((name, index) => {
    const field = name || `(column ${index + 1})`;
    if (seen.has(name)) problems.push({ field, message: 'appears more than once' });
    seen.add(name);
    if (name.startsWith(CUSTOM_PREFIX)) {
      if (!CUSTOM_ATTRIBUTE_NAME.test(name.slice(CUSTOM_PREFIX.length))) problems.push({ field, message: CUSTOM_NAME_RULE });
    } else if (!known.has(name)) {
      problems.push({ field, message: `unknown column; ${allowed}` });
    }
  });
  for (const name of REQUIRED_COLUMNS) {
    if (!seen.has(name)) problems.push({ field: name, message: 'required column is missing' });
  }
  if (problems.length > 0) {
    throw new DomainError(ErrorCode.ValidationFailed, `Invalid CSV header: ${problems.map((p) => p.field).join(', ')}`, problems);
  }
}

/** One data row as a CreateUserBody candidate. An empty cell means "not given", not "". */
export function rowToBody(columns: string[], record: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const custom: Record<string, string> = {};
  columns.forEach((column, index) => {
    const value = record[index];
    if (value === undefined || value.trim() === '') return;
    if (column.startsWith(CUSTOM_PREFIX)) custom[column.slice(CUSTOM_PREFIX.length)] = value;
    else body[column] = value;
  });
  if (Object.keys(custom).length > 0) body.customAttributes = custom;
  return body;
}

/** Problems are named by CSV column: `customAttributes.x` is the column `custom.x`. */
const toColumnNames = (problems: FieldProblem[]): FieldProblem[] =>
  problems.map((p) => ({ ...p, field: p.field.replace(/^customAttributes(\.|$)/, (_m, dot: string) => (dot ? CUSTOM_PREFIX : 'custom')) }));

/** Rows in flight at once: argon2 runs on libuv's 4 threads, and each row holds one pooled connection. */
const IMPORT_CONCURRENCY = 4;

@Injectable()
export class UsersImportService {
  constructor(private readonly users: UsersService) {}

  /**
   * Each row goes through UsersService.create (its own transaction and event), so good rows land
   * and a bad row writes nothing. Rows run a few at a time, but a row waits for every earlier row
   * that names the same username or email (in either column), so the outcome is the one of a run in file order: the
   * first of two duplicates wins. An error other than the row's own (the database or NATS failing)
   * stops the import and answers that error: rows already done are committed, and a re-run
   * reports them as already taken.
   */
  async import(organizationId: string, content: string): Promise<ImportResult> {
    const { columns, records } = readUserCsv(content);
    const results: ImportRowResult[] = [];
    const lastWithKey = new Map<string, Promise<unknown>>();
    const slots = new Semaphore(IMPORT_CONCURRENCY);
    let fatal: { error: unknown } | undefined;
    const tasks: Promise<void>[] = [];

    for (const [index, record] of records.entries()) {
      const row = index + 1;
      if (record.length !== columns.length) {
        results[index] = {
          row,
          status: 'failed',
          errors: [{ field: '(row)', message: `has ${record.length} fields; the header has ${columns.length}` }],
        };
        continue;
      }
      let body: CreateUserBody;
      try {
        body = parseOrThrow(CreateUserBody, rowToBody(columns, record));
      } catch (error) {
        results[index] = failed(row, error);
        continue;
      }
      // By value, not by column: a username may clash with an earlier row's email and the other way round.
      const keys = [...new Set([body.username.toLowerCase(), body.email.toLowerCase()])];
      const earlier = keys.flatMap((key) => lastWithKey.get(key) ?? []);
      const task = Promise.allSettled(earlier).then(() =>
        slots.run(async () => {
          if (fatal) return;
          try {
            const user = await this.users.create(organizationId, body);
            results[index] = { row, status: 'created', id: user.id };
          } catch (error) {
            if (error instanceof DomainError) results[index] = failed(row, error);
            else fatal ??= { error };
          }
        }),
      );
      for (const key of keys) lastWithKey.set(key, task);
      tasks.push(task);
    }
    await Promise.all(tasks);
    if (fatal) throw fatal.error;
    const created = results.filter((r) => r.status === 'created').length;
    return { created, failed: results.length - created, rows: results };
  }
}

function failed(row: number, error: unknown): ImportRowResult {
  if (!(error instanceof DomainError)) throw error;
  return { row, status: 'failed', errors: toColumnNames(error.details ?? [{ field: '(row)', message: error.message }]) };
}

/** At most `size` callers inside `run` at once; the others queue in order. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
