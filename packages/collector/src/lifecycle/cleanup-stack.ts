/**
 * Resources released in the reverse order they were acquired, every one of
 * them even when another fails: a coordinator or worker that stops halfway
 * must still close its queues, its store and its Redis connections.
 */
export class CleanupStack {
  private readonly steps: (() => unknown)[] = [];

  /** `onError` hears about a step that failed; the remaining steps still run. */
  constructor(private readonly onError: (error: unknown) => void) {}

  /** Registers a release step; it runs before every step registered earlier. */
  defer(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs the registered steps, last registered first, once. */
  async run(): Promise<void> {
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      try {
        await step();
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
