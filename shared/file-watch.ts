/**
 * Following files that tools replace rather than edit: the gateway's
 * supergraph loader and `npm start` watch the subgraph list this way, the
 * gateway its signing-key folder.
 *
 * The folder is watched, not the file: editors and config tools write a
 * temporary file and rename it over the old one, which a watch on the old
 * inode never sees; Kubernetes swaps a mounted ConfigMap or Secret through
 * `..data`, whose events always count. A burst of events (editors write in
 * steps) is coalesced into one call after `debounceMs`, counted from the
 * first event, so a steady stream of writes never postpones it forever.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FileWatchOptions {
  /** Wait after the first event of a burst before calling back. */
  debounceMs?: number;
  /** The watch broke or could not start; changes are then not followed. */
  onError?(error: Error): void;
}

export interface FileWatch {
  close(): void;
}

/** Calls `onChange` after changes to `file` (and to nothing else in its folder). */
export function watchFile(file: string, onChange: () => void, options: FileWatchOptions = {}): FileWatch {
  const name = path.basename(file);
  return watch(path.dirname(file), (changed) => changed === name, onChange, options);
}

/** Calls `onChange` after changes to any file in `dir`. */
export function watchFolder(dir: string, onChange: () => void, options: FileWatchOptions = {}): FileWatch {
  return watch(dir, () => true, onChange, options);
}

function watch(dir: string, concerns: (name: string) => boolean, onChange: () => void, options: FileWatchOptions): FileWatch {
  let debounce: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher | undefined;
  const close = () => {
    watcher?.close();
    watcher = undefined;
    clearTimeout(debounce);
    debounce = undefined;
  };
  const onEvent = (_event: string, filename: string | Buffer | null) => {
    const changed = filename?.toString();
    // Other files in the folder are no concern (a SQLite journal next to the list changes constantly).
    if (changed && !concerns(changed) && !changed.startsWith('..')) return;
    if (debounce) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      onChange();
    }, options.debounceMs ?? 150);
  };
  try {
    watcher = fs.watch(dir, { persistent: false }, onEvent);
    watcher.on('error', (error) => {
      close();
      options.onError?.(error);
    });
  } catch (error) {
    options.onError?.(error as Error);
  }
  return { close };
}
