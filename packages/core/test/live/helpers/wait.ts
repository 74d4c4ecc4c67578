// Polls a condition with a generous deadline (the machine is shared and noisy).
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeout = 10_000, every = 10): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
