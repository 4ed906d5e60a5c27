import { randomBytes } from 'node:crypto';

/**
 * A fresh SAML ID. 160 random bits make IDs unguessable (SPs use them for replay and InResponseTo
 * checks); the leading underscore keeps the value a valid xs:ID (an NCName cannot start with a digit).
 */
export function newSamlId(): string {
  return `_${randomBytes(20).toString('hex')}`;
}
