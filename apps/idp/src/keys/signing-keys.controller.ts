import { Controller, Get, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { ApiKeyGuard, CurrentCaller, ZodResponse, type Caller } from '@jit/service';
import { SigningKeysService } from './signing-keys.service';

export const SigningKeysList = z
  .object({
    items: z.array(
      z.object({
        id: z.uuid(),
        state: z.enum(['current', 'next', 'retired']).meta({
          description: 'current signs now; next is published in metadata and signs from activatesAt; retired signed before',
        }),
        activatesAt: z.iso.datetime(),
        createdAt: z.iso.datetime(),
        notAfter: z.iso.datetime().meta({ description: "The certificate's end of validity" }),
        fingerprintSha256: z.string().meta({ description: "The certificate's SHA-256 fingerprint, colon-separated hex" }),
        certificatePem: z.string(),
      }),
    ),
  })
  .meta({ id: 'SigningKeysList' });
export type SigningKeysList = z.infer<typeof SigningKeysList>;

/** `GET /v1/signing-keys`: the organisation's signing certificates and their schedule (never a private key). */
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class SigningKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('signing-keys')
  @ZodResponse(200, SigningKeysList)
  async list(@CurrentCaller() caller: Caller): Promise<SigningKeysList> {
    return { items: await this.keys.list(caller.organizationId) };
  }
}
