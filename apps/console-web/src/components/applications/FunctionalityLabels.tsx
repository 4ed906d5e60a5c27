import { Label, LabelGroup } from '@patternfly/react-core';
import type { Functionality } from './types';

/** The source document's names: the catalog says SLO, the screens say Single Logout. */
const LABEL: Record<Functionality, string> = { SSO: 'SSO', 'JIT Provisioning': 'JIT Provisioning', SLO: 'Single Logout' };
const COLOR = { SSO: 'blue', 'JIT Provisioning': 'green', SLO: 'purple' } as const;

/** The Supported Functionality labels (the JIT Provisioning label the source document points admins to). */
export function FunctionalityLabels({ functionality }: { functionality: readonly Functionality[] }) {
  return (
    <LabelGroup aria-label="Supported functionality" numLabels={3}>
      {functionality.map((f) => (
        <Label key={f} color={COLOR[f]} isCompact data-testid={f === 'JIT Provisioning' ? 'jit-label' : undefined}>
          {LABEL[f]}
        </Label>
      ))}
    </LabelGroup>
  );
}
