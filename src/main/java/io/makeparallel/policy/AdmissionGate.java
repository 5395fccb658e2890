package io.makeparallel.policy;

import io.makeparallel.ShutdownException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The slot counter behind {@code set_max_concurrent_tasks}: a semaphore whose limit can change
 * at any time (or be removed) and whose waiters are released with {@link ShutdownException}
 * when the runtime shuts down.
 *
 * <p>Thread-safe. Slots are taken at submission and given back when a task's code has returned
 * (or it was resolved before starting).
 */
public final class AdmissionGate {
  /** Message used when shutdown ends a wait or refuses work (upstream's text). */
  public static final String SHUTDOWN_MESSAGE = "Cannot start new tasks: shutdown in progress";

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotFreed = lock.newCondition();
  private int limit = Integer.MAX_VALUE;
  private int inUse;
  private boolean shutdown;

  /** Sets the limit; {@code null} removes it. */
  public void setLimit(Integer max) {
    if (max != null && max < 1) {
      throw new IllegalArgumentException("max must be >= 1 or null (no limit), got " + max);
    }
    lock.lock();
    try {
      limit = max == null ? Integer.MAX_VALUE : max;
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The limit, or null when unlimited. */
  public Integer limit() {
    lock.lock();
    try {
      return limit == Integer.MAX_VALUE ? null : limit;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes a slot, waiting while all are in use. With {@code force} (a task submitting from
   * inside another task, which must not deadlock on its parent's slot) it takes one regardless.
   *
   * @throws ShutdownException if the runtime is shut down before or during the wait
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public void acquire(boolean force) throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        if (shutdown) {
          throw new ShutdownException(SHUTDOWN_MESSAGE);
        }
        if (force || inUse < limit) {
          inUse++;
          return;
        }
        slotFreed.await();
      }
    } finally {
      lock.unlock();
    }
  }

  public void release() {
    lock.lock();
    try {
      if (inUse > 0) {
        inUse--;
      }
      slotFreed.signal();
    } finally {
      lock.unlock();
    }
  }

  public int inUse() {
    lock.lock();
    try {
      return inUse;
    } finally {
      lock.unlock();
    }
  }

  /** Refuses new acquisitions and wakes every waiter with {@link ShutdownException}. */
  public void setShutdown(boolean value) {
    lock.lock();
    try {
      shutdown = value;
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
