import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DirectoryRpc } from '@jit/directory-contracts';
import { AnswerRpc, type RequestOf, type ResponseOf } from '@jit/messaging';
import { AdminSessionsService } from './admin-sessions.service';

/** The admin console's sign-in and sign-out (NATS request/reply; only the console may publish them). */
@Controller()
export class AdminSessionsHandler {
  constructor(private readonly sessions: AdminSessionsService) {}

  @AnswerRpc(DirectoryRpc.openAdminSession)
  open(@Payload() request: RequestOf<typeof DirectoryRpc.openAdminSession>): Promise<ResponseOf<typeof DirectoryRpc.openAdminSession>> {
    return this.sessions.open(request);
  }

  @AnswerRpc(DirectoryRpc.closeAdminSession)
  close(@Payload() request: RequestOf<typeof DirectoryRpc.closeAdminSession>): Promise<ResponseOf<typeof DirectoryRpc.closeAdminSession>> {
    return this.sessions.close(request.token);
  }
}
