/**
 * Waiting for the gateway to notice something (a file change, a poll) without
 * asserting how long it takes: retry the check until it passes, and fail with
 * the check's own last error if it never does.
 */
export async function eventually<T>(check: () => Promise<T> | T, { timeoutMs = 15_000, everyMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
