package io.makeparallel;

import io.makeparallel.internal.Backend;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.internal.TaskAccess;
import io.makeparallel.internal.ThreadBackend;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.metrics.Metrics;
import io.makeparallel.policy.AdmissionGate;
import io.makeparallel.policy.MemoryGuard;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The task engine: registry of live tasks, one scheduler (priority queue + workers) per
 * backend, dependency triggers, admission (slot limit, memory guard), deadlines, metrics and
 * the shutdown lifecycle. Language-neutral: task bodies are plain {@link io.makeparallel.task.TaskBody}s.
 *
 * <p>Thread-safe. Create with {@link #builder()}; {@link #close()} releases every thread.
 * A runtime may be {@link #shutdown shut down} and {@link #resetShutdown reopened} any number of
 * times; {@code close} is final.
 *
 * <p>Backends ({@code "threads"}, and {@code "interpreters"} once the Python layer registers it)
 * are internal types: {@link #hasBackend} and {@link #closeBackend} are public, registering and
 * reaching a backend's pool are the engine's, through {@code io.makeparallel.internal.RuntimeAccess}.
 */
public final class TaskRuntime implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(TaskRuntime.class);
  /** Ids are unique per process, like upstream's counter. */
  private static final AtomicLong TASK_IDS = new AtomicLong();
  private static final TaskAccess TASKS = TaskAccess.get();

  static {
    // Backends are internal types: the engine's packages reach them through this instance.
    RuntimeAccess.install(new RuntimeAccess() {
      @Override
      public void registerBackend(TaskRuntime rt, String name, Function<TaskRuntime, Backend> factory) {
        rt.registerBackend(name, factory);
      }

      @Override
      public Backend backend(TaskRuntime rt, String name) {
        return rt.backend(name);
      }

      @Override
      public Backend existingBackend(TaskRuntime rt, String name) {
        return rt.existingBackend(name);
      }
    });
  }

  private final RuntimeConfig config;
  private final Map<String, Backend> backends = new ConcurrentHashMap<>();
  private final Map<String, Function<TaskRuntime, Backend>> backendFactories = new ConcurrentHashMap<>();
  private final Map<String, Task> live = new ConcurrentHashMap<>();
  private final ReentrantLock idleLock = new ReentrantLock();
  private final Condition becameIdle = idleLock.newCondition();
  private final AtomicLong sequence = new AtomicLong();
  private final AdmissionGate gate = new AdmissionGate();
  private final MemoryGuard memoryGuard;
  private final Metrics metrics = new Metrics();
  private volatile boolean shutdown;
  private volatile boolean closed;
  private volatile boolean priorityPaused;
  private volatile int threadPoolSize;
  private volatile long threadStackSize;

  TaskRuntime(RuntimeConfig config) {
    this.config = config;
    this.threadPoolSize = config.threads;
    this.memoryGuard = new MemoryGuard(config.memoryProbe, config.ticker, config.sleeper);
    config.callbacks.onDrained(this::signalIfIdle);
    registerBackend("threads", rt -> {
      ThreadBackend b = new ThreadBackend(threadPoolSize);
      b.pool().resize(threadPoolSize, threadStackSize);
      return b;
    });
  }

  public static RuntimeConfig.Builder builder() {
    return RuntimeConfig.builder();
  }

  /** Makes a backend available by name; it is created on first use. */
  void registerBackend(String name, Function<TaskRuntime, Backend> factory) {
    backendFactories.put(name, factory);
  }

  /** True if a backend of this name is registered (created or not). */
  public boolean hasBackend(String name) {
    return backendFactories.containsKey(name);
  }

  /** The backend, creating it on first use. */
  Backend backend(String name) {
    Function<TaskRuntime, Backend> f = backendFactories.get(name);
    if (f == null) {
      throw new IllegalArgumentException(
          "backend must be one of " + backendFactories.keySet() + ", got '" + name + "'");
    }
    if (closed) {
      throw new ShutdownException("runtime is closed");
    }
    return backends.computeIfAbsent(name, n -> {
      Backend b = f.apply(this);
      b.pool().setPriorityPaused(priorityPaused);
      return b;
    });
  }

  /** The backend if it has been created, else null. */
  Backend existingBackend(String name) {
    return backends.get(name);
  }

  /**
   * Closes a backend that has been created and forgets it, waiting up to {@code waitMillis}
   * for its workers; the next task for it creates a fresh one with the factory's defaults (the
   * end of a script closes its worker interpreters this way, and the next script run in the
   * same process gets new ones).
   *
   * @return true if there was such a backend
   */
  public boolean closeBackend(String name, long waitMillis) {
    Backend b = backends.remove(name);
    if (b == null) {
      return false;
    }
    b.close(waitMillis);
    return true;
  }

  // ---- submission ---------------------------------------------------------------------------

  /**
   * Submits a task. Waits (on the calling thread) while the slot limit or the memory guard
   * holds it back.
   *
   * @throws ShutdownException if the runtime is shut down, before or during the wait
   * @throws MemoryLimitException if memory stays above the limit for the allowed wait
   * @throws IllegalArgumentException for an unknown backend or an unusable dependency
   */
  public Task submit(TaskSpec spec) throws InterruptedException {
    Backend backend = backend(spec.backend());
    for (Task d : spec.dependsOn()) {
      if (d == null) {
        throw new IllegalArgumentException("dependsOn must not contain null");
      }
    }
    if (shutdown) {
      throw new ShutdownException(AdmissionGate.SHUTDOWN_MESSAGE);
    }
    memoryGuard.admit();
    // A task submitting from inside another must not wait for its own parent's slot.
    boolean nested = WorkerPool.current() != null;
    gate.acquire(nested);
    Task task;
    try {
      task = TASKS.builder()
          .id("task_" + TASK_IDS.getAndIncrement())
          .name(spec.name())
          .priority(spec.priority())
          .sequence(sequence.getAndIncrement())
          .timeout(spec.timeout())
          .fromPriorityLauncher(spec.fromPriorityLauncher())
          .waiting(!spec.dependsOn().isEmpty())
          .ticker(config.ticker)
          .callbackExecutor(config.callbacks)
          .body(spec.body())
          // Metrics inline on the resolving thread: as a whenDone listener every task would
          // cost a hand-off to a callback thread even when the user registered no callback.
          .onResolved(this::recordOutcome)
          .build();
    } catch (RuntimeException e) {
      gate.release();
      throw e;
    }
    live.put(task.id(), task);
    TASKS.setReleaser(task, () -> release(task));
    metrics.started(task.name());
    scheduleDeadline(task);
    if (spec.dependsOn().isEmpty()) {
      backend.enqueue(task);
    } else {
      DependencyTrigger.attach(task, spec.dependsOn(), backend, () -> shutdown);
    }
    LOG.debug("submitted {} '{}' on {}", task.id(), task.name(), spec.backend());
    return task;
  }

  private void scheduleDeadline(Task task) {
    Duration timeout = task.timeout();
    if (timeout == null) {
      return;
    }
    ScheduledFuture<?> f = config.timer.schedule(
        () -> {
          if (TASKS.timeOut(task, new TaskTimeoutException(task.id(), timeout))) {
            LOG.debug("{} '{}' timed out after {}", task.id(), task.name(), timeout);
          }
        },
        Math.min(timeout.toNanos(), Long.MAX_VALUE / 2), TimeUnit.NANOSECONDS);
    task.whenDone(t -> f.cancel(false));
  }

  private void recordOutcome(Task t) {
    TaskState s = t.state();
    if (s == TaskState.SUCCEEDED || s == TaskState.FAILED || s == TaskState.TIMED_OUT) {
      metrics.finished(t.name(), t.runNanos(), s == TaskState.SUCCEEDED);
    }
  }

  private void release(Task task) {
    gate.release();
    live.remove(task.id());
    signalIfIdle();
  }

  private void signalIfIdle() {
    if (live.isEmpty() && config.callbacks.inFlight() == 0) {
      idleLock.lock();
      try {
        becameIdle.signalAll();
      } finally {
        idleLock.unlock();
      }
    }
  }

  // ---- queries ------------------------------------------------------------------------------

  /** The live (unreleased) task with this id, or null. */
  public Task findLive(String id) {
    return live.get(id);
  }

  /** Queued, waiting and running tasks, including cancelled ones whose code still runs. */
  public int activeCount() {
    return live.size();
  }

  public Metrics metrics() {
    return metrics;
  }

  public AdmissionGate admission() {
    return gate;
  }

  public MemoryGuard memoryGuard() {
    return memoryGuard;
  }

  public RuntimeConfig config() {
    return config;
  }

  public boolean isShutdown() {
    return shutdown;
  }

  /**
   * Waits for a task on behalf of the current thread. A worker thread lends its slot while it
   * waits, so nested waits never deadlock.
   *
   * @return true if the task resolved within {@code timeout} (null = no limit)
   */
  public static boolean await(Task task, Duration timeout) throws InterruptedException {
    WorkerPool pool = WorkerPool.current();
    if (pool == null || task.isDone()) {
      return task.await(timeout);
    }
    return pool.managedBlock(() -> task.await(timeout));
  }

  // ---- configuration ------------------------------------------------------------------------

  /** Resizes the threads backend's pool (and sets the stack size of threads it starts later). */
  public void configureThreadPool(int numThreads, long stackSize) {
    if (numThreads < 1) {
      throw new IllegalArgumentException("numThreads must be >= 1, got " + numThreads);
    }
    if (stackSize < 0) {
      throw new IllegalArgumentException("stackSize must be >= 0, got " + stackSize);
    }
    threadPoolSize = numThreads;
    threadStackSize = stackSize;
    Backend b = backends.get("threads");
    if (b != null) {
      b.pool().resize(numThreads, stackSize);
    }
  }

  public int threadPoolSize() {
    return threadPoolSize;
  }

  /** The stack size in bytes of the threads backend's threads started from now on (0: the JVM's default). */
  public long threadStackSize() {
    return threadStackSize;
  }

  /** Pauses or resumes dequeuing of priority-launcher tasks on every backend. */
  public void setPriorityPaused(boolean paused) {
    priorityPaused = paused;
    for (Backend b : backends.values()) {
      b.pool().setPriorityPaused(paused);
    }
  }

  /** True while {@link #setPriorityPaused} holds priority-launcher tasks back. */
  public boolean isPriorityPaused() {
    return priorityPaused;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Refuses new tasks, fails tasks still waiting for dependencies, optionally cancels queued
   * and running ones, and waits up to {@code timeout} for running tasks.
   *
   * @return true when nothing is left running
   */
  public boolean shutdown(Duration timeout, boolean cancelPending) throws InterruptedException {
    shutdown = true;
    gate.setShutdown(true);
    List<Task> tasks = new ArrayList<>(live.values());
    for (Task t : tasks) {
      if (t.state() == TaskState.WAITING) {
        TASKS.fail(t, new ShutdownException("Task " + t.id() + " was waiting for dependencies at shutdown"));
      }
    }
    if (cancelPending) {
      cancelAll();
    }
    return awaitIdle(timeout);
  }

  /** Accepts tasks again after {@link #shutdown}. */
  public void resetShutdown() {
    shutdown = false;
    gate.setShutdown(false);
  }

  /** Cancels every live task (Ctrl-C, close, {@code shutdown(cancelPending)}). */
  public void cancelAll() {
    // Queued (and waiting) tasks first: cancelling a running one frees a worker that would
    // otherwise start the next queued task before its turn to be cancelled came. States are
    // read once, not inside a sort comparator, because they change while we look.
    List<Task> notRunning = new ArrayList<>();
    List<Task> running = new ArrayList<>();
    for (Task t : live.values()) {
      (t.state() == TaskState.RUNNING ? running : notRunning).add(t);
    }
    for (Task t : notRunning) {
      t.cancel();
    }
    for (Task t : running) {
      t.cancel();
    }
  }

  /** Waits until no task is live. @return true if that happened within the timeout (null = forever). */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    idleLock.lock();
    try {
      while (!live.isEmpty() || config.callbacks.inFlight() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        becameIdle.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      }
      return true;
    } finally {
      idleLock.unlock();
    }
  }

  /** Snapshot of live tasks (for diagnostics and tests). */
  public List<Task> liveTasks() {
    return List.copyOf(live.values());
  }

  /**
   * Cancels everything (queued tasks first, so none starts), stops every worker and runtime
   * thread, waiting up to 2 s for running code to return and up to 2 s for the completion
   * callbacks of the cancelled tasks. Final.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    shutdown = true;
    gate.setShutdown(true);
    cancelAll();
    for (Backend b : backends.values()) {
      b.close(2_000);
    }
    backends.clear();
    config.closeOwned(2_000);
  }

}
