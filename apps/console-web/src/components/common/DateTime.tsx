/**
 * A moment as a list shows it, in the browser's locale: the date and time, or the date alone. It
 * never breaks across lines: in a table's narrow column on a phone, "12/7/2026, 3:40:12 PM" broke
 * inside its numbers.
 */
export function DateTime({ iso, dateOnly = false }: { iso: string; dateOnly?: boolean }) {
  const date = new Date(iso);
  return (
    <time dateTime={iso} className="console-nowrap">
      {dateOnly ? date.toLocaleDateString() : date.toLocaleString()}
    </time>
  );
}
