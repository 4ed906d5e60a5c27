import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MFA_POLICY_CHANNEL, MfaService } from '../mfa/mfa.service';
import { PgNotifications } from './pg-notifications';

/**
 * An organisation's new MFA policy reaches every IdP instance at once: MfaService.setPolicy
 * announces it in its transaction, and each instance forgets its copy as it hears it (all of its
 * copies when it starts listening again, having perhaps missed some).
 */
@Injectable()
export class MfaPolicyFreshness implements OnModuleInit {
  constructor(
    private readonly notifications: PgNotifications,
    private readonly mfa: MfaService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.notifications.on(MFA_POLICY_CHANNEL, (organizationId) => this.mfa.forgetPolicy(organizationId));
    this.notifications.onReset(() => this.mfa.forgetPolicy());
    await this.notifications.open();
  }
}
