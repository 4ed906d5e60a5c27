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
