package io.makeparallel;

import io.makeparallel.internal.TaskAccess;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Tasks awaited together: what a map, a {@code with ParallelContext()} block or a gather waits
 * on. Members are numbered in the order they were added; {@link #next} hands them back in the
 * order they resolved (fed by each task's resolution, no polling); an optional slot limit bounds
 * how many members are unfinished at once ({@link #awaitSlot}); an optional deadline is shared
 * by the whole group; {@link #cancelAll} cancels queued members before running ones.
 *
 * <p>Thread-safe. A group only observes and cancels its members: they run, time out and are
 * accounted for by the runtime that accepted them.
 */
public final class TaskGroup {
  private final int slotLimit;
  private final Long deadlineNanos;
  private final LongSupplier clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotFreed = lock.newCondition();
  /**
   * Unresolved members by index, in the order added; a member leaves when it resolves, so a
   * long map does not keep every finished task (and its result) alive. Guarded by
   * {@link #lock}.
   */
  private final Map<Integer, Task> unresolved = new LinkedHashMap<>();
  /** Indexes of resolved members not yet handed out by {@link #next}, in resolution order. */
  private final LinkedBlockingQueue<Integer> resolved = new LinkedBlockingQueue<>();
  /** Members added so far. Guarded by {@link #lock}. */
  private int added;

  /**
   * @param slotLimit at most this many members unfinished at once, enforced by {@link #awaitSlot}
   *     (0: no limit)
   * @param timeout the whole group's deadline, from now (null: none)
   * @throws IllegalArgumentException if {@code slotLimit} is negative or {@code timeout} negative
   */
  public TaskGroup(int slotLimit, Duration timeout) {
    this(slotLimit, timeout, System::nanoTime);
  }

  TaskGroup(int slotLimit, Duration timeout, LongSupplier clock) {
    if (slotLimit < 0) {
      throw new IllegalArgumentException("slotLimit must be >= 0 (0 means no limit), got " + slotLimit);
    }
    if (timeout != null && timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
    }
    this.slotLimit = slotLimit;
    this.clock = clock;
    this.deadlineNanos = timeout == null ? null : clock.getAsLong() + saturatedNanos(timeout);
  }

  /**
   * Adds a task; when it resolves (maybe at once, if it already has) its index joins the
   * completion order.
   *
   * @return the member's index: 0 for the first task added, then 1, 2, ...
   */
  public int add(Task task) {
    Objects.requireNonNull(task, "task");
    int index;
    lock.lock();
    try {
      index = added++;
      unresolved.put(index, task);
    } finally {
      lock.unlock();
    }
    TaskAccess.get().whenResolved(task, t -> memberResolved(index));
    return index;
  }

  private void memberResolved(int index) {
    lock.lock();
    try {
      unresolved.remove(index);
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
    resolved.add(index);
  }

  /** Members added so far. */
  public int size() {
    lock.lock();
    try {
      return added;
    } finally {
      lock.unlock();
    }
  }

  /** Members added and not yet resolved. */
  public int unfinished() {
    lock.lock();
    try {
      return unresolved.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The index of the next member to resolve, in resolution order, each once. Waits up to
   * {@code wait} (null: no limit), and never past the group's deadline. A worker thread of the
   * runtime that waits here lends its slot, as {@link TaskRuntime#await} does.
   *
   * @return the index, or null if none resolved in time
   */
  public Integer next(Duration wait) throws InterruptedException {
    Integer ready = resolved.poll();
    if (ready != null) {
      return ready;
    }
    long nanos = waitNanos(wait);
    if (nanos <= 0) {
      return null;
    }
    WorkerPool pool = WorkerPool.current();
    if (pool == null) {
      return poll(nanos);
    }
    return pool.managedBlock(() -> poll(nanos));
  }

  private Integer poll(long nanos) throws InterruptedException {
    return nanos == Long.MAX_VALUE ? resolved.take() : resolved.poll(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Waits until fewer than the slot limit's members are unfinished (at once with no limit).
   *
   * @return true if a slot is free; false if {@code wait} (null: no limit) or the deadline
   *     passed first
   */
  public boolean awaitSlot(Duration wait) throws InterruptedException {
    if (slotLimit == 0) {
      return true;
    }
    long nanos = waitNanos(wait);
    WorkerPool pool = WorkerPool.current();
    return pool == null ? slotWithin(nanos) : pool.managedBlock(() -> slotWithin(nanos));
  }

  private boolean slotWithin(long nanos) throws InterruptedException {
    lock.lock();
    try {
      while (unresolved.size() >= slotLimit) {
        if (nanos <= 0) {
          return false;
        }
        if (nanos == Long.MAX_VALUE) {
          slotFreed.await();
        } else {
          nanos = slotFreed.awaitNanos(nanos);
        }
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Cancels every unfinished member: queued and waiting ones first, then running ones, since
   * cancelling a running member frees a worker that would otherwise start the next queued one.
   */
  public void cancelAll() {
    List<Task> snapshot;
    lock.lock();
    try {
      snapshot = new ArrayList<>(unresolved.values());
    } finally {
      lock.unlock();
    }
    List<Task> running = new ArrayList<>();
    for (Task t : snapshot) {
      if (t.state() == TaskState.RUNNING) {
        running.add(t);
      } else {
        t.cancel();
      }
    }
    running.forEach(Task::cancel);
  }

  /** Time left before the group's deadline (zero once passed), or null without a deadline. */
  public Duration remaining() {
    if (deadlineNanos == null) {
      return null;
    }
    return Duration.ofNanos(Math.max(0, deadlineNanos - clock.getAsLong()));
  }

  /** True once the group's deadline has passed (never without one). */
  public boolean expired() {
    return deadlineNanos != null && deadlineNanos - clock.getAsLong() <= 0;
  }

  /** {@code wait} capped by the deadline, in nanoseconds; Long.MAX_VALUE for "no limit". */
  private long waitNanos(Duration wait) {
    long nanos = wait == null ? Long.MAX_VALUE : saturatedNanos(wait);
    if (deadlineNanos != null) {
      nanos = Math.min(nanos, Math.max(0, deadlineNanos - clock.getAsLong()));
    }
    return Math.max(0, nanos);
  }

  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
