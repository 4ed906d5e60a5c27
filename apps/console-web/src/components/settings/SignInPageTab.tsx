import { useState } from 'react';
import { useForm, useWatch } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  ActionGroup,
  Alert,
  Button,
  Card,
  CardBody,
  CardTitle,
  Content,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  Grid,
  GridItem,
} from '@patternfly/react-core';
import { directory, unwrap } from '../../api/clients';
import { applyApiErrors } from '../../forms';
import { useCan } from '../../session';
import { TextField } from '../common/TextField';
import { BRAND_COLOR_INPUT, brandTextColor } from './brand-colors';

const organizationQuery = {
  queryKey: ['organization'] as const,
  queryFn: async () => unwrap(await directory.GET('/v1/organization')),
};

/** The directory checks the same and more (a canonical https: URL, no credentials): its reasons land beside the fields. */
const schema = z.object({
  name: z.string().trim().min(1, 'Give the organisation a name').max(200, 'At most 200 characters'),
  logoUrl: z
    .string()
    .trim()
    .max(2048, 'At most 2048 characters')
    .refine((v) => v === '' || v.startsWith('https://'), 'The logo URL must start with https://'),
  brandColor: z
    .string()
    .trim()
    .refine((v) => v === '' || BRAND_COLOR_INPUT.test(v), 'Write the colour as #rrggbb, say #0b7285'),
});
type Values = z.infer<typeof schema>;
const FIELDS = ['name', 'logoUrl', 'brandColor'] as const;

/**
 * What the IdP's sign-in page, second-step pages and portal show of the organisation: its name,
 * and optionally a logo and a brand colour. Every admin sees it and its preview; with
 * 'settings:manage' (administrators) it can be changed.
 */
export function SignInPageTab() {
  const canManage = useCan('settings:manage');
  const organization = useQuery(organizationQuery);
  if (organization.isError) {
    return (
      <Alert isInline variant="danger" title="The organisation could not be loaded">
        {organization.error.message}
      </Alert>
    );
  }
  if (!organization.data) return null;
  const current = {
    name: organization.data.name,
    logoUrl: organization.data.logoUrl ?? '',
    brandColor: organization.data.brandColor ?? '',
  };
  return canManage ? <SignInPageForm current={current} /> : <SignInPageSummary current={current} />;
}

function SignInPageSummary({ current }: { current: Values }) {
  return (
    <Grid hasGutter>
      <GridItem md={6}>
        <DescriptionList>
          <DescriptionListGroup>
            <DescriptionListTerm>Organisation name</DescriptionListTerm>
            <DescriptionListDescription>{current.name}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Logo URL</DescriptionListTerm>
            <DescriptionListDescription>{current.logoUrl || 'None'}</DescriptionListDescription>
          </DescriptionListGroup>
          <DescriptionListGroup>
            <DescriptionListTerm>Brand colour</DescriptionListTerm>
            <DescriptionListDescription>{current.brandColor || 'None'}</DescriptionListDescription>
          </DescriptionListGroup>
        </DescriptionList>
      </GridItem>
      <GridItem md={6}>
        <SignInPreview values={current} />
      </GridItem>
    </Grid>
  );
}

function SignInPageForm({ current }: { current: Values }) {
  const queryClient = useQueryClient();
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: current });
  const watched = useWatch({ control: form.control });

  const submit = form.handleSubmit(async (values) => {
    setNotice(null);
    try {
      const saved = unwrap(
        await directory.PATCH('/v1/organization', {
          body: {
            name: values.name,
            logoUrl: values.logoUrl || null,
            brandColor: values.brandColor ? values.brandColor.toLowerCase() : null,
          },
        }),
      );
      form.reset({ name: saved.name, logoUrl: saved.logoUrl ?? '', brandColor: saved.brandColor ?? '' });
      setNotice({ ok: true, text: 'Saved: the sign-in pages show it now' });
      await queryClient.invalidateQueries({ queryKey: organizationQuery.queryKey });
    } catch (error) {
      setNotice({ ok: false, text: applyApiErrors(error, form.setError, FIELDS) });
    }
  });

  // The preview follows what is typed, showing a logo or colour only once it is well formed.
  const preview: Values = {
    name: watched.name?.trim() || current.name,
    logoUrl: showableLogo(watched.logoUrl ?? ''),
    brandColor: schema.shape.brandColor.safeParse(watched.brandColor ?? '').success ? (watched.brandColor ?? '').trim() : '',
  };
  return (
    <Grid hasGutter>
      <GridItem md={6}>
        <Card>
          <CardTitle component="h2">Sign-in page</CardTitle>
          <CardBody>
            <Content component="p">
              People see the organisation&apos;s name, logo and colour when they sign in, give a second factor and open the portal.
            </Content>
            {notice && <Alert isInline variant={notice.ok ? 'success' : 'danger'} title={notice.text} className="pf-v6-u-mb-md" />}
            <Form onSubmit={(event) => void submit(event)} noValidate>
              <TextField control={form.control} name="name" label="Organisation name" isRequired />
              <TextField
                control={form.control}
                name="logoUrl"
                label="Logo URL"
                hint="An https:// address of an image; empty for none. Only this logo's site may serve images to the sign-in pages."
              />
              <TextField control={form.control} name="brandColor" label="Brand colour" hint="#rrggbb, say #0b7285; empty for none." />
              <ActionGroup>
                <Button type="submit" isLoading={form.formState.isSubmitting} isDisabled={form.formState.isSubmitting}>
                  Save
                </Button>
              </ActionGroup>
            </Form>
          </CardBody>
        </Card>
      </GridItem>
      <GridItem md={6}>
        <SignInPreview values={preview} />
      </GridItem>
    </Grid>
  );
}

/** A logo URL the IdP would show (https:, no credentials, no fragment), or '' while it is not one yet. */
function showableLogo(value: string): string {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' && !url.username && !url.password && !url.hash ? url.href : '';
  } catch {
    return '';
  }
}

/** The top of the IdP's sign-in page as it will look (sso/html.ts of the IdP draws the real one). */
function SignInPreview({ values }: { values: Values }) {
  const band = values.brandColor
    ? { background: values.brandColor, color: brandTextColor(values.brandColor.toLowerCase()), borderTopColor: values.brandColor }
    : { background: '#f5f7fa', color: '#1f2933', borderTopColor: '#cbd2d9' };
  return (
    <Card>
      <CardTitle component="h2">Preview</CardTitle>
      <CardBody>
        <section aria-label="Preview of the sign-in page" className="sign-in-preview">
          <div className="sign-in-preview__band" style={band}>
            {values.logoUrl && <img src={values.logoUrl} alt={`${values.name} logo`} height={40} />}
            <span className="sign-in-preview__name">{values.name}</span>
          </div>
          <p className="sign-in-preview__title">Sign in</p>
          <p className="sign-in-preview__muted">to continue to your application</p>
        </section>
      </CardBody>
    </Card>
  );
}
