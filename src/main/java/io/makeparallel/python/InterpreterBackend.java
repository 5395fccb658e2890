package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.Backend;
import io.makeparallel.internal.NamedThreadFactory;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.internal.TaskExecution;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.task.Task;
import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@code interpreters} backend: N worker GraalPy contexts on the shared engine, each owned
 * by one platform thread ({@code makeparallel-interp-<n>}), so pure-Python work runs on every
 * core. Cancelling or timing out a running task closes its worker's context and the worker
 * starts a fresh one; other workers are untouched. A worker is also recycled after
 * {@code maxTasksPerWorker} tasks when that is set. After the first hard cancel a standby
 * context is kept ready ({@link SpareContexts}) so a cancelled worker is back at once.
 *
 * <p>Worker contexts get the permissions of the context that submitted the task they run, never
 * wider ({@link ContextPolicy}): each task carries its submitter's policy and a worker whose
 * context was built another way replaces it first. Workers and the standby context start with
 * the policy last submitted with, the narrowest before any (or, for a warm daemon's prepared
 * run, the policy of the context prepared with them: {@link #startWorkers}).
 *
 * <p>Thread-safe.
 */
public final class InterpreterBackend implements Backend {
  public static final String NAME = "interpreters";

  private final WorkerPool pool;
  private final ExecutorService reaper =
      Executors.newCachedThreadPool(new NamedThreadFactory("makeparallel-reaper"));
  private final SpareContexts<ContextPolicy, InterpreterWorker.Prepared> spares;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition readyChanged = lock.newCondition();
  private volatile int maxTasksPerWorker;
  /** The policy new worker contexts are built with: the one last submitted with. */
  private volatile ContextPolicy expected = ContextPolicy.NARROWEST;
  private int ready;
  /** Workers that have run a task (a recycled worker's replacement counts again). */
  private final AtomicInteger workersUsed = new AtomicInteger();
  /**
   * Per runtime, how many of its workers ran a task, also after its backend was closed (the end
   * of a script closes it); weak, so a runtime is not kept by being listed.
   */
  private static final Map<TaskRuntime, Integer> USED = new WeakHashMap<>();

  private InterpreterBackend(TaskRuntime runtime, int size) {
    this.spares = new SpareContexts<>(policy -> InterpreterWorker.prepare(runtime, policy),
        InterpreterWorker.Prepared::close);
    this.pool = new WorkerPool("makeparallel-interp", size, new WorkerPool.TaskRunner() {
      private final ThreadLocal<InterpreterWorker> worker = new ThreadLocal<>();
      private final ThreadLocal<Boolean> ranTask = new ThreadLocal<>();

      @Override
      public void workerStarted() {
        InterpreterWorker w = new InterpreterWorker(runtime, reaper, spares);
        w.start(expected);
        worker.set(w);
        changeReady(1);
      }

      @Override
      public void run(Task task) {
        InterpreterWorker w = worker.get();
        if (ranTask.get() == null) {
          ranTask.set(Boolean.TRUE);
          int n = Math.min(workersUsed.incrementAndGet(), pool.size());
          synchronized (USED) {
            USED.merge(runtime, n, Math::max);
          }
        }
        TaskExecution.runHere(task, () -> w.hardCancel(task));
        w.afterTask(maxTasksPerWorker);
      }

      @Override
      public void workerStopping() {
        InterpreterWorker w = worker.get();
        if (w != null) {
          changeReady(-1);
          w.stop();
        }
      }
    });
  }

  /** Makes the backend available on {@code runtime} under {@value #NAME}. */
  public static void register(TaskRuntime runtime) {
    RuntimeAccess.get().registerBackend(runtime, NAME,
        rt -> new InterpreterBackend(rt, Runtime.getRuntime().availableProcessors()));
  }

  /**
   * How many of {@code runtime}'s worker interpreters have run a task (at most its pool size),
   * also once they are closed; 0 if none ever did.
   */
  static int workersUsed(TaskRuntime runtime) {
    synchronized (USED) {
      return USED.getOrDefault(runtime, 0);
    }
  }

  /**
   * Starts building {@code count} of {@code runtime}'s worker contexts now (at most its pool
   * size), in the background, with {@code policy}: a warm daemon's next run, prepared while
   * idle. Returns at once.
   */
  static void startWorkers(TaskRuntime runtime, ContextPolicy policy, int count) {
    InterpreterBackend b = (InterpreterBackend) RuntimeAccess.get().backend(runtime, NAME);
    b.expect(policy);
    b.pool.prestart(count);
  }

  /** Number of worker contexts open in this process. */
  public static int openContexts() {
    return InterpreterWorker.OPEN_CONTEXTS.get();
  }

  private void changeReady(int delta) {
    lock.lock();
    try {
      ready += delta;
      readyChanged.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Builds the next worker contexts with {@code policy}: a hint (tasks of another policy still
   * run only in contexts built their way), so that workers start with the right one.
   */
  void expect(ContextPolicy policy) {
    expected = policy;
  }

  /** Sets the pool size and recycling quota (0 = never recycle). */
  public void configure(int size, int maxTasks) {
    if (maxTasks < 0) {
      throw new IllegalArgumentException("max_tasks_per_worker must be >= 1, got " + maxTasks);
    }
    maxTasksPerWorker = maxTasks;
    pool.resize(size, 0);
  }

  /** The recycling quota: tasks per worker context before it is replaced (0 = never). */
  int maxTasksPerWorker() {
    return maxTasksPerWorker;
  }

  /** Starts every worker now, in parallel, and waits until their contexts are ready. */
  public boolean warmup(Duration timeout) throws InterruptedException {
    int target = pool.prestart();
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (ready < target) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        readyChanged.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public WorkerPool pool() {
    return pool;
  }

  @Override
  public void close(long waitMillis) {
    pool.close(waitMillis);
    spares.close(waitMillis);
    reaper.shutdown();
  }
}
