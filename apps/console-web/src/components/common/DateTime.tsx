/**
 * A moment as a list shows it, in the browser's locale: the date and time, or the date alone. It
 * never breaks across lines: in a table's narrow column on a phone, "12/7/2026, 3:40:12 PM" broke
 * inside its numbers.
 */
export function DateTime({ iso, dateOnly = false }: { iso: string; dateOnly?: boolean }) {
  return (
    <time dateTime={iso} className="console-nowrap">
      {dateOnly ? new Date(iso).toLocaleDateString() : moment(iso)}
    </time>
  );
}

/** A moment in a sentence ("locked until …"), in the browser's locale, as DateTime shows it in a list. */
export function moment(iso: string): string {
  return new Date(iso).toLocaleString();
}
