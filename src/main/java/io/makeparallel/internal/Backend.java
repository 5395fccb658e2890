package io.makeparallel.internal;

import io.makeparallel.task.Task;

/** Where queued tasks execute. Implementations are thread-safe. */
public interface Backend {
  /** The worker pool (for sizing, nested-wait compensation and pausing). */
  WorkerPool pool();

  /** Queues a ready task; it runs when a worker is free, in priority order. */
  default void enqueue(Task task) {
    pool().enqueue(task);
  }

  /** Stops the workers, waiting up to {@code waitMillis} for running tasks. */
  default void close(long waitMillis) {
    pool().close(waitMillis);
  }
}
