/** Whether a Redis answers at a URL, and its version: one short-lived raw connection, bounded in time. */
import net from 'node:net';

export interface RedisCheck {
  ok: boolean;
  version?: string;
  reason?: string;
}

export function checkRedis(url: string, timeoutMs = 1000): Promise<RedisCheck> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    let buffer = '';
    const done = (result: RedisCheck) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, reason: `no answer from ${url} within ${timeoutMs} ms` }));
    socket.once('error', (error) => done({ ok: false, reason: `${url}: ${error.message}` }));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (data) => {
      buffer += data.toString('utf8');
      if (!buffer.startsWith('+PONG')) {
        if (buffer.includes('\r\n')) done({ ok: false, reason: `${url} answered ${JSON.stringify(buffer.split('\r\n')[0])} to PING` });
        return;
      }
      const version = /redis_version:([^\r\n]+)/.exec(buffer)?.[1];
      if (version) done({ ok: true, version });
    });
  });
}
