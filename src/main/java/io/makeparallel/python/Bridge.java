package io.makeparallel.python;

import io.makeparallel.MakeParallelException;
import io.makeparallel.TaskGroup;
import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.internal.TaskAccess;
import io.makeparallel.internal.TaskExecution;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskFailure;
import io.makeparallel.task.TaskSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotException;
import io.makeparallel.cluster.ClusterSettings;
import org.graalvm.polyglot.Value;

/**
 * The tasks concern of the bridge, installed in every context as the polyglot binding
 * {@value #BINDING}: submitting a call ({@link #submit}, {@link #submitRemote}, with a typed
 * {@link SubmitOptions} made by {@link #options}), groups, and the running task's own questions
 * (its id, whether it was cancelled). Its siblings are {@link ControlBridge} (limits, pools,
 * lifecycle) and {@link MetricsBridge} (metrics, logging); {@link HostHandle} and
 * {@link HostGroup} are what it hands out. Only exported methods are visible to Python.
 *
 * <p>Fallible methods do not throw into Python (host exceptions cannot be caught there under
 * {@code HostAccess.EXPLICIT}); they return a fault string {@code "<kind>|<message>"}, the kind
 * from the one table {@link ErrorKinds}, that the package turns into the right Python exception
 * ({@code errors.by_kind}). Blocking methods block in Java, which releases the caller's GIL.
 * Thread-safe.
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

  /** The fault string of an exception thrown at a bridge call: its kind, from {@link ErrorKinds}. */
  static String fault(RuntimeException e) {
    String kind = ErrorKinds.ofCall(e);
    if (kind.equals(ErrorKinds.UNEXPECTED)) {
      LOG.error("unexpected error in the makeparallel bridge", e);
    }
    return kind + "|" + e.getMessage();
  }

  // ---- tasks --------------------------------------------------------------------------------

  /**
   * Submits a zero-argument Python callable on the threads backend (or another backend whose
   * body is a callable in this context). A returned exception object fails the task with it.
   *
   * @param options what {@link #options} made (name, priority, timeout...)
   * @param deps    a Python sequence of {@link HostHandle}s, or None
   * @return a {@link HostHandle}, or a fault string
   */
  @HostAccess.Export
  public Object submit(Value body, SubmitOptions options, Value deps) {
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
    return submitBody(taskBody, "threads", options, deps);
  }

  /**
   * Submits a pickled call to the interpreters backend.
   *
   * @param payload the pickled call, or null when {@code prepare} builds it at run time
   * @param prepare a callable of this context returning the payload (for dependencies), or null
   */
  @HostAccess.Export
  public Object submitRemote(String payload, Value prepare, SubmitOptions options, Value deps) {
    Value p = prepare == null || prepare.isNull() ? null : prepare;
    try {
      interpreters().expect(policy);
    } catch (RuntimeException e) {
      return fault(e);
    }
    return submitBody(new RemoteBody(payload, p, policy), InterpreterBackend.NAME, options, deps);
  }

  /**
   * Submits a pickled call to the cluster backend, joining the cluster the environment names
   * ({@code MAKEPARALLEL_CLUSTER*}, the client's for a warm daemon's run) at first use. This
   * process runs calls too: its own with this context's permissions, other members' with none of
   * file writes, subprocesses and environment.
   *
   * @param payload the pickled call, or null when {@code prepare} builds it at run time
   * @param prepare a callable of this context returning the payload (for dependencies), or null
   * @param retries the task's {@code retries}: it may also run again on another member when the
   *     member running it is lost (at least once)
   */
  @HostAccess.Export
  public Object submitCluster(String payload, Value prepare, SubmitOptions options, Value deps, int retries) {
    Value p = prepare == null || prepare.isNull() ? null : prepare;
    try {
      joinCluster();
    } catch (RuntimeException e) {
      return fault(e);
    }
    try {
      return submitBody(new RemoteBody(payload, p, policy, retries), ClusterBackend.NAME, options, deps);
    } catch (IllegalArgumentException e) {
      return fault(e);
    }
  }

  /** Joins the cluster the environment names unless this runtime uses one already. */
  private void joinCluster() {
    if (runtime.hasBackend(ClusterBackend.NAME)) {
      return;
    }
    ClusterSettings s = ClusterSettings.fromEnvironment(policy.variables != null ? policy.variables : System.getenv());
    if (s == null) {
      throw new IllegalArgumentException("backend='cluster' needs a cluster to join: configure(cluster={...}) or "
          + "set MAKEPARALLEL_CLUSTER (its name), MAKEPARALLEL_CLUSTER_BIND, MAKEPARALLEL_CLUSTER_PEERS, "
          + "MAKEPARALLEL_CLUSTER_KEYSTORE, MAKEPARALLEL_CLUSTER_TRUSTSTORE and MAKEPARALLEL_CLUSTER_PASSWORD");
    }
    ClusterBackend.join(runtime, s);
  }

  /**
   * The typed options of a submission, made once per decorator (or per call that overrides
   * one): {@code timeoutSeconds} None for no timeout. The values come checked by the Python call
   * that received them (TypeError/ValueError naming the parameter there), not again here.
   *
   * @return a {@link SubmitOptions}, or a fault string
   */
  @HostAccess.Export
  public Object options(String name, int priority, Double timeoutSeconds, boolean priorityLauncher) {
    try {
      return new SubmitOptions(name, priority, timeoutSeconds == null ? null : duration(timeoutSeconds),
          priorityLauncher);
    } catch (RuntimeException e) {
      return fault(e);
    }
  }

  private InterpreterBackend interpreters() {
    return (InterpreterBackend) RuntimeAccess.get().backend(runtime, InterpreterBackend.NAME);
  }

  Object submitBody(TaskBody body, String backend, SubmitOptions options, Value deps) {
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
      TaskSpec spec = new TaskSpec(options.name(), backend, options.priority(), options.timeout(), depTasks,
          options.priorityLauncher(), body);
      Task task = runtime.submit(spec);
      // Before the id reaches the guest; the task's own code may look itself up even earlier,
      // which reportProgress allows as the current task.
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
   * at most {@code slotLimit} members unfinished at once (None: no limit). No deadline: a map's
   * chunks each carry what is left of its timeout.
   */
  @HostAccess.Export
  public HostGroup newGroup(Integer slotLimit) {
    return new HostGroup(new TaskGroup(slotLimit == null ? 0 : slotLimit, null));
  }

  @HostAccess.Export
  public String currentTaskId() {
    Task t = TaskExecution.current();
    return t == null ? null : t.id();
  }

  /** Fault of {@link #reportProgress} with no task id outside a task (the Python layer words it). */
  static final String NO_CURRENT_TASK = "RuntimeError|no current task, and no task id given";

  /**
   * Records {@code fraction} as the progress of the current task ({@code taskId} null or its
   * id) or of the live task with this id submitted through this bridge. Tasks of other contexts
   * are not found: their ids are no capability of this guest. The fraction is checked first, so
   * a bad value is refused even where no task is found.
   *
   * @return null, or a fault: ValueError (a bad fraction, an id not found),
   *     {@link #NO_CURRENT_TASK}, TaskCancelledError (the task was cancelled or timed out)
   */
  @HostAccess.Export
  public String reportProgress(String taskId, double fraction) {
    Task t = find(taskId);
    if (t != null) {
      return guard(() -> t.reportProgress(fraction)); // checks the fraction itself
    }
    String bad = guard(() -> Task.checkProgress(fraction));
    if (bad != null) {
      return bad;
    }
    return taskId == null ? NO_CURRENT_TASK : "ValueError|no running task with id '" + taskId + "'";
  }

  private Task find(String taskId) {
    Task current = TaskExecution.current();
    if (taskId == null || (current != null && current.id().equals(taskId))) {
      return current;
    }
    Task t = runtime.findLive(taskId);
    return t == null || !owner.equals(TaskAccess.get().metadata(t).get(OWNER_KEY)) ? null : t;
  }

  /** Queued + running tasks of the whole runtime (every context's). */
  @HostAccess.Export
  public int activeCount() {
    return runtime.activeCount();
  }

  /** True if the task running on this thread was cancelled or timed out. */
  @HostAccess.Export
  public boolean currentCancelled() {
    Task t = TaskExecution.current();
    return t != null && t.isCancelRequested();
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
    return InterpreterBackend.NAME.equals(setting) || ClusterBackend.NAME.equals(setting) ? setting : "threads";
  }
}
