/** Prints the scrypt hash of a password, for gateway/auth/users.ts. */
import { hashPassword } from '../gateway/auth/users.js';

const password = process.argv[2];
if (!password) {
  console.error('usage: npm run hash-password -- <password>');
  process.exit(2);
}
console.log(await hashPassword(password));
