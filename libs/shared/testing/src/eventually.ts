/**
 * Retries an assertion until it passes or the time is up; the last failure is rethrown. A failure
 * marked `fatal` (say, the process being waited for has exited) is rethrown at once: no retry
 * can make it pass.
 */
export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() >= deadline || (error as { fatal?: unknown } | null)?.fatal === true) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
    }
  }
}
