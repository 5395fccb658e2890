package io.makeparallel.bench;

import io.makeparallel.task.Task;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The queue inside {@code WorkerPool} as it is today, reproduced for the benchmark: a
 * {@link PriorityQueue} of tasks under one {@link ReentrantLock}, higher priority first, FIFO
 * among equals by sequence, resolved tasks skipped on the way out. The pool's queue is private
 * (and being extracted), so this copy measures the data structure and the lock without the
 * pool's threads; keep the order and the skip in step with the pool.
 *
 * <p>Thread-safe.
 */
final class LockedTaskQueue {
  private static final Comparator<Task> ORDER =
      Comparator.comparingInt(Task::priority).reversed().thenComparingLong(Task::sequence);

  private final ReentrantLock lock = new ReentrantLock();
  private final PriorityQueue<Task> queue = new PriorityQueue<>(ORDER);

  void offer(Task task) {
    lock.lock();
    try {
      queue.add(task);
    } finally {
      lock.unlock();
    }
  }

  /** The next unresolved task, or null when none is queued. */
  Task poll() {
    lock.lock();
    try {
      Task t;
      while ((t = queue.poll()) != null) {
        if (!t.isDone()) {
          return t;
        }
      }
      return null;
    } finally {
      lock.unlock();
    }
  }
}
