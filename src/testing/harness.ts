// Shared by the compliance suites: run a test body against a freshly made subject, then clean it up.

export interface Cleanable {
  cleanup(): Promise<void>;
}

/** Returns a wrapper that makes a subject per test, runs the body on it, and always cleans it up. */
export function harness<S extends Cleanable>(make: () => Promise<S>) {
  return <T>(pick: (s: S) => T, fn: (t: T) => Promise<void>) => async (): Promise<void> => {
    const subject = await make();
    try {
      await fn(pick(subject));
    } finally {
      await subject.cleanup();
    }
  };
}
