package io.makeparallel.python;

import io.makeparallel.MakeParallelException;
import io.makeparallel.TaskCancelledException;
import io.makeparallel.TaskRuntime;
import io.makeparallel.WorkerLostException;
import io.makeparallel.cluster.Carrier;
import io.makeparallel.cluster.CarrierHandler;
import io.makeparallel.cluster.ClusterNode;
import io.makeparallel.cluster.ClusterSettings;
import io.makeparallel.internal.Backend;
import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.internal.TaskExecution;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskFailure;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The {@code cluster} backend, caller's side: pickled calls (exactly as on {@code interpreters})
 * go to the members of a cluster ({@link ClusterNode}), this process's own member included unless
 * it runs none. Scheduling stays here: each member tells its capacity (its worker interpreters),
 * one dispatching thread per slot sends a call and waits for its reply, and queued tasks wait in
 * this runtime's queue, where priorities, dependencies and cancel work as on any backend.
 *
 * <p>Cancel and timeout send a cancel request to the member running the call, which hard-cancels
 * its worker interpreter. A member that leaves or fails resolves the tasks it was running with
 * {@link WorkerLostException}, within the failure-detection time: through the transport's error,
 * backed by the membership listener here.
 *
 * <p>Thread-safe. Owns its node (and the local member's runtime): {@link #close} leaves the
 * cluster.
 */
final class ClusterBackend implements Backend {
  static final String NAME = "cluster";
  private static final Logger LOG = LogManager.getLogger(ClusterBackend.class);
  /** The longest a dispatched call without a timeout of its own may take. */
  private static final Duration NO_DEADLINE = Duration.ofDays(30);
  /** Joins one at a time: a runtime joins one cluster, once. */
  private static final Object JOIN_LOCK = new Object();

  private final ClusterNode node;
  private final TaskRuntime memberRuntime;
  /** This process's member (runs calls of this process and of others), or null. */
  private final ClusterMember local;
  private final WorkerPool pool;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotsChanged = lock.newCondition();
  /** Per live member: its capacity, and calls of ours it is running. */
  private final Map<String, Integer> capacity = new LinkedHashMap<>();
  private final Map<String, Integer> busy = new HashMap<>();
  /** Members of the view that told their capacity (0 included); the poller thread's alone. */
  private final Map<String, Integer> told = new HashMap<>();
  /** Polls so far (the poller thread's alone), and how often every member is asked again. */
  private long polls;
  private static final int REFRESH_EVERY = 5;
  private volatile Set<String> view = Set.of();
  /** Asks again for capacities that did not come (owned here, stopped at close). */
  private final java.util.concurrent.ScheduledExecutorService poller =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "makeparallel-cluster-capacity");
        t.setDaemon(true);
        return t;
      });
  /** Calls awaiting a reply, with the member each went to (for the membership backup). */
  private final Map<CompletableFuture<Carrier>, String> pending = new ConcurrentHashMap<>();
  /**
   * Calls given up as lost on a member that may still run them (it froze, or the network
   * split): cancelled there as soon as it is in the view again.
   */
  private final Map<String, java.util.List<Carrier>> abandoned = new ConcurrentHashMap<>();
  /** Where each task's call runs now, for cancel requests. */
  private final Map<Task, Placement> runningOn = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record Placement(String member, int attempt) {}

  /** An attempt whose member was lost. */
  private static final class LostAttempt extends Exception {
    private static final long serialVersionUID = 1L;
    final String member;
    final transient WorkerLostException error;

    LostAttempt(String member, WorkerLostException error) {
      super(null, null, false, false);
      this.member = member;
      this.error = error;
    }
  }

  private ClusterBackend(ClusterSettings settings, boolean runsCalls) {
    this.memberRuntime = runsCalls ? TaskRuntime.builder().build() : null;
    // Other members' calls get no file writes, subprocesses or environment here.
    this.local = runsCalls ? new ClusterMember(memberRuntime, ContextPolicy.NARROWEST) : null;
    CarrierHandler own = local != null ? local
        : (r, from) -> r.reply(r.kind() == Carrier.CAPACITY ? Carrier.CAPACITY_IS : Carrier.REFUSED, null,
            "this member runs no tasks", 0);
    ClusterNode n;
    try {
      n = ClusterNode.start(settings, (r, from) -> r.kind() == Carrier.PROGRESS ? progressOf(r) : own.handle(r, from));
    } catch (RuntimeException | Error e) {
      if (memberRuntime != null) {
        memberRuntime.close();
      }
      throw e;
    }
    this.node = n;
    // At least one dispatching thread: with no capacity yet it waits for a member to join.
    this.pool = new WorkerPool("makeparallel-cluster", 1, new WorkerPool.TaskRunner() {
      private final Dispatcher dispatcher = new Dispatcher();

      @Override
      public void workerStarted() {
        CallRunner.CURRENT.set(dispatcher);
      }

      @Override
      public void run(Task task) {
        TaskExecution.runHere(task, () -> cancelRemote(task));
      }

      @Override
      public void workerStopping() {
        CallRunner.CURRENT.remove();
      }
    });
    try {
      if (local != null) {
        node.onViewChange(local::viewChanged);
      }
      node.onViewChange(this::viewChanged);
      node.tellView(); // the view so far: it may have changed before the listeners were added
      poller.scheduleWithFixedDelay(this::pollCapacities, 2, 2, TimeUnit.SECONDS);
    } catch (RuntimeException | Error e) {
      close(0);
      throw e;
    }
  }

  /**
   * Joins the cluster of {@code settings} now and makes it {@code runtime}'s {@value #NAME}
   * backend, unless the runtime has one already (then false, and nothing is joined). A failed
   * join registers nothing.
   */
  static boolean join(TaskRuntime runtime, ClusterSettings settings) {
    synchronized (JOIN_LOCK) {
      if (runtime.hasBackend(NAME)) {
        return false;
      }
      ClusterBackend joined = new ClusterBackend(settings, settings.runsCalls());
      java.util.concurrent.atomic.AtomicReference<ClusterBackend> first = new java.util.concurrent.atomic.AtomicReference<>(joined);
      // The joined backend first; should it be closed and asked for again, a new one.
      RuntimeAccess.get().registerBackend(runtime, NAME, rt -> {
        ClusterBackend b = first.getAndSet(null);
        return b != null ? b : new ClusterBackend(settings, settings.runsCalls());
      });
      RuntimeAccess.get().backend(runtime, NAME);
      return true;
    }
  }

  ClusterNode node() {
    return node;
  }

  /** Calls of ours each live member is running now (0 not listed), by name. */
  Map<String, Integer> inFlight() {
    lock.lock();
    try {
      Map<String, Integer> m = new LinkedHashMap<>(busy);
      m.values().removeIf(n -> n == 0);
      return Map.copyOf(m);
    } finally {
      lock.unlock();
    }
  }

  /** Capacity of the live members, by name. */
  Map<String, Integer> capacities() {
    lock.lock();
    try {
      return Map.copyOf(capacity);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A new view: members that left stop taking calls at once and the calls they ran fail; the
   * capacity of new ones is asked for on the poller thread (never here: a view must not wait
   * for the network).
   */
  private void viewChanged(Set<String> members) {
    if (closed) {
      return;
    }
    view = Set.copyOf(members);
    LOG.info("cluster view: {}", members);
    // Calls on members that left fail now, whatever the transport says later.
    pending.forEach((f, m) -> {
      if (!members.contains(m)) {
        f.completeExceptionally(new WorkerLostException("cluster member " + m + " left"));
      }
    });
    for (String m : members) {
      java.util.List<Carrier> stale = abandoned.remove(m);
      if (stale != null) {
        for (Carrier c : stale) {
          LOG.info("cancelling abandoned task {} on {}, which is back", c.task(), m);
          sendCancel(m, c);
        }
      }
    }
    lock.lock();
    try {
      capacity.keySet().retainAll(members);
      busy.keySet().retainAll(members);
      slotsChanged.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      poller.execute(this::pollCapacities);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /**
   * Asks the members of the view that have not told their capacity yet (new ones, and ones
   * whose answer was lost or late: a loaded machine), and sizes the dispatching pool to the
   * total; every {@value #REFRESH_EVERY}th time it asks every member again, since a member's
   * worker count can change while it runs (a failed answer then keeps the last one). Runs on
   * the poller thread only: after each view change and every two seconds.
   */
  private void pollCapacities() {
    try {
      pollCapacitiesOnce();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again, and this one backs up the view events.
      LOG.warn("cluster capacity poll failed (polled again): {}", e.toString());
    }
  }

  private void pollCapacitiesOnce() {
    if (closed) {
      return;
    }
    Set<String> current = Set.copyOf(node.members());
    if (!current.equals(view)) {
      // The listener is the way views arrive; this only backs it up (a missed event). Told
      // through the node, so its listeners hear views in order, and viewChanged polls again.
      LOG.info("cluster view {} found by polling (the listener told {})", current, view);
      node.tellView();
      return;
    }
    Set<String> members = view;
    told.keySet().retainAll(members);
    boolean refresh = ++polls % REFRESH_EVERY == 0;
    for (String m : members) {
      if (told.containsKey(m) && !refresh) {
        continue;
      }
      try {
        Carrier r = node.send(m, Carrier.capacity(), Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
        if (r.kind() == Carrier.CAPACITY_IS) {
          told.put(m, r.number());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        LOG.info("cluster member {} did not tell its capacity yet (asked again): {}", m, e.toString());
      }
    }
    Set<String> now = view; // members may have left while we asked
    Map<String, Integer> found = new LinkedHashMap<>();
    told.forEach((m, n) -> {
      if (n > 0 && now.contains(m)) {
        found.put(m, n);
      }
    });
    int total;
    boolean changed;
    lock.lock();
    try {
      changed = !capacity.equals(found);
      capacity.clear();
      capacity.putAll(found);
      total = found.values().stream().mapToInt(Integer::intValue).sum();
      slotsChanged.signalAll();
    } finally {
      lock.unlock();
    }
    if (changed) {
      LOG.info("cluster members and their capacity: {}", found);
    }
    pool.resize(Math.max(1, total), 0);
  }

  /**
   * A member's report of the progress of a call of ours: given to the task when that attempt is
   * still the one running (a late report of an abandoned attempt is dropped).
   */
  private Carrier progressOf(Carrier report) {
    double fraction;
    try {
      fraction = report.fraction();
    } catch (IllegalArgumentException e) {
      return report.reply(Carrier.REFUSED, null, e.getMessage(), 0);
    }
    // A scan: runningOn holds the calls in flight, no more than the members' workers together.
    for (Map.Entry<Task, Placement> e : runningOn.entrySet()) {
      if (e.getKey().id().equals(report.task()) && e.getValue().attempt() == report.attempt()) {
        reportTo(e.getKey(), fraction);
      }
    }
    return report.reply(Carrier.DONE, null, null, 0);
  }

  private static void reportTo(Task task, double fraction) {
    try {
      task.reportProgress(fraction);
    } catch (TaskCancelledException ignored) {
      // cancelled meanwhile: its progress no longer matters
    }
  }

  /** A member with a free slot (the least loaded one), waiting for one; null once closed. */
  private String acquire() throws InterruptedException {
    lock.lock();
    try {
      while (!closed) {
        String best = null;
        double load = Double.MAX_VALUE;
        for (Map.Entry<String, Integer> e : capacity.entrySet()) {
          int b = busy.getOrDefault(e.getKey(), 0);
          if (b < e.getValue() && (double) b / e.getValue() < load) {
            best = e.getKey();
            load = (double) b / e.getValue();
          }
        }
        if (best != null) {
          busy.merge(best, 1, Integer::sum);
          return best;
        }
        slotsChanged.await(1, TimeUnit.SECONDS);
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  private void release(String member) {
    lock.lock();
    try {
      busy.computeIfPresent(member, (k, v) -> v > 1 ? v - 1 : null);
      slotsChanged.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void cancelRemote(Task task) {
    Placement at = runningOn.get(task);
    if (at == null) {
      return;
    }
    String member = at.member();
    Carrier cancel = Carrier.cancel(node.name(), task.id(), at.attempt());
    if (local != null && member.equals(node.name())) {
      local.cancelLocal(cancel);
    } else {
      sendCancel(member, cancel);
    }
  }

  /**
   * Sends {@code cancel} to {@code member} without waiting: nothing waits for its answer (the
   * task has ended, or was given up), and a member that does not answer is gone anyway.
   */
  private void sendCancel(String member, Carrier cancel) {
    node.send(member, cancel, Duration.ofSeconds(10)).whenComplete((r, e) -> {
      if (e != null) {
        LOG.debug("cancel of task {} (attempt {}) on {}: {}", cancel.task(), cancel.attempt(), member, e.toString());
      }
    });
  }

  /**
   * Before a retry: waits (bounded by the failure detection time) until the view no longer
   * counts {@code member}, so the retry goes elsewhere rather than to the member just lost.
   */
  private void awaitGone(String member) {
    long deadline = System.nanoTime() + node.settings().failureTimeout().multipliedBy(2).plusSeconds(5).toNanos();
    lock.lock();
    try {
      while (capacity.containsKey(member) && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        slotsChanged.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  /** Remembers a call given up on {@code member}; cancels it now if the member is in the view. */
  private void abandon(String member, Carrier cancel) {
    if (node.members().contains(member)) {
      sendCancel(member, cancel);
    } else {
      abandoned.computeIfAbsent(member, m -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(cancel);
    }
  }

  /** Runs calls for the dispatching threads: sends one to a member and waits for its reply. */
  private final class Dispatcher implements CallRunner {
    @Override
    public Object execute(Task task, String call, ContextPolicy policy, int retriesOnLoss) throws TaskFailure {
      for (int attempt = 1; ; attempt++) {
        try {
          return attempt(task, call, policy, attempt);
        } catch (LostAttempt lost) {
          if (attempt > retriesOnLoss || task.isCancelRequested()) {
            throw new TaskFailure(lost.error);
          }
          LOG.info("task {} is run again (attempt {} of {}): {}", task.id(), attempt + 1, retriesOnLoss + 1,
              lost.error.getMessage());
          awaitGone(lost.member);
        }
      }
    }

    /** One attempt on one member; a lost member is a {@link LostAttempt}, to be retried or not. */
    private Object attempt(Task task, String call, ContextPolicy policy, int attempt) throws TaskFailure, LostAttempt {
      String member;
      try {
        member = acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
      if (member == null || task.isCancelRequested()) {
        if (member != null) {
          release(member);
        }
        return null;
      }
      runningOn.put(task, new Placement(member, attempt));
      Duration deadline = task.timeout() == null ? NO_DEADLINE
          : task.timeout().plus(node.settings().failureTimeout().multipliedBy(2)).plusSeconds(30);
      Carrier request = Carrier.run(node.name(), task.id(), attempt, ClusterMember.bits(policy), call);
      if (local != null && member.equals(node.name())) {
        try {
          return outcome(task, member, local.runLocal(request, policy, f -> reportTo(task, f)));
        } finally {
          runningOn.remove(task);
          release(member);
        }
      }
      CompletableFuture<Carrier> reply = node.send(member, request, deadline);
      pending.put(reply, member);
      try {
        if (!node.members().contains(member)) {
          reply.completeExceptionally(new WorkerLostException("cluster member " + member + " left"));
        }
        return outcome(task, member, reply.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      } catch (ExecutionException e) {
        // It may still run there (frozen, cut off): cancelled there once it is back. A late
        // reply of this attempt finds its future completed and is dropped.
        abandon(member, Carrier.cancel(node.name(), task.id(), attempt));
        throw new LostAttempt(member, e.getCause() instanceof WorkerLostException w ? w : new WorkerLostException(
            "cluster member " + member + " was lost running task " + task.id() + ": " + e.getCause(), e.getCause()));
      } finally {
        pending.remove(reply);
        runningOn.remove(task);
        release(member);
      }
    }

    private Object outcome(Task task, String member, Carrier r) throws TaskFailure {
      return switch (r.kind()) {
        case Carrier.DONE -> r.text();
        case Carrier.FAILED -> throw new TaskFailure(new RemoteError(r.detail(), r.text()));
        case Carrier.EXITED -> throw new TaskFailure(new WorkerExitException(task.id(), r.number()));
        case Carrier.CANCELLED -> throw new TaskFailure(new TaskCancelledException("Task " + task.id()
            + " was stopped on cluster member " + member));
        default -> throw new TaskFailure(new MakeParallelException("cluster member " + member
            + " could not run task " + task.id() + ": " + r.detail()));
      };
    }
  }

  @Override
  public WorkerPool pool() {
    return pool;
  }

  @Override
  public void close(long waitMillis) {
    closed = true;
    poller.shutdownNow();
    lock.lock();
    try {
      slotsChanged.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      pool.close(waitMillis);
    } finally {
      pending.keySet().forEach(f -> f.completeExceptionally(new WorkerLostException("the cluster backend closed")));
      node.close();
      if (memberRuntime != null) {
        memberRuntime.close();
      }
    }
  }
}
