/**
 * The established TCP connections a process holds to a given remote port,
 * read from /proc (Linux): its socket file descriptors matched against the
 * kernel's TCP tables, as socket inode numbers. The same inodes before and
 * after a load run mean the same connections served it (keep-alive), none
 * opened per request. Elsewhere: null.
 */
import fs from 'node:fs';

const ESTABLISHED = '01';

export function establishedConnections(pid: number, remotePort: number): string[] | null {
  try {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]);
      } catch {
        // The descriptor closed while we looked.
      }
    }
    const found = new Set<string>();
    for (const table of ['tcp', 'tcp6']) {
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
        const fields = line.trim().split(/\s+/);
        if (fields.length < 10) continue;
        const port = parseInt(fields[2].split(':')[1], 16);
        if (port === remotePort && fields[3] === ESTABLISHED && inodes.has(fields[9])) found.add(fields[9]);
      }
    }
    return [...found].sort();
  } catch {
    return null;
  }
}
