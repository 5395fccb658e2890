package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.Backend;
import io.makeparallel.internal.RuntimeAccess;
import java.time.Duration;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * The control concern of the bridge, the polyglot binding {@value #BINDING}: limits, pool sizes
 * and the runtime's lifecycle. An absent value is None (Java null), never a sentinel: a limit of
 * None is no limit, a pool setting of None keeps the current one.
 *
 * <p>Arguments reach here checked by the Python call that received them for what only Python
 * can tell (types, and integers that fit a Java int); what the engine refuses, such as a memory
 * percentage outside (0, 100], comes back as a fault string (see {@link Bridge}) that the Python
 * layer words for its caller.
 *
 * <p>Everything here that changes the runtime acts on every context sharing it, so it needs the
 * context's {@link ContextPolicy#runtimeControl} permission; without it the call changes nothing
 * and returns a PermissionError fault. Reading pool sizes needs none. Thread-safe.
 */
public final class ControlBridge {
  public static final String BINDING = "makeparallel.control";

  private final TaskRuntime runtime;
  private final ContextPolicy policy;

  /** {@code policy}: how this bridge's context was built; worker interpreters get the same. */
  ControlBridge(TaskRuntime runtime, ContextPolicy policy) {
    this.runtime = runtime;
    this.policy = policy;
  }

  /**
   * Null when this context may change the shared runtime, else the fault refusing
   * {@code what}. Language-neutral: the Python package names its own functions.
   */
  static String refused(ContextPolicy policy, String what) {
    return policy.runtimeControl ? null
        : "PermissionError|this context may not change the runtime it shares with other contexts (" + what
            + "); its builder did not allow runtime control";
  }

  /** Runs {@code change} when this context may change the shared runtime. @return null or a fault */
  static String change(ContextPolicy policy, String what, Runnable change) {
    String no = refused(policy, what);
    return no != null ? no : Bridge.guard(change);
  }

  /** At most {@code limit} tasks at once; None removes the limit. @return null or a fault */
  @HostAccess.Export
  public String setMaxConcurrent(Integer limit) {
    return change(policy, "concurrency limit", () -> runtime.admission().setLimit(limit));
  }

  /** Hold submissions while memory use is above {@code percent}; None removes the limit. */
  @HostAccess.Export
  public String configureMemory(Double percent, double waitSeconds) {
    return change(policy, "memory limit", () -> runtime.memoryGuard().configure(percent, waitSeconds));
  }

  /** Resizes the threads pool; None keeps the current size or stack size. */
  @HostAccess.Export
  public String configureThreadPool(Integer numThreads, Long stackSize) {
    return change(policy, "threads pool", () -> runtime.configureThreadPool(
        numThreads == null ? runtime.threadPoolSize() : numThreads,
        stackSize == null ? runtime.threadStackSize() : stackSize));
  }

  /**
   * Configures the interpreters pool: None keeps the current size or recycling quota; with
   * {@code warmup} starts every worker now and waits for them (up to 5 minutes).
   */
  @HostAccess.Export
  public String configureInterpreters(Integer size, Integer maxTasksPerWorker, boolean warmup) {
    String no = refused(policy, "interpreters pool");
    if (no != null) {
      return no;
    }
    try {
      InterpreterBackend b = (InterpreterBackend) RuntimeAccess.get().backend(runtime, InterpreterBackend.NAME);
      b.expect(policy);
      b.configure(size == null ? b.pool().size() : size,
          maxTasksPerWorker == null ? b.maxTasksPerWorker() : maxTasksPerWorker);
      if (warmup && !b.warmup(Duration.ofMinutes(5))) {
        return "RuntimeError|worker interpreters did not start within 5 minutes";
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "KeyboardInterrupt|interrupted during warm-up";
    } catch (RuntimeException e) {
      return Bridge.fault(e);
    }
  }

  /**
   * Joins the cluster that {@code settings} describe (alternating names and values of the
   * {@code MAKEPARALLEL_CLUSTER*} variables), now, for this runtime's {@code cluster} backend.
   *
   * @return null or a fault: ValueError for a bad setting or when the runtime uses a cluster
   *     already, RuntimeError when joining failed
   */
  @HostAccess.Export
  public String configureCluster(Value settings) {
    String no = refused(policy, "cluster");
    if (no != null) {
      return no;
    }
    try {
      java.util.Map<String, String> env = new java.util.HashMap<>();
      for (long i = 0; i + 1 < settings.getArraySize(); i += 2) {
        env.put(settings.getArrayElement(i).asString(), settings.getArrayElement(i + 1).asString());
      }
      io.makeparallel.cluster.ClusterSettings s = io.makeparallel.cluster.ClusterSettings.fromEnvironment(env);
      if (s == null || !ClusterBackend.join(runtime, s)) {
        return "ValueError|this runtime has joined a cluster already: configure(cluster=...) goes before its "
            + "first cluster task";
      }
      return null;
    } catch (RuntimeException e) {
      return Bridge.fault(e);
    }
  }

  @HostAccess.Export
  public int threadPoolSize() {
    return runtime.threadPoolSize();
  }

  /** Threads alive in {@code backend}'s pool (0 before its first task). */
  @HostAccess.Export
  public int liveThreads(String backend) {
    Backend b = RuntimeAccess.get().existingBackend(runtime, backend);
    return b == null ? 0 : b.pool().liveThreads();
  }

  /** {@code backend}'s pool size, or None before its first use. */
  @HostAccess.Export
  public Integer poolSize(String backend) {
    Backend b = RuntimeAccess.get().existingBackend(runtime, backend);
    return b == null ? null : b.pool().size();
  }

  @HostAccess.Export
  public int cpuCount() {
    return Runtime.getRuntime().availableProcessors();
  }

  /** @return null or a fault */
  @HostAccess.Export
  public String setPriorityPaused(boolean paused) {
    return change(policy, "priority worker", () -> runtime.setPriorityPaused(paused));
  }

  /**
   * Refuses new tasks and waits up to {@code timeoutSeconds}.
   *
   * @return true when none is left, false when some still are, or a fault
   */
  @HostAccess.Export
  public Object shutdown(double timeoutSeconds, boolean cancelPending) {
    String no = refused(policy, "shutdown");
    if (no != null) {
      return no;
    }
    try {
      return runtime.shutdown(Bridge.duration(Math.max(0, timeoutSeconds)), cancelPending);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return runtime.activeCount() == 0;
    }
  }

  /** @return null or a fault */
  @HostAccess.Export
  public String resetShutdown() {
    return change(policy, "reset shutdown", runtime::resetShutdown);
  }
}
