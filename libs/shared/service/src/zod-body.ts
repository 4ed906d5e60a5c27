import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { DomainError, ErrorCode } from './domain-error';

/** Validates a body or query against a zod schema and names every bad field in `details`. */
@Injectable()
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(readonly schema: S) {}

  /**
   * A problem with the value as a whole names what the value is: the path parameter (`id`), else
   * `(body)` or `(query)`, so a bad id in the URL is never reported as a bad body.
   */
  transform(value: unknown, metadata?: ArgumentMetadata): z.infer<S> {
    const whole = metadata?.type === 'param' && metadata.data ? metadata.data : `(${metadata?.type === 'query' ? 'query' : 'body'})`;
    return parseOrThrow(this.schema, value, whole);
  }
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, whole = '(body)'): z.infer<S> {
  const notText = notTextFields(value);
  if (notText.length > 0) {
    const details = notText.map((field) => ({ field, message: NOT_TEXT_MESSAGE }));
    throw new DomainError(ErrorCode.ValidationFailed, `Invalid input: ${notText.join(', ')}`, details);
  }
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.flatMap((issue) => {
    // Unknown keys come as one issue listing all of them; name each.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: issue.path.join('.') || whole, message: issue.message }];
  });
  const fields = [...new Set(details.map((d) => d.field))].join(', ');
  throw new DomainError(ErrorCode.ValidationFailed, `Invalid input: ${fields}`, details);
}

/** U+0000, or a UTF-16 surrogate without its pair: neither PostgreSQL nor XML can store it. */
export const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const NOT_TEXT_MESSAGE = 'contains U+0000 (NUL) or an unpaired UTF-16 surrogate, which is not text';

/**
 * The paths of every string (value or key) in `value` that is not text (NOT_TEXT; JSON carries
 * both as escapes). Checked for every body and query before its schema, so no route answers them
 * with a 500. Iterative, with paths built by concatenation (cheap in V8): nesting depth is bounded
 * only by the body limit.
 */
function notTextFields(value: unknown): string[] {
  const found = new Set<string>();
  const stack: [unknown, string][] = [[value, '']];
  const at = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);
  while (stack.length > 0) {
    const [item, path] = stack.pop() as [unknown, string];
    if (typeof item === 'string') {
      if (NOT_TEXT.test(item)) found.add(path || '(body)');
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, at(path, String(i))]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        // A bad key is named by its parent: the key itself cannot be printed as text.
        if (NOT_TEXT.test(key)) found.add(path || '(body)');
        else stack.push([child, at(path, key)]);
      }
    }
  }
  return [...found].sort();
}
