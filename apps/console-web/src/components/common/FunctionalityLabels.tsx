import { Label, LabelGroup } from '@patternfly/react-core';

/**
 * The Supported Functionality labels of an application or connector (SSO, JIT Provisioning, SLO),
 * the JIT label in its own colour so that it stands out where the source document promises it: the
 * colours of the applications screens' labels (applications/FunctionalityLabels), so it looks alike everywhere.
 */
export function FunctionalityLabels({ values, name }: { values: readonly string[]; name: string }) {
  return (
    <LabelGroup aria-label={`Supported functionality of ${name}`} numLabels={4}>
      {values.map((value) => (
        <Label
          key={value}
          color={value === 'JIT Provisioning' ? 'green' : value === 'SSO' ? 'blue' : value === 'SLO' ? 'purple' : 'grey'}
          isCompact
          data-testid={value === 'JIT Provisioning' ? 'jit-label' : undefined}
        >
          {value === 'SLO' ? 'Single Logout' : value}
        </Label>
      ))}
    </LabelGroup>
  );
}
