/**
 * Demo authentication: two fixed users with bearer tokens, so ownership checks are real. Replace this
 * with your own sessions; everything else only needs a user id.
 */
export interface User {
  id: string;
  name: string;
  token: string;
}

export const DEMO_USERS: readonly User[] = Object.freeze([
  { id: 'user-alice', name: 'Alice', token: 'demo-token-alice' },
  { id: 'user-bob', name: 'Bob', token: 'demo-token-bob' },
]);

export function authenticate(headers: Record<string, string | string[] | undefined>): User | undefined {
  const value = headers['authorization'];
  const header = Array.isArray(value) ? value[0] : value;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
  return DEMO_USERS.find((u) => u.token === token);
}
