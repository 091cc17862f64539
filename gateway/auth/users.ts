/**
 * The demo user directory. Passwords are kept only as scrypt hashes
 * (node:crypto, N=16384, r=8, p=1, 32-byte key, 16-byte salt), written as
 * `scrypt:<salt>:<hash>` in base64url. To add a user, hash a password with
 * `npm run hash-password -- <password>`.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { userIdentity, type SignedInUser } from '@fedgw/subgraph-kit';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

export interface UserRecord {
  id: string;
  username: string;
  name: string;
  scopes: string[];
  passwordHash: string;
}

const DEMO_USERS: UserRecord[] = [
  {
    id: 'u1',
    username: 'alice',
    name: 'Alice Liddell',
    scopes: ['admin'],
    passwordHash: 'scrypt:trZdo2cdlvaQ9WHCB0On3Q:vNm189jGfs8viQnQpNdM9OIXa6MY5-U62IMGM1epuD4',
  },
  {
    id: 'u2',
    username: 'bob',
    name: 'Bob Builder',
    scopes: [],
    passwordHash: 'scrypt:xY_bOHi7qULbBvm1EYOc8g:q7jGpaHb9VZtAnptufc7St2Jf9wd08a0nSsMppAncIE',
  },
];

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH);
  return `scrypt:${salt.toString('base64url')}:${hash.toString('base64url')}`;
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length);
  return timingSafeEqual(actual, expected);
}

// Hashed against when the user is unknown, so both failures cost the same time:
// the same scrypt parameters, a 16-byte salt and a full 32-byte key, as every real hash.
export const DUMMY_HASH = 'scrypt:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface UserDirectory {
  /** The user, or null for an unknown user or a wrong password (deliberately the same). */
  checkPassword(username: string, password: string): Promise<SignedInUser | null>;
  findById(id: string): SignedInUser | null;
}

export function createUserDirectory(records: UserRecord[] = DEMO_USERS): UserDirectory {
  const toUser = (record: UserRecord): SignedInUser => ({
    identity: userIdentity(record.id, record.scopes),
    username: record.username,
    name: record.name,
  });
  return {
    async checkPassword(username, password) {
      const record = records.find((user) => user.username === username);
      const ok = await passwordMatches(password, record?.passwordHash ?? DUMMY_HASH);
      return ok && record ? toUser(record) : null;
    },
    findById(id) {
      const record = records.find((user) => user.id === id);
      return record ? toUser(record) : null;
    },
  };
}
