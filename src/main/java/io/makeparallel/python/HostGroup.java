package io.makeparallel.python;

import io.makeparallel.TaskGroup;
import java.time.Duration;
import org.graalvm.polyglot.HostAccess;

/**
 * The view of a {@link TaskGroup} that Python's maps, {@code ParallelContext} and
 * {@code gather} hold. Members are handles this guest already has, so a group widens nothing.
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
    try {
      return group.next(wait(seconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** True once fewer than the slot limit's members are unfinished; false if time ran out. */
  @HostAccess.Export
  public boolean awaitSlot(Double seconds) {
    try {
      return group.awaitSlot(wait(seconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Cancels every unfinished member, queued ones first. */
  @HostAccess.Export
  public void cancelAll() {
    group.cancelAll();
  }

  @HostAccess.Export
  public int unfinished() {
    return group.unfinished();
  }

  /** Seconds left before the group's deadline (0 once passed), None without a deadline. */
  @HostAccess.Export
  public Double remaining() {
    Duration left = group.remaining();
    return left == null ? null : left.toNanos() / 1e9;
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
