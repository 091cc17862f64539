/**
 * Issue 19, item 3: slow or hostile clients cannot hold sockets for ever.
 * With short limits set through the settings (HTTP_*), at the gateway and at
 * a subgraph: a slowloris (headers one byte at a time) and a silent
 * connection are answered 408 REQUEST_TIMEOUT and closed after the headers
 * timeout, an unterminated chunked body after the request timeout, an
 * oversized head is a 431, and an idle keep-alive connection closes — while
 * normal queries keep answering. Bounds are generous correctness bounds
 * (the limit plus the server's check interval and slack), never speed.
 */
import net from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_LIMITS } from '../../shared/config/http-server.js';
import { listen, type RunningServer } from '../../shared/service/http.js';
import { startStack, type Stack } from '../helpers/stack.js';

const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** What a limit may take beyond itself: Node checks every ≤ 1 s; the machine is shared. */
const SLACK_MS = 2500;

interface RawConnection {
  socket: net.Socket;
  /** Resolves when the server closed the connection: what it sent, and after how long. */
  closed: Promise<{ text: string; ms: number }>;
}

function connect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    const closed = new Promise<{ text: string; ms: number }>((done) => socket.on('close', () => done({ text, ms: Date.now() - started })));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', (error) => (socket.connecting ? reject(error) : undefined));
  });
}

/** The status and JSON error code of a raw HTTP answer. */
function parsed(text: string): { status: number; code: string | undefined } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  try {
    return { status, code: (JSON.parse(body) as { error?: { code?: string } }).error?.code };
  } catch {
    return { status, code: undefined };
  }
}

/** Sends `text` one byte every `everyMs` until the connection closes. */
function dribble(socket: net.Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

describe('slow and hostile clients, at the gateway and at a subgraph', () => {
  let stack: Stack;
  const targets: Record<string, () => string> = {
    gateway: () => stack.gatewayUrl,
    subgraph: () => stack.subgraphs.products.url,
  };
  beforeAll(async () => {
    stack = await startStack({
      env: {
        HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
        HTTP_MAX_HEADER_BYTES: '8192',
        HOST: '127.0.0.1',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('listens on HOST only, every process', () => {
    const servers = [stack.gateway, ...Object.values(stack.subgraphs), ...Object.values(stack.services)];
    for (const { server } of servers) expect((server.address() as net.AddressInfo).address).toBe('127.0.0.1');
  });

  describe.each(Object.keys(targets))('%s', (target) => {
    const url = () => targets[target]();

    it('answers slowloris and silent connections 408 REQUEST_TIMEOUT and closes them, while queries keep answering', async () => {
      const head = `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
      const slow = await Promise.all(Array.from({ length: 100 }, () => connect(url())));
      for (const { socket } of slow) dribble(socket, head, 100);
      const silent = await Promise.all(Array.from({ length: 20 }, () => connect(url())));
      // Normal queries, through the gateway, while those hold their sockets.
      for (let i = 0; i < 5; i++) {
        const answer = await stack.client().query('{ products { id } }');
        expect(answer.status).toBe(200);
        expect(answer.body.data?.products).toHaveLength(3);
      }
      for (const { closed } of [...slow, ...silent]) {
        const { text, ms } = await closed;
        expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
        expect(parsed(text)).toEqual({ status: 408, code: 'REQUEST_TIMEOUT' });
      }
    });

    it('answers an unterminated chunked body 408 REQUEST_TIMEOUT within the request timeout', async () => {
      const { socket, closed } = await connect(url());
      socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"que\r\n');
      const { text, ms } = await closed;
      expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
      expect(parsed(text)).toEqual({ status: 408, code: 'REQUEST_TIMEOUT' });
    });

    it('answers headers larger than HTTP_MAX_HEADER_BYTES 431 HEADERS_TOO_LARGE', async () => {
      const { socket, closed } = await connect(url());
      socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`);
      expect(parsed((await closed).text)).toEqual({ status: 431, code: 'HEADERS_TOO_LARGE' });
    });

    it('closes an idle keep-alive connection after its answer', async () => {
      const { socket, closed } = await connect(url());
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      const { text, ms } = await closed;
      expect(parsed(text).status).toBe(200);
      expect(ms).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + SLACK_MS);
    });
  });
});

describe('connection caps', () => {
  let server: RunningServer;
  afterAll(async () => {
    await server?.close();
  });

  it('closes connections beyond HTTP_MAX_CONNECTIONS_PER_CLIENT at once, and takes them again once one ends', async () => {
    const app = express().get('/', (_req, res) => void res.json({ ok: true }));
    server = await listen(app, 0, { host: '127.0.0.1', limits: { ...DEFAULT_HTTP_LIMITS, maxConnectionsPerClient: 3 } });
    const held = await Promise.all(Array.from({ length: 3 }, () => connect(server.url)));
    for (const { socket } of held) socket.write('GET / HTTP/1.1\r\n');
    const refused = await connect(server.url);
    refused.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await refused.closed).text).toBe('');
    held[0].socket.destroy();
    await held[0].closed;
    const answer = await fetch(`${server.url}/`, { headers: { connection: 'close' } });
    expect(answer.status).toBe(200);
    for (const { socket } of held) socket.destroy();
  });
});
