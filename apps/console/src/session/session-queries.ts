import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SignedIn } from './console-session';
import { SessionRow } from './session-row.entity';

/** Sessions looked up by who is in them, for what no browser cookie comes with (the IdP's Single Logout). */
@Injectable()
export class SessionQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** The live sessions of a person (by the NameID the IdP gave them: their user id). */
  async signedInAs(nameID: string): Promise<{ sid: string; signedIn: SignedIn }[]> {
    const rows = await this.dataSource
      .getRepository(SessionRow)
      .createQueryBuilder('s')
      .where(`s.data -> 'signedIn' -> 'saml' ->> 'nameID' = :nameID`, { nameID })
      .andWhere('s.expires_at > now()')
      .getMany();
    return rows.map((row) => ({ sid: row.sid, signedIn: row.data.signedIn as SignedIn }));
  }

  async delete(sid: string): Promise<void> {
    await this.dataSource.getRepository(SessionRow).delete({ sid });
  }
}
