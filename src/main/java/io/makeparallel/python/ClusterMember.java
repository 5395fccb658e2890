package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.cluster.Carrier;
import io.makeparallel.cluster.CarrierHandler;
import io.makeparallel.cluster.ClusterNode;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleConsumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A cluster member's side of the {@code cluster} backend: runs the pickled calls other members
 * send on this member's own worker interpreters ({@code interpreters} backend of {@link
 * #runtime}), cancels them on request, and tells its capacity.
 *
 * <p>A call from another member runs with the permissions of this member's {@code ceiling}
 * narrowed to those the submitting context had (the request's permission bits): never more than
 * either. Host access and runtime control never cross the network. A call of this process's own
 * ({@link #runLocal}) never touches the network and runs with exactly its submitter's policy, as
 * on {@code interpreters}.
 *
 * <p>Thread-safe: requests arrive on many threads; each RUN blocks its thread until the call ends.
 */
final class ClusterMember implements CarrierHandler {
  private static final Logger LOG = LogManager.getLogger(ClusterMember.class);
  static final int FILE_WRITES = 1;
  static final int PROCESSES = 2;
  static final int ENVIRONMENT = 4;
  static final int DIAGNOSTICS = 8;

  private final TaskRuntime runtime;
  private final ContextPolicy ceiling;
  /** Calls of other members running here, by caller/task#attempt, for their cancel requests. */
  private final Map<String, Task> running = new ConcurrentHashMap<>();
  /** This process's own calls running here, by task#attempt. */
  private final Map<String, Task> runningLocal = new ConcurrentHashMap<>();
  private final Map<Integer, ContextPolicy> policies = new ConcurrentHashMap<>();
  private static final Duration PROGRESS_TIMEOUT = Duration.ofSeconds(10);

  ClusterMember(TaskRuntime runtime, ContextPolicy ceiling) {
    this.runtime = runtime;
    this.ceiling = ceiling;
    InterpreterBackend.register(runtime);
  }

  /** The permission bits of {@code p} that a remote call may ask for. */
  static int bits(ContextPolicy p) {
    return (p.fileWrites ? FILE_WRITES : 0) | (p.processes ? PROCESSES : 0) | (p.environment ? ENVIRONMENT : 0)
        | (p.diagnostics ? DIAGNOSTICS : 0);
  }

  /** The ceiling narrowed to {@code bits}: the policy a call asking for them runs with here. */
  ContextPolicy policyFor(int bits) {
    return policies.computeIfAbsent(bits & 15, b -> new ContextPolicy(false,
        ceiling.fileWrites && (b & FILE_WRITES) != 0, ceiling.processes && (b & PROCESSES) != 0,
        ceiling.environment && (b & ENVIRONMENT) != 0, ceiling.diagnostics && (b & DIAGNOSTICS) != 0, false,
        ceiling.extraPath, ceiling.variables, ceiling.streams, ceiling.customizer));
  }

  /** How many calls this member runs at once: its worker interpreters. */
  int capacity() {
    return ((InterpreterBackend) io.makeparallel.internal.RuntimeAccess.get().backend(runtime, InterpreterBackend.NAME)).pool().size();
  }

  @Override
  public Carrier handle(Carrier request, ClusterNode node) {
    try {
      return switch (request.kind()) {
        case Carrier.RUN -> run(request, policyFor(request.permissions()), running, new Relay(request, node));
        case Carrier.CANCEL -> cancel(request, running);
        case Carrier.CAPACITY -> request.reply(Carrier.CAPACITY_IS, null, null, capacity());
        default -> request.reply(Carrier.REFUSED, null, "unknown request kind " + request.kind(), 0);
      };
    } catch (RuntimeException e) {
      LOG.warn("cluster request {} failed here: {}", request, e.toString());
      return request.reply(Carrier.REFUSED, null, "member failed: " + e, 0);
    }
  }

  /**
   * After a change of membership: calls of members that left are cancelled, as nobody waits
   * for them any more (a caller that crashed or froze; one that comes back sees its calls lost).
   */
  void viewChanged(java.util.Set<String> members) {
    running.forEach((key, task) -> {
      String caller = key.substring(0, key.indexOf('/'));
      if (!members.contains(caller)) {
        LOG.info("cancelling {}: its caller left the cluster", key);
        task.cancel();
      }
    });
  }

  private static String key(Carrier c) {
    return c.caller() + "/" + c.task() + "#" + c.attempt();
  }

  /**
   * Runs a call of this process (no network) with exactly {@code policy}, its submitter's;
   * blocks until it ends and answers as a member would.
   */
  Carrier runLocal(Carrier request, ContextPolicy policy, DoubleConsumer progress) {
    return run(request, policy, runningLocal, progress);
  }

  /** Cancels a call of this process's that {@link #runLocal} is running. */
  void cancelLocal(Carrier request) {
    cancel(request, runningLocal);
  }

  private Carrier run(Carrier request, ContextPolicy policy, Map<String, Task> running, DoubleConsumer progress) {
    String key = key(request);
    Task task;
    try {
      task = runtime.submit(TaskSpec.of("cluster:" + key, InterpreterBackend.NAME,
          new RemoteBody(request.text(), null, policy)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return request.reply(Carrier.REFUSED, null, "member is stopping", 0);
    }
    task.onProgress(progress);
    running.put(key, task);
    try {
      while (!task.await(Duration.ofSeconds(60))) {
        // bounded waits: an interrupt (the member stopping) is seen at the next one
      }
    } catch (InterruptedException e) {
      task.cancel();
      Thread.currentThread().interrupt();
      return request.reply(Carrier.CANCELLED, null, "member is stopping", 0);
    } finally {
      running.remove(key, task);
    }
    return outcome(request, task);
  }

  /**
   * Sends a call's progress to its caller with at most one message in flight: a value reported
   * while one is on its way replaces any waiting one, so a call that reports in a tight loop
   * costs its caller a message per round trip, and the last value always arrives.
   */
  private final class Relay implements DoubleConsumer {
    private final Carrier request;
    /** The node the call arrived on: its progress goes back through it. */
    private final ClusterNode node;
    /** Guarded by this: the value waiting to go (NaN: none), and whether one is on its way. */
    private double waiting = Double.NaN;
    private boolean sending;

    Relay(Carrier request, ClusterNode node) {
      this.request = request;
      this.node = node;
    }

    @Override
    public void accept(double fraction) {
      synchronized (this) {
        waiting = fraction;
        if (sending) {
          return;
        }
        sending = true;
      }
      sendWaiting();
    }

    private void sendWaiting() {
      double f;
      synchronized (this) {
        if (Double.isNaN(waiting)) {
          sending = false;
          return;
        }
        f = waiting;
        waiting = Double.NaN;
      }
      node.send(request.caller(), Carrier.progress(request, f), PROGRESS_TIMEOUT).whenComplete((r, e) -> sendWaiting());
    }
  }

  private static Carrier outcome(Carrier request, Task task) {
    TaskState s = task.state();
    Object err = task.error();
    if (s == TaskState.SUCCEEDED) {
      return request.reply(Carrier.DONE, String.valueOf(task.result()), null, 0);
    }
    if (s == TaskState.CANCELLED) {
      return request.reply(Carrier.CANCELLED, null, "cancelled on member", 0);
    }
    if (err instanceof RemoteError r) {
      return request.reply(Carrier.FAILED, r.payload(), r.typeName(), 0);
    }
    if (err instanceof WorkerExitException x) {
      return request.reply(Carrier.EXITED, null, x.getMessage(), x.status());
    }
    return request.reply(Carrier.REFUSED, null, String.valueOf(err), 0);
  }

  private static Carrier cancel(Carrier request, Map<String, Task> running) {
    Task t = running.get(key(request));
    boolean stopped = t != null && t.cancel();
    return request.reply(Carrier.CANCELLED, null, stopped ? "stopped" : "not running here", 0);
  }
}
