import { Label, LabelGroup } from '@patternfly/react-core';

/** The source document's names: the catalog says SLO, the screens say Single Logout. */
const LABEL: Readonly<Record<string, string>> = { SLO: 'Single Logout' };
const COLOR: Readonly<Record<string, 'blue' | 'green' | 'purple'>> = { SSO: 'blue', 'JIT Provisioning': 'green', SLO: 'purple' };

/**
 * The Supported Functionality labels of an application or connector (SSO, JIT Provisioning, SLO),
 * the same on every screen, the JIT label in its own colour so that it stands out where the source
 * document points admins to it. `name`: the application's, for the group's accessible name in a
 * list of several.
 */
export function FunctionalityLabels({ values, name }: { values: readonly string[]; name?: string }) {
  return (
    <LabelGroup aria-label={name ? `Supported functionality of ${name}` : 'Supported functionality'} numLabels={4}>
      {values.map((value) => (
        <Label key={value} color={COLOR[value] ?? 'grey'} isCompact data-testid={value === 'JIT Provisioning' ? 'jit-label' : undefined}>
          {LABEL[value] ?? value}
        </Label>
      ))}
    </LabelGroup>
  );
}
