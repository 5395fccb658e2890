package io.makeparallel.python;

import io.makeparallel.TaskGroup;
import io.makeparallel.internal.WorkerPool;
import java.time.Duration;
import org.graalvm.polyglot.HostAccess;

/**
 * The view of a {@link TaskGroup} that Python's maps and {@code ParallelContext} hold. Members are handles this guest already has, so a group widens nothing.
 * Waiting methods block in Java (the caller's GIL is released) and take seconds, {@code None}
 * for no limit.
 *
 * <p>Thread-safe (delegates to the group).
 */
public final class HostGroup {
  private final TaskGroup group;

  HostGroup(TaskGroup group) {
    this.group = group;
  }

  /** Adds a handle's task. @return its index in the group */
  @HostAccess.Export
  public int add(HostHandle handle) {
    return group.add(handle.task());
  }

  /** The next member to resolve, in resolution order: its index, or None if none in time. */
  @HostAccess.Export
  public Integer next(Double seconds) {
    return waitFor(() -> group.next(wait(seconds)), null);
  }

  /** True once fewer than the slot limit's members are unfinished; false if time ran out. */
  @HostAccess.Export
  public boolean awaitSlot(Double seconds) {
    return waitFor(() -> group.awaitSlot(wait(seconds)), false);
  }

  /** Cancels every unfinished member, queued ones first. */
  @HostAccess.Export
  public void cancelAll() {
    group.cancelAll();
  }

  /** An interrupted wait keeps the thread's interrupt flag and returns {@code ifInterrupted}. */
  private static <T> T waitFor(WorkerPool.Blocker<T, InterruptedException> waiter, T ifInterrupted) {
    try {
      return waiter.block();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ifInterrupted;
    }
  }

  private static Duration wait(Double seconds) {
    if (seconds == null) {
      return null;
    }
    if (!(seconds >= 0)) {
      throw new IllegalArgumentException("seconds must be >= 0 or None, got " + seconds);
    }
    return Bridge.duration(seconds);
  }
}
