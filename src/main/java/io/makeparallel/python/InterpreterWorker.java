package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskFailure;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Value;

/**
 * One worker interpreter: a GraalPy context owned by one platform thread, with its own GIL.
 * A hard cancel closes the context from another thread; the owning thread then starts a fresh
 * one before taking more work. The context is built with the {@link ContextPolicy} of the
 * context that submitted the task it runs: a task of another policy first gets a context built
 * its way (the usual single-policy program never pays for this). Subprocesses the context
 * started die with it when it is hard-cancelled or stopped ({@link ChildProcesses}).
 * Not thread-safe except {@link #hardCancel}.
 */
final class InterpreterWorker implements CallRunner {
  private static final Logger LOG = LogManager.getLogger(InterpreterWorker.class);
  private static final ThreadLocal<InterpreterWorker> CURRENT = new ThreadLocal<>();
  /** Worker contexts open in this process (for leak checks). */
  static final AtomicInteger OPEN_CONTEXTS = new AtomicInteger();

  private final TaskRuntime runtime;
  private final Executor reaper;
  private final SpareContexts<ContextPolicy, Prepared> spares;
  /** The current context, or null while none is open. */
  private volatile Prepared current;
  private int tasksRun;
  private volatile Task executing;
  private volatile boolean cancelled;
  /** The task's code called {@code os._exit}: the context is spent and is replaced. */
  private boolean exited;

  InterpreterWorker(TaskRuntime runtime, Executor reaper, SpareContexts<ContextPolicy, Prepared> spares) {
    this.runtime = runtime;
    this.reaper = reaper;
    this.spares = spares;
  }

  static InterpreterWorker current() {
    return CURRENT.get();
  }

  /**
   * A worker context with the package imported, ready to run calls; built as {@code policy}
   * says, its subprocesses started through {@code children}.
   */
  record Prepared(ContextPolicy policy, Context context, Value run, ChildProcesses children) {
    /** Closes the context and kills the subprocesses it started. */
    void close() {
      closeContext(this, true);
    }
  }

  /**
   * Builds a worker context on the calling thread, which becomes its owner for the close-hang
   * workaround (threading is imported here first), with exactly the permissions and customizer
   * of {@code policy}.
   */
  static Prepared prepare(TaskRuntime runtime, ContextPolicy policy) {
    ChildProcesses children = new ChildProcesses(policy.streams);
    Context ctx = policy.builder(runtime)
        .processHandler(children)
        .build();
    OPEN_CONTEXTS.incrementAndGet();
    Prepared p = new Prepared(policy, ctx, null, children);
    try {
      return new Prepared(policy, ctx, ctx.eval("python", "import makeparallel._worker\nmakeparallel._worker.run"),
          children);
    } catch (RuntimeException e) {
      closeContext(p, true);
      throw e;
    }
  }

  /** Takes the spare context of {@code policy} if one is ready, else builds one on this thread. */
  void start(ContextPolicy policy) {
    CURRENT.set(this);
    CallRunner.CURRENT.set(this);
    long t0 = System.nanoTime();
    Prepared p = spares.take(policy);
    String how = "spare";
    if (p == null) {
      p = prepare(runtime, policy);
      how = "new";
    }
    current = p;
    tasksRun = 0;
    cancelled = false;
    LOG.debug("{} ready in {} ms ({} context)", Thread.currentThread().getName(),
        (System.nanoTime() - t0) / 1_000_000, how);
  }

  /**
   * Makes the current context one built with {@code policy}, replacing a context built another
   * way (or none, after a failed start). The replaced context ran its tasks to the end; like a
   * recycled worker, what they left running is theirs and is not killed.
   */
  private void ensurePolicy(ContextPolicy policy) {
    Prepared p = current;
    if (p != null && p.policy().equals(policy)) {
      return;
    }
    current = null;
    closeContext(p, false);
    start(policy);
  }

  /**
   * Runs a pickled call in a context built with {@code policy} (the submitter's); returns the
   * pickled result or throws a {@link TaskFailure}.
   */
  @Override
  public Object execute(Task task, String call, ContextPolicy policy, int retriesOnLoss) throws TaskFailure {
    if (task.isCancelRequested()) {
      return null;
    }
    ensurePolicy(policy);
    Value run = current.run();
    executing = task;
    Value r;
    try {
      if (task.isCancelRequested()) {
        return null;
      }
      r = run.execute(call);
    } catch (PolyglotException e) {
      if (e.isCancelled() || cancelled) {
        throw new TaskFailure(new io.makeparallel.TaskCancelledException("Task " + task.id() + " was stopped"));
      }
      Integer status = exitStatus(e);
      if (status != null) {
        exited = true;
        throw new TaskFailure(new WorkerExitException(task.id(), status));
      }
      throw e;
    } finally {
      executing = null;
      tasksRun++;
    }
    String data = r.getArrayElement(1).asString();
    if (r.getArrayElement(0).asBoolean()) {
      return data;
    }
    throw new TaskFailure(new RemoteError(r.getArrayElement(2).asString(), data));
  }

  /**
   * The status of an {@code os._exit} that ended the call, or null. GraalPy reports it as an
   * exit only on the context's first thread; elsewhere the call dies with a ThreadDeath, so
   * the status the worker's {@code os._exit} recorded is read back.
   */
  private Integer exitStatus(PolyglotException e) {
    if (e.isExit()) {
      return e.getExitStatus();
    }
    try {
      Value v = current.context().eval("python", "import makeparallel._worker\nmakeparallel._worker.exit_status()");
      return v.isNull() ? null : v.asInt();
    } catch (RuntimeException gone) {
      LOG.debug("reading the exit status of a worker context: {}", gone.toString());
      return null;
    }
  }

  /** Stops {@code task} if this worker is running it: closes the context from another thread. */
  void hardCancel(Task task) {
    if (executing != task) {
      return;
    }
    cancelled = true;
    // Programs that cancel once tend to cancel again: from now on keep a context ready.
    Prepared p = current;
    reaper.execute(() -> {
      try {
        // Off the cancelling thread: arming may discard a standby context of another policy.
        spares.arm(p.policy());
      } catch (RuntimeException e) { // the backend is closing: no standby needed
        LOG.debug("no standby worker context: {}", e.toString());
      }
      // Killed first so a task waiting for its child returns at once, and again after the close
      // for one started in between; as CPython's subprocess.run kills its child on an interrupt.
      p.children().killAll();
      try {
        p.context().close(true);
      } catch (RuntimeException e) {
        LOG.debug("closing a cancelled worker context: {}", e.toString());
      }
      p.children().killAll();
    });
  }

  /**
   * After a task: replaces the context if it was cancelled or has run its quota (with one of
   * the same policy). A recycled context's leftover subprocesses live on, as a recycled worker
   * process's children do under CPython.
   */
  void afterTask(int maxTasks) {
    Prepared old = current;
    if (old != null && (cancelled || exited || (maxTasks > 0 && tasksRun >= maxTasks))) {
      current = null;
      if (!cancelled && !exited) {
        joinThreads(old);
      }
      // A cancelled context's children die with it; an exited one's were the task's to end.
      closeContext(old, cancelled);
      exited = false;
      start(old.policy());
    }
  }

  /** Closes the context at shutdown, killing the subprocesses its tasks left running. */
  void stop() {
    Prepared p = current;
    current = null;
    CURRENT.remove();
    CallRunner.CURRENT.remove();
    if (!cancelled && !exited) {
      joinThreads(p);
    }
    closeContext(p, true);
  }

  /**
   * A normal close (recycling, shutdown, end of script) first lets the
   * non-daemon threads the tasks started finish, as CPython waits for them at exit; a hard
   * cancel does not come here.
   */
  private static void joinThreads(Prepared p) {
    if (p == null) {
      return;
    }
    try {
      p.context().eval("python", "import makeparallel._worker\nmakeparallel._worker.join_threads()");
    } catch (RuntimeException e) {
      LOG.debug("waiting for the threads of a worker context: {}", e.toString());
    }
  }

  private static void closeContext(Prepared p, boolean killChildren) {
    if (p == null) {
      return;
    }
    try {
      if (killChildren) {
        p.children().killAll();
      }
      p.context().close(true);
    } catch (RuntimeException e) {
      LOG.debug("worker context close: {}", e.toString());
    } finally {
      OPEN_CONTEXTS.decrementAndGet();
      if (killChildren) {
        p.children().killAll();
      }
    }
  }
}
