import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { RefusalReason } from '@jit/idp-contracts';
import { buildAssertionPreview, newSamlId } from '@jit/saml';
import { FreshReadModel } from '../common/fresh-read-model';
import { IdpUrls } from '../common/idp-urls';
import { NAMEID_SECRET } from '../common/name-id-secret';
import { decideAssertion } from '../sso/decide-assertion';

/** What an administrator's preview shows: the assertion a user would get and what would stop it. */
export const AssertionPreview = z
  .object({
    applicationId: z.uuid(),
    userId: z.uuid(),
    wouldIssue: z.boolean(),
    blockers: z
      .array(
        z.object({
          reason: RefusalReason,
          message: z.string(),
          detail: z.string().optional().meta({ description: "What the refusal page adds to its reason's wording" }),
        }),
      )
      .meta({ description: 'In the order they are checked; the first is the refusal a sign-in gets. Empty: it would issue' }),
    nameId: z.object({ format: z.string(), value: z.string().nullable() }),
    attributes: z.array(z.object({ name: z.string(), values: z.array(z.string()), nameFormat: z.string().optional() })),
    assertionXml: z.string().nullable().meta({ description: 'The unsigned assertion, when nothing blocks it' }),
  })
  .meta({ id: 'AssertionPreview' });
export type AssertionPreview = z.infer<typeof AssertionPreview>;

@Injectable()
export class PreviewService {
  constructor(
    @Inject(NAMEID_SECRET) private readonly nameIdSecret: string,
    private readonly fresh: FreshReadModel,
    private readonly urls: IdpUrls,
  ) {}

  /** What `userId` would receive from `applicationId` now, unsigned, and what would block it (the SSO's own decision). */
  async preview(organizationId: string, applicationId: string, userId: string): Promise<AssertionPreview | null> {
    await this.fresh.requireFreshForApi({ person: { userId, organizationId }, applicationId });
    const facts = this.fresh.readModel.authorisation(organizationId, userId, applicationId);
    if (!facts.application || !facts.user) return null;
    const snapshot = facts.application.snapshot;
    const decision = decideAssertion({ applicationId, userId, facts, nameIdSecret: this.nameIdSecret, transientNameId: newSamlId() });
    const nameId = decision.nameId.value;
    const assertionXml =
      decision.blockers.length === 0 && nameId !== null
        ? buildAssertionPreview({
            issuer: this.urls.entityId(applicationId),
            destination: snapshot.acsUrls[0],
            audience: snapshot.spEntityId,
            nameId,
            nameIdFormat: decision.nameId.format,
            sessionIndex: '_preview',
            attributes: decision.attributes,
          })
        : null;
    return {
      applicationId,
      userId,
      wouldIssue: assertionXml !== null,
      blockers: decision.blockers,
      nameId: decision.nameId,
      attributes: decision.attributes,
      assertionXml,
    };
  }
}
