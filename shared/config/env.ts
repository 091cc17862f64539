/**
 * How an entry point of this repository ends on a bad setting: runMain turns
 * a ConfigError (the kit's readers throw it: @fedgw/subgraph-kit, env.ts)
 * into one line on stderr and exit code 1. Nothing outside shared/config/
 * and the kit's configuration reads `process.env` for settings.
 */
import { ConfigError } from '@fedgw/subgraph-kit';

/**
 * Entry points run through this: a ConfigError becomes one line on stderr
 * and exit code 1 (docs/design.md, Configuration).
 */
export async function runMain(main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
    } else {
      console.error('fatal:', error);
    }
    process.exit(1);
  }
}
