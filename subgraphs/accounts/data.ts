/** The accounts subgraph's public profile data (credentials live at the gateway). */
export interface User {
  id: string;
  username: string;
  name: string;
}

export const users: User[] = [
  { id: 'u1', username: 'alice', name: 'Alice Liddell' },
  { id: 'u2', username: 'bob', name: 'Bob Builder' },
];

export function findUser(id: string): User | undefined {
  return users.find((user) => user.id === id);
}
