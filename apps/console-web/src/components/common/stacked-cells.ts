import type { TdProps } from '@patternfly/react-table';

/**
 * The props of a cell that may be empty. Below the md breakpoint PatternFly stacks each row as a
 * list of label and value; an empty value would leave a bare label ("Reason", "By") on a phone.
 * So an empty cell is hidden there, and it is still shown in the table on wider screens.
 */
export function unlessEmpty(value: unknown): Pick<TdProps, 'visibility'> {
  return value ? {} : { visibility: ['hidden', 'visibleOnMd'] };
}
