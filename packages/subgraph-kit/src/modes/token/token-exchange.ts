/**
 * Token exchange (RFC 8693), the subgraph's side: the caller's identity
 * token (addressed to this subgraph) in, a downstream token for one service
 * out, from the gateway's token endpoint — the request authenticated with
 * this subgraph's own client assertion (client-assertion.ts). The gateway's
 * side is its token endpoint; the parameters both use are here.
 *
 * Exchanged tokens are cached per (subject token, audience) until shortly
 * before they expire, and concurrent asks for one share one exchange, so a
 * busy caller costs one exchange per hop per identity-token lifetime.
 */
import { decodeJwt } from 'jose';
import type { SubgraphCost } from '../../auth-cost.js';
import { AuthError } from '../../errors.js';
import { signClientAssertion, CLIENT_ASSERTION_TYPE } from './client-assertion.js';
import type { SigningKey } from './identity-token.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The subject token's and the issued token's type: a JWT. */
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export interface TokenExchangerOptions {
  /** The gateway's token endpoint, e.g. http://localhost:4000/auth/token. */
  tokenEndpoint: string;
  /** This subgraph's name: the client id, and the audience of the tokens it exchanges. */
  clientId: string;
  /** The gateway's issuer identifier: the audience of the client assertions. */
  gatewayIssuer: string;
  key: SigningKey;
  timeoutMs?: number;
  maxEntries?: number;
  /** seconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Exchanged {
  token: string;
  /** seconds since the epoch */
  expiresAt: number;
}

export class TokenExchanger {
  private readonly cache = new Map<string, Promise<Exchanged>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: TokenExchangerOptions) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** A downstream token for `audience` on behalf of `subjectToken`'s caller; throws AuthError TOKEN_EXCHANGE_FAILED. */
  /** `trace`: headers for the request to the gateway (its request id and traceparent). */
  async exchange(subjectToken: string, audience: string, cost: SubgraphCost, trace: Record<string, string> = {}): Promise<string> {
    const key = `${audience}\0${subjectToken}`;
    const cached = this.cache.get(key);
    if (cached) {
      const exchanged = await cached.catch(() => undefined);
      if (exchanged && exchanged.expiresAt - this.margin(subjectToken) > this.now()) {
        cost.exchangeCacheHits++;
        return exchanged.token;
      }
      if (this.cache.get(key) === cached) this.cache.delete(key);
    }
    cost.tokensExchanged++;
    const exchanging = this.request(subjectToken, audience, trace);
    this.cache.set(key, exchanging);
    if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    exchanging.catch(() => this.cache.delete(key));
    return (await exchanging).token;
  }

  /** Renew a little before expiry so a token never arrives expired: 5 s, or a quarter of a short lifetime. */
  private margin(subjectToken: string): number {
    const { iat, exp } = decodeJwt(subjectToken);
    return typeof iat === 'number' && typeof exp === 'number' ? Math.min(5, Math.floor((exp - iat) / 4)) : 5;
  }

  private async request(subjectToken: string, audience: string, trace: Record<string, string>): Promise<Exchanged> {
    const { tokenEndpoint, clientId, key, gatewayIssuer } = this.options;
    const body = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT,
      subject_token: subjectToken,
      subject_token_type: JWT_TOKEN_TYPE,
      audience,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await signClientAssertion(key, { clientId, audience: gatewayIssuer }),
    });
    let response: Response;
    try {
      response = await fetch(tokenEndpoint, { method: 'POST', headers: trace, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 2000) });
    } catch (error) {
      throw new AuthError('TOKEN_EXCHANGE_FAILED', `the gateway's token endpoint did not answer (${(error as Error).name})`, { cause: error });
    }
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.status !== 200 || typeof answer.access_token !== 'string' || typeof answer.expires_in !== 'number') {
      throw new AuthError('TOKEN_EXCHANGE_FAILED', `the gateway refused the exchange for ${audience}: ${String(answer.error ?? response.status)}`);
    }
    return { token: answer.access_token, expiresAt: this.now() + answer.expires_in };
  }
}
