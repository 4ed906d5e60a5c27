import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ADMIN_PERMISSIONS, ADMIN_ROLES, AdminSessionUser } from '@jit/directory-contracts';
import { consoleApplicationId } from '@jit/idp-contracts';
import { ZodResponse } from '@jit/service';
import type { SignedIn } from './session/console-session';
import { ConsoleSessionGuard, CurrentSession } from './session/session.guard';

export const MeView = z
  .object({
    user: AdminSessionUser,
    organization: z.object({ id: z.uuid(), name: z.string() }),
    role: z.enum(ADMIN_ROLES),
    permissions: z.array(z.enum(ADMIN_PERMISSIONS)).meta({ description: 'What the role may do: the console offers only these' }),
    csrfToken: z.string(),
    consoleApplicationId: z
      .uuid()
      .meta({ description: "The application id the IdP gives this console: the activity log's sign-ins to the console carry it" }),
  })
  .meta({ id: 'MeView' });
export type MeView = z.infer<typeof MeView>;

@ApiTags('session')
@Controller('api')
@UseGuards(ConsoleSessionGuard)
export class MeController {
  /** Who is signed in, what they may do, and the token every changing request must carry as `x-csrf-token`. */
  @Get('me')
  @ZodResponse(200, MeView)
  me(@CurrentSession() session: SignedIn): MeView {
    return {
      user: session.user,
      organization: session.organization,
      role: session.role,
      permissions: [...session.permissions],
      csrfToken: session.csrfToken,
      consoleApplicationId: consoleApplicationId(session.organization.id),
    };
  }
}
