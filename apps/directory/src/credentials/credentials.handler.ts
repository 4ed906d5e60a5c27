import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DirectoryRpc } from '@jit/directory-contracts';
import { AnswerRpc, type RequestOf, type ResponseOf } from '@jit/messaging';
import { CredentialsService } from './credentials.service';

/** The IdP's password check and the account page's change of password (NATS request/reply). */
@Controller()
export class CredentialsHandler {
  constructor(private readonly credentials: CredentialsService) {}

  @AnswerRpc(DirectoryRpc.verifyCredentials)
  verify(@Payload() request: RequestOf<typeof DirectoryRpc.verifyCredentials>): Promise<ResponseOf<typeof DirectoryRpc.verifyCredentials>> {
    return this.credentials.verify(request);
  }

  @AnswerRpc(DirectoryRpc.changePassword)
  changePassword(
    @Payload() request: RequestOf<typeof DirectoryRpc.changePassword>,
  ): Promise<ResponseOf<typeof DirectoryRpc.changePassword>> {
    return this.credentials.changePassword(request);
  }
}
