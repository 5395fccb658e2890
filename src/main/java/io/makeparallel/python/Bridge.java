package io.makeparallel.python;

import io.makeparallel.MakeParallelException;
import io.makeparallel.MemoryLimitException;
import io.makeparallel.ShutdownException;
import io.makeparallel.TaskCancelledException;
import io.makeparallel.TaskGroup;
import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.Backend;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.internal.TaskAccess;
import io.makeparallel.internal.TaskExecution;
import io.makeparallel.metrics.Metrics;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskFailure;
import io.makeparallel.task.TaskSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Value;

/**
 * The one object the {@code makeparallel} Python package talks to, installed in every context
 * as the polyglot binding {@value #BINDING}. Only its exported methods are visible to Python.
 *
 * <p>Fallible methods do not throw into Python (host exceptions cannot be caught there under
 * {@code HostAccess.EXPLICIT}); they return a fault string {@code "<PythonErrorName>|<message>"}
 * that the package turns into the right Python exception. Blocking methods block in Java,
 * which releases the caller's GIL. Thread-safe.
 */
public final class Bridge {
  public static final String BINDING = "makeparallel.bridge";
  private static final Logger LOG = LogManager.getLogger("io.makeparallel.python");
  private static final Duration MAX_DURATION = Duration.ofDays(365L * 100);

  static final String OWNER_KEY = "makeparallel.owner";
  private static final AtomicLong BRIDGES = new AtomicLong();
  private static final String DEFAULT_BACKEND = backendFrom(System.getenv("MAKEPARALLEL_BACKEND"));

  private final TaskRuntime runtime;
  private final ContextPolicy policy;
  /**
   * Marks the tasks submitted through this bridge (task metadata {@value #OWNER_KEY}): the only
   * ones its guest may look up by id. The runtime is process-wide and other contexts (other
   * tenants) share it.
   */
  private final String owner = "bridge-" + BRIDGES.incrementAndGet();

  /** {@code policy}: how this bridge's context was built; its worker contexts get the same. */
  Bridge(TaskRuntime runtime, ContextPolicy policy) {
    this.runtime = runtime;
    this.policy = policy;
  }

  static Duration duration(double seconds) {
    if (seconds * 1e9 >= MAX_DURATION.toNanos()) {
      return MAX_DURATION;
    }
    // Below a nanosecond still means "a deadline", not "no time at all".
    return Duration.ofNanos(Math.max(1L, (long) (seconds * 1e9)));
  }

  /** Runs {@code action}; returns null, or a fault string for the Python layer. */
  static String guard(Runnable action) {
    try {
      action.run();
      return null;
    } catch (RuntimeException e) {
      return fault(e);
    }
  }

  static String fault(Throwable e) {
    String kind;
    if (e instanceof IllegalArgumentException) {
      kind = "ValueError";
    } else if (e instanceof ShutdownException) {
      kind = "ShutdownError";
    } else if (e instanceof MemoryLimitException) {
      kind = "MemoryLimitError";
    } else if (e instanceof TaskCancelledException) {
      kind = "TaskCancelledError";
    } else if (e instanceof MakeParallelException) {
      kind = "MakeParallelError";
    } else {
      LOG.error("unexpected error in the makeparallel bridge", e);
      kind = "RuntimeError";
    }
    return kind + "|" + e.getMessage();
  }

  // ---- tasks --------------------------------------------------------------------------------

  /**
   * Submits a zero-argument Python callable on the threads backend (or another backend whose
   * body is a callable in this context). A returned exception object fails the task with it.
   *
   * @param timeoutSeconds NaN for none
   * @param deps           a Python sequence of {@link HostHandle}s, or None
   * @return a {@link HostHandle}, or a fault string
   */
  @HostAccess.Export
  public Object submit(Value body, String name, String backend, int priority,
      double timeoutSeconds, Value deps, boolean priorityLauncher) {
    TaskBody taskBody = task -> {
      Value v;
      try {
        v = body.execute();
      } catch (PolyglotException pe) {
        if (pe.isGuestException() && !pe.isExit() && !pe.isCancelled()) {
          Value guest = pe.getGuestObject();
          // A thread cut off by its context's exit (os._exit elsewhere) dies with a guest
          // ThreadDeath that has no exception object: say that, not a null error.
          throw new TaskFailure(guest != null ? guest : new MakeParallelException("task " + task.id()
              + " was cut off: its Python context is exiting (" + pe.getMessage() + ")"));
        }
        throw pe;
      }
      if (v.isException()) {
        throw new TaskFailure(v);
      }
      return v;
    };
    return submitBody(taskBody, name, backend, priority, timeoutSeconds, deps, priorityLauncher);
  }

  /**
   * Submits a pickled call to the interpreters backend.
   *
   * @param payload the pickled call, or null when {@code prepare} builds it at run time
   * @param prepare a callable of this context returning the payload (for dependencies), or null
   */
  @HostAccess.Export
  public Object submitRemote(String payload, Value prepare, String name, int priority,
      double timeoutSeconds, Value deps, boolean priorityLauncher) {
    Value p = prepare == null || prepare.isNull() ? null : prepare;
    try {
      interpreters().expect(policy);
    } catch (RuntimeException e) {
      return fault(e);
    }
    return submitBody(new RemoteBody(payload, p, policy), name, InterpreterBackend.NAME, priority,
        timeoutSeconds, deps, priorityLauncher);
  }

  /** Configures the interpreters pool; arguments below 1 keep the current value. */
  @HostAccess.Export
  public String configureInterpreters(int size, int maxTasksPerWorker, boolean warmup) {
    try {
      InterpreterBackend b = interpreters();
      b.expect(policy);
      b.configure(size < 1 ? b.pool().size() : size, Math.max(0, maxTasksPerWorker));
      if (warmup && !b.warmup(Duration.ofMinutes(5))) {
        return "RuntimeError|worker interpreters did not start within 5 minutes";
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "KeyboardInterrupt|interrupted during warm-up";
    } catch (RuntimeException e) {
      return fault(e);
    }
  }

  private InterpreterBackend interpreters() {
    return (InterpreterBackend) RuntimeAccess.get().backend(runtime, InterpreterBackend.NAME);
  }

  Object submitBody(TaskBody body, String name, String backend, int priority,
      double timeoutSeconds, Value deps, boolean priorityLauncher) {
    try {
      List<Task> depTasks = new ArrayList<>();
      if (deps != null && !deps.isNull()) {
        for (long i = 0, n = deps.getArraySize(); i < n; i++) {
          Value d = deps.getArrayElement(i);
          if (!d.isHostObject() || !(d.asHostObject() instanceof HostHandle h)) {
            return "TypeError|depends_on must contain AsyncHandle objects";
          }
          depTasks.add(h.task());
        }
      }
      Duration timeout = Double.isNaN(timeoutSeconds) ? null : duration(timeoutSeconds);
      TaskSpec spec = new TaskSpec(name, backend, priority, timeout, depTasks, priorityLauncher, body);
      Task task = runtime.submit(spec);
      // Before the id reaches the guest; the task's own code may look itself up even earlier,
      // which findTask allows as the current task.
      TaskAccess.get().metadata(task).put(OWNER_KEY, owner);
      return new HostHandle(task);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "KeyboardInterrupt|interrupted while waiting to submit";
    } catch (RuntimeException e) {
      return fault(e);
    }
  }

  /**
   * A new group of this guest's handles (what a map or a {@code ParallelContext} waits on):
   * at most {@code slotLimit} members unfinished at once (0: no limit). No deadline: a map's
   * chunks each carry what is left of its timeout.
   */
  @HostAccess.Export
  public HostGroup newGroup(int slotLimit) {
    return new HostGroup(new TaskGroup(slotLimit, null));
  }

  @HostAccess.Export
  public String currentTaskId() {
    Task t = TaskExecution.current();
    return t == null ? null : t.id();
  }

  /**
   * The current task when {@code taskId} is null or its id; otherwise the live task with this id
   * submitted through this bridge. Tasks of other contexts are not found: their ids are
   * no capability of this guest.
   */
  @HostAccess.Export
  public HostHandle findTask(String taskId) {
    Task current = TaskExecution.current();
    if (taskId == null || (current != null && current.id().equals(taskId))) {
      return current == null ? null : new HostHandle(current);
    }
    Task t = runtime.findLive(taskId);
    return t == null || !owner.equals(TaskAccess.get().metadata(t).get(OWNER_KEY)) ? null : new HostHandle(t);
  }

  /** True if the task running on this thread was cancelled or timed out. */
  @HostAccess.Export
  public boolean currentCancelled() {
    Task t = TaskExecution.current();
    return t != null && t.isCancelRequested();
  }

  // ---- limits and configuration -------------------------------------------------------------

  /** {@code n < 0} removes the limit. */
  @HostAccess.Export
  public String setMaxConcurrent(int n) {
    return guard(() -> runtime.admission().setLimit(n < 0 ? null : n));
  }

  /** {@code percent} NaN removes the limit. */
  @HostAccess.Export
  public String configureMemory(double percent, double waitSeconds) {
    return guard(() -> runtime.memoryGuard().configure(Double.isNaN(percent) ? null : percent, waitSeconds));
  }

  /** Arguments below zero keep the current value. */
  @HostAccess.Export
  public String configureThreadPool(int numThreads, long stackSize) {
    return guard(() -> runtime.configureThreadPool(
        numThreads < 0 ? runtime.threadPoolSize() : numThreads, Math.max(0, stackSize)));
  }

  @HostAccess.Export
  public int threadPoolSize() {
    return runtime.threadPoolSize();
  }

  @HostAccess.Export
  public int liveThreads(String backend) {
    Backend b = RuntimeAccess.get().existingBackend(runtime, backend);
    return b == null ? 0 : b.pool().liveThreads();
  }

  @HostAccess.Export
  public int poolSize(String backend) {
    Backend b = RuntimeAccess.get().existingBackend(runtime, backend);
    return b == null ? -1 : b.pool().size();
  }

  @HostAccess.Export
  public void setPriorityPaused(boolean paused) {
    runtime.setPriorityPaused(paused);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  @HostAccess.Export
  public boolean shutdown(double timeoutSeconds, boolean cancelPending) {
    try {
      return runtime.shutdown(duration(Math.max(0, timeoutSeconds)), cancelPending);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return runtime.activeCount() == 0;
    }
  }

  @HostAccess.Export
  public void resetShutdown() {
    runtime.resetShutdown();
  }

  @HostAccess.Export
  public int activeCount() {
    return runtime.activeCount();
  }

  // ---- metrics and logging ------------------------------------------------------------------

  @HostAccess.Export
  public String[] metricNames() {
    return runtime.metrics().snapshot().keySet().toArray(new String[0]);
  }

  /** {total, completed, failed, totalMillis, averageMillis}, or null. */
  @HostAccess.Export
  public double[] metric(String name) {
    return runtime.metrics().get(name).map(Bridge::row).orElse(null);
  }

  private static double[] row(Metrics.Entry e) {
    return new double[] {e.total(), e.completed(), e.failed(), e.totalMillis(), e.averageMillis()};
  }

  @HostAccess.Export
  public void resetMetrics() {
    runtime.metrics().reset();
  }

  @HostAccess.Export
  public void recordMetric(String name, double millis, boolean ok) {
    runtime.metrics().recordCall(name, (long) (millis * 1e6), ok);
  }

  private static final Map<String, Level> LEVELS = Map.of(
      "trace", Level.TRACE, "debug", Level.DEBUG, "info", Level.INFO,
      "warn", Level.WARN, "error", Level.ERROR);

  @HostAccess.Export
  public void log(String level, String message) {
    LOG.log(LEVELS.getOrDefault(level, Level.INFO), message);
  }

  /**
   * The default backend: {@code $MAKEPARALLEL_BACKEND} when it names one, else threads. Read
   * once from the process environment as configuration of the library, so a context denied the
   * environment learns this one setting and nothing else of it.
   */
  @HostAccess.Export
  public String defaultBackend() {
    // A warm daemon's run: the client's MAKEPARALLEL_BACKEND, not the daemon's.
    return policy.variables == null ? DEFAULT_BACKEND : backendFrom(policy.variables.get("MAKEPARALLEL_BACKEND"));
  }

  static String backendFrom(String setting) {
    return InterpreterBackend.NAME.equals(setting) ? InterpreterBackend.NAME : "threads";
  }

  @HostAccess.Export
  public int cpuCount() {
    return Runtime.getRuntime().availableProcessors();
  }
}
