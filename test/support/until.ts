// Waiting in a test for a thing to happen, not for a time to pass.

/** Resolves once `condition()` holds, polling every 50 ms; rejects after `limitMs`, naming what it waited for. */
export async function untilTrue(
  condition: () => boolean,
  limitMs: number,
  what: string,
): Promise<void> {
  for (const end = performance.now() + limitMs; !condition();) {
    if (performance.now() > end) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
