package io.makeparallel.internal;

import io.makeparallel.task.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A resizable pool of named daemon platform threads draining one {@link TaskQueue}: higher
 * priority first, FIFO among equals. Threads start lazily as work arrives.
 *
 * <p>A worker that blocks waiting for another task (nested submission) calls
 * {@link #managedBlock}: the pool lends its slot by starting a compensating thread, so a task
 * waiting for its children never deadlocks even when every worker is busy.
 *
 * <p>Thread-safe. {@link #close} stops accepting work, lets running tasks finish and ends the
 * threads; a closed pool cannot be reopened.
 */
public final class WorkerPool {
  private static final Logger LOG = LogManager.getLogger(WorkerPool.class);
  private static final ThreadLocal<WorkerPool> CURRENT = new ThreadLocal<>();
  /** The queue order, {@link TaskQueue#ORDER}. */
  static final Comparator<Task> ORDER = TaskQueue.ORDER;

  /** What a worker thread does; the interpreters backend keeps a context per thread. */
  public interface TaskRunner {
    /** Called on each new worker thread before it takes work. */
    default void workerStarted() {}

    void run(Task task);

    /** Called on a worker thread just before it exits. */
    default void workerStopping() {}
  }

  private final String namePrefix;
  private final TaskRunner runner;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final TaskQueue queue = new TaskQueue(lock);
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger threadSeq = new AtomicInteger();
  private int target;
  private long stackSize;
  private int idle;
  private int blocked;
  private boolean closed;

  public WorkerPool(String namePrefix, int size, TaskRunner runner) {
    this.namePrefix = namePrefix;
    this.runner = runner;
    this.target = requirePositive(size);
  }

  private static int requirePositive(int size) {
    if (size < 1) {
      throw new IllegalArgumentException("size must be >= 1, got " + size);
    }
    return size;
  }

  /** The pool whose worker is the current thread, or null. */
  public static WorkerPool current() {
    return CURRENT.get();
  }

  public void enqueue(Task task) {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("pool " + namePrefix + " is closed");
      }
      if (queue.offer(task)) {
        wakeOrSpawn();
      }
    } finally {
      lock.unlock();
    }
  }

  private void wakeOrSpawn() {
    // An idle thread counts as idle until it actually wakes, so compare the queue with the
    // idle count rather than trusting one signal per idle thread (lost wake-ups otherwise).
    if (queue.runnableCount() > idle && threads.size() - blocked < target) {
      spawn();
    }
    if (idle > 0) {
      changed.signal();
    }
  }

  private void spawn() {
    String threadName = namePrefix + "-" + threadSeq.incrementAndGet();
    Thread t = new Thread(NamedThreadFactory.GROUP, this::workerLoop, threadName, stackSize);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  private void workerLoop() {
    CURRENT.set(this);
    try {
      runner.workerStarted();
    } catch (Throwable t) {
      LOG.error("worker {} failed to start: {}", Thread.currentThread().getName(), t.toString());
      exit();
      return;
    }
    try {
      Task task;
      while ((task = take()) != null) {
        try {
          runner.run(task);
        } catch (Throwable t) {
          // The runner resolves the task itself; anything escaping it is a bug, not user error.
          LOG.error("worker {} failed running {}: {}", Thread.currentThread().getName(), task, t);
          TaskAccess.get().fail(task, t);
          TaskAccess.get().codeFinished(task);
        }
      }
    } finally {
      try {
        runner.workerStopping();
      } catch (Throwable t) {
        LOG.warn("worker {} failed to stop cleanly: {}", Thread.currentThread().getName(), t.toString());
      }
    }
  }

  private void exit() {
    lock.lock();
    try {
      threads.remove(Thread.currentThread());
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Next runnable task, or null when this thread should exit. */
  private Task take() {
    lock.lock();
    try {
      while (true) {
        if (closed || threads.size() - blocked > target) {
          threads.remove(Thread.currentThread());
          changed.signalAll();
          return null;
        }
        Task t = queue.poll();
        if (t != null) {
          return t;
        }
        idle++;
        try {
          changed.awaitUninterruptibly();
        } finally {
          idle--;
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code waiter} (a blocking wait for another task) while lending this worker's slot:
   * if work is queued and no idle thread can take it, a compensating thread starts.
   */
  public <T, E extends Exception> T managedBlock(Blocker<T, E> waiter) throws E {
    lock.lock();
    try {
      blocked++;
      if (queue.runnableCount() > 0 && idle == 0 && threads.size() - blocked < target) {
        spawn();
      }
    } finally {
      lock.unlock();
    }
    try {
      return waiter.block();
    } finally {
      lock.lock();
      try {
        blocked--;
        // A compensating thread is now surplus: wake idle threads so one of them leaves.
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** A blocking wait run through {@link #managedBlock}. */
  @FunctionalInterface
  public interface Blocker<T, E extends Exception> {
    T block() throws E;
  }

  /** Starts idle threads up to the pool size now (warm-up). @return the pool size. */
  public int prestart() {
    return prestart(Integer.MAX_VALUE);
  }

  /**
   * Starts idle threads now until {@code count} of them (at most the pool size) are running.
   * @return the pool size.
   */
  public int prestart(int count) {
    lock.lock();
    try {
      while (!closed && threads.size() - blocked < Math.min(count, target)) {
        spawn();
      }
      return target;
    } finally {
      lock.unlock();
    }
  }

  /** Changes the pool size; surplus threads leave after their current task. */
  public void resize(int size, long newStackSize) {
    requirePositive(size);
    lock.lock();
    try {
      target = size;
      stackSize = Math.max(0, newStackSize);
      changed.signalAll();
      int spawnable = Math.min(queue.runnableCount(), target - (threads.size() - blocked));
      for (int i = 0; i < spawnable; i++) {
        spawn();
      }
    } finally {
      lock.unlock();
    }
  }

  public int size() {
    lock.lock();
    try {
      return target;
    } finally {
      lock.unlock();
    }
  }

  /** Live worker threads (including idle and blocked ones). */
  public int liveThreads() {
    lock.lock();
    try {
      return threads.size();
    } finally {
      lock.unlock();
    }
  }

  public int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Pauses or resumes dequeuing of tasks from the priority launcher (compatibility API). */
  public void setPriorityPaused(boolean paused) {
    lock.lock();
    try {
      if (queue.setPaused(paused) > 0) {
        for (int i = 0; i < queue.runnableCount(); i++) {
          wakeOrSpawn();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops the pool: no new work, idle threads exit now, busy ones after their task. */
  public void close(long waitMillis) {
    List<Thread> toJoin;
    lock.lock();
    try {
      closed = true;
      queue.clear();
      changed.signalAll();
      toJoin = new ArrayList<>(threads);
    } finally {
      lock.unlock();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
    for (Thread t : toJoin) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || t == Thread.currentThread()) {
        continue;
      }
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
