package io.makeparallel.internal;

import io.makeparallel.task.Task;

/** Where queued tasks execute. Implementations are thread-safe. */
public interface Backend {
  /** Queues a ready task; it runs when a worker is free, in priority order. */
  void enqueue(Task task);

  /** The worker pool (for sizing, nested-wait compensation and pausing). */
  WorkerPool pool();

  /** Stops the workers, waiting up to {@code waitMillis} for running tasks. */
  void close(long waitMillis);
}
