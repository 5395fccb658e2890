package io.makeparallel.internal;

/**
 * The {@code threads} backend: platform threads run task bodies directly (for Python, by
 * entering the caller's context). Cancelling a running task is cooperative: the task is flagged
 * and its next progress report or cancellation check raises inside it.
 *
 * <p>Thread-safe.
 */
public final class ThreadBackend implements Backend {
  private final WorkerPool pool;

  public ThreadBackend(int size) {
    this.pool = new WorkerPool("makeparallel-worker", size, TaskExecution::runHere);
  }

  @Override
  public WorkerPool pool() {
    return pool;
  }
}
