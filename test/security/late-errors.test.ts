/**
 * An error raised after a request was answered — express-session saving a
 * session at the end of a response, with the store down, calls `next` once
 * more when the router has run to its end — is one log line: the answer
 * stands and the keep-alive connection stays open for the client's next
 * request. (Express's default final handler destroyed the socket: the next
 * request on it was reset, issue 19.)
 */
import net from 'node:net';
import express, { type NextFunction } from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { PublicError } from '../../shared/errors.js';
import { jsonErrorHandler, listen, type RunningServer } from '../../shared/service/http.js';

describe('an error after the answer', () => {
  let server: RunningServer;
  afterAll(async () => {
    await server?.close();
  });

  it('keeps the answer and the connection', async () => {
    const app = express();
    // Like express-session: continue, then report a failure once the response is over.
    app.use((_req, res, next: NextFunction) => {
      res.once('finish', () => setTimeout(() => next(new PublicError('INTERNAL_SERVER_ERROR', 'late')), 20));
      next();
    });
    app.get('/refused', () => {
      throw new PublicError('BAD_REQUEST', 'no');
    });
    app.get('/ok', (_req, res) => void res.json({ ok: true }));
    app.use(jsonErrorHandler);
    server = await listen(app, 0, { host: '127.0.0.1' });

    const socket = net.connect(server.port, '127.0.0.1');
    socket.setEncoding('utf8');
    let text = '';
    let closed = false;
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => (closed = true));
    const answered = async (count: number) => {
      for (let i = 0; i < 200 && (text.match(/HTTP\/1\.1 /g) ?? []).length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    socket.write('GET /refused HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered(1);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    // Past the late error: the connection must still be there.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closed).toBe(false);
    socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    await answered(2);
    expect(text).toMatch(/HTTP\/1\.1 200 OK[\s\S]*\{"ok":true\}/);
    socket.destroy();
  });
});
