import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { ApiFailure } from './api/clients';

/**
 * Puts a refused save's field errors beside their fields (the services name each bad field in
 * `details`, e.g. `acsUrls.0` or `attributes.2.source`) and returns the message for the form's
 * top alert. The form keeps every value typed: nothing is reset on failure.
 */
export function applyApiErrors<T extends FieldValues>(error: unknown, setError: UseFormSetError<T>, fields: readonly string[]): string {
  if (!(error instanceof ApiFailure)) return error instanceof Error ? error.message : 'The save failed';
  const unplaced: string[] = [];
  for (const problem of error.body.details ?? []) {
    const field = problem.field.replace(/\[(\d+)\]/g, '.$1');
    const known = fields.some((name) => field === name || field.startsWith(`${name}.`));
    if (known) setError(field as Path<T>, { type: 'server', message: problem.message });
    else unplaced.push(`${problem.field}: ${problem.message}`);
  }
  const placed = (error.body.details?.length ?? 0) - unplaced.length;
  // Every problem already stands beside its field: the summary says where to look, not the API's "Invalid input: <field>".
  if (placed > 0 && unplaced.length === 0)
    return `Nothing was saved: correct the ${placed === 1 ? 'field' : `${placed} fields`} marked below`;
  return [error.body.message, ...unplaced].join(' · ');
}
