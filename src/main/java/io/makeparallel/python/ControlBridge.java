package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.Backend;
import io.makeparallel.internal.RuntimeAccess;
import java.time.Duration;
import org.graalvm.polyglot.HostAccess;

/**
 * The control concern of the bridge, the polyglot binding {@value #BINDING}: limits, pool sizes
 * and the runtime's lifecycle. An absent value is None (Java null), never a sentinel: a limit of
 * None is no limit, a pool setting of None keeps the current one.
 *
 * <p>Values reach here already checked by the Python call that received them (ValueError or
 * TypeError naming the parameter there); what the engine still refuses comes back as a fault
 * string (see {@link Bridge}). Thread-safe.
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

  /** At most {@code limit} tasks at once; None removes the limit. @return null or a fault */
  @HostAccess.Export
  public String setMaxConcurrent(Integer limit) {
    return Bridge.guard(() -> runtime.admission().setLimit(limit));
  }

  /** Hold submissions while memory use is above {@code percent}; None removes the limit. */
  @HostAccess.Export
  public String configureMemory(Double percent, double waitSeconds) {
    return Bridge.guard(() -> runtime.memoryGuard().configure(percent, waitSeconds));
  }

  /** Resizes the threads pool; None keeps the current size or stack size. */
  @HostAccess.Export
  public String configureThreadPool(Integer numThreads, Long stackSize) {
    return Bridge.guard(() -> runtime.configureThreadPool(
        numThreads == null ? runtime.threadPoolSize() : numThreads,
        stackSize == null ? runtime.threadStackSize() : stackSize));
  }

  /**
   * Configures the interpreters pool: None keeps the current size or recycling quota; with
   * {@code warmup} starts every worker now and waits for them (up to 5 minutes).
   */
  @HostAccess.Export
  public String configureInterpreters(Integer size, Integer maxTasksPerWorker, boolean warmup) {
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

  @HostAccess.Export
  public void setPriorityPaused(boolean paused) {
    runtime.setPriorityPaused(paused);
  }

  /** Refuses new tasks and waits up to {@code timeoutSeconds}. @return true when none is left */
  @HostAccess.Export
  public boolean shutdown(double timeoutSeconds, boolean cancelPending) {
    try {
      return runtime.shutdown(Bridge.duration(Math.max(0, timeoutSeconds)), cancelPending);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return runtime.activeCount() == 0;
    }
  }

  @HostAccess.Export
  public void resetShutdown() {
    runtime.resetShutdown();
  }
}
