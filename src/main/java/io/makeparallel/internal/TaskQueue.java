package io.makeparallel.internal;

import io.makeparallel.task.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The queue behind a {@link WorkerPool}: runnable tasks in {@link #ORDER} (higher priority
 * first, FIFO among equals by submission sequence), plus a held list where tasks of the
 * priority launcher wait while the priority worker is paused ({@code stop_priority_worker}).
 * Pausing holds only tasks offered afterwards; resuming moves every held task back into order.
 *
 * <p>Thread-safe: every method runs under the lock given at construction. The pool passes its
 * own lock so that a queue call and its thread bookkeeping happen atomically together; a queue
 * built with the no-argument constructor owns a private lock.
 */
final class TaskQueue {
  /**
   * Higher priority first; among equal priorities, the earlier submission first. Written out
   * rather than composed from {@code Comparator.comparingInt(...).reversed()}: the composed
   * form is a JDK-internal lambda that the model checker (Lincheck) cannot look inside.
   */
  static final Comparator<Task> ORDER = (a, b) -> {
    int byPriority = Integer.compare(b.priority(), a.priority());
    return byPriority != 0 ? byPriority : Long.compare(a.sequence(), b.sequence());
  };

  private final ReentrantLock lock;
  private final PriorityQueue<Task> runnable = new PriorityQueue<>(ORDER);
  private final List<Task> held = new ArrayList<>();
  private boolean paused;

  TaskQueue() {
    this(new ReentrantLock());
  }

  TaskQueue(ReentrantLock lock) {
    this.lock = lock;
  }

  /**
   * Adds a task: to the held list if the queue is paused and the task comes from the priority
   * launcher, else to the runnable tasks.
   *
   * @return true if the task is runnable now, false if it is held
   */
  boolean offer(Task task) {
    lock.lock();
    try {
      if (paused && task.fromPriorityLauncher()) {
        held.add(task);
        return false;
      }
      runnable.add(task);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes and returns the first runnable task in {@link #ORDER} that is not yet resolved;
   * tasks resolved while queued (cancelled, timed out) are dropped on the way.
   *
   * @return the task, or null when no runnable task is left
   */
  Task poll() {
    lock.lock();
    try {
      Task t;
      while ((t = runnable.poll()) != null) {
        if (!t.isDone()) {
          return t;
        }
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /** Runnable tasks (held ones excluded), resolved ones not yet dropped included. */
  int runnableCount() {
    lock.lock();
    try {
      return runnable.size();
    } finally {
      lock.unlock();
    }
  }

  /** Runnable plus held tasks. */
  int size() {
    lock.lock();
    try {
      return runnable.size() + held.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Pauses or resumes the priority launcher's tasks. Resuming makes every held task runnable.
   *
   * @return how many held tasks became runnable (0 when pausing)
   */
  int setPaused(boolean pause) {
    lock.lock();
    try {
      paused = pause;
      if (pause || held.isEmpty()) {
        return 0;
      }
      int moved = held.size();
      runnable.addAll(held);
      held.clear();
      return moved;
    } finally {
      lock.unlock();
    }
  }

  /** Drops every task, runnable and held. @return how many were dropped */
  int clear() {
    lock.lock();
    try {
      int n = runnable.size() + held.size();
      runnable.clear();
      held.clear();
      return n;
    } finally {
      lock.unlock();
    }
  }
}
