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
 * one before taking more work. Not thread-safe except {@link #hardCancel}.
 */
final class InterpreterWorker {
  private static final Logger LOG = LogManager.getLogger(InterpreterWorker.class);
  private static final ThreadLocal<InterpreterWorker> CURRENT = new ThreadLocal<>();
  /** Worker contexts open in this process (for leak checks). */
  static final AtomicInteger OPEN_CONTEXTS = new AtomicInteger();

  private final TaskRuntime runtime;
  private final Executor reaper;
  private final SpareContexts<Prepared> spares;
  private Context context;
  private Value run;
  private int tasksRun;
  private volatile Task executing;
  private volatile boolean cancelled;
  /** The task's code called {@code os._exit}: the context is spent and is replaced. */
  private boolean exited;

  InterpreterWorker(TaskRuntime runtime, Executor reaper, SpareContexts<Prepared> spares) {
    this.runtime = runtime;
    this.reaper = reaper;
    this.spares = spares;
  }

  static InterpreterWorker current() {
    return CURRENT.get();
  }

  /** A worker context with the package imported, ready to run calls. */
  record Prepared(Context context, Value run) {
    void close() {
      closeContext(context);
    }
  }

  /**
   * Builds a worker context on the calling thread, which becomes its owner for the close-hang
   * workaround (threading is imported here first).
   */
  static Prepared prepare(TaskRuntime runtime) {
    Context ctx = PythonContexts.builder(runtime)
        .allowFileWrites(true)
        .allowProcesses(true)
        .inheritEnvironment(true)
        .build();
    OPEN_CONTEXTS.incrementAndGet();
    try {
      return new Prepared(ctx, ctx.eval("python", "import makeparallel._worker\nmakeparallel._worker.run"));
    } catch (RuntimeException e) {
      closeContext(ctx);
      throw e;
    }
  }

  /** Takes the spare context if one is ready, else builds one on this thread. */
  void start() {
    CURRENT.set(this);
    long t0 = System.nanoTime();
    Prepared p = spares.take();
    String how = "spare";
    if (p == null) {
      p = prepare(runtime);
      how = "new";
    }
    context = p.context();
    run = p.run();
    tasksRun = 0;
    cancelled = false;
    LOG.debug("{} ready in {} ms ({} context)", Thread.currentThread().getName(),
        (System.nanoTime() - t0) / 1_000_000, how);
  }

  /** Runs a pickled call; returns the pickled result or throws a {@link TaskFailure}. */
  Object execute(Task task, String call) throws TaskFailure {
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
      Value v = context.eval("python", "import makeparallel._worker\nmakeparallel._worker.exit_status()");
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
    spares.arm();
    Context ctx = context;
    reaper.execute(() -> {
      try {
        ctx.close(true);
      } catch (RuntimeException e) {
        LOG.debug("closing a cancelled worker context: {}", e.toString());
      }
    });
  }

  /** After a task: replaces the context if it was cancelled or has run its quota. */
  void afterTask(int maxTasks) {
    if (cancelled || exited || (maxTasks > 0 && tasksRun >= maxTasks)) {
      Context old = context;
      context = null;
      if (!cancelled && !exited) {
        joinThreads(old);
      }
      exited = false;
      closeContext(old);
      start();
    }
  }

  void stop() {
    Context ctx = context;
    context = null;
    CURRENT.remove();
    if (!cancelled && !exited) {
      joinThreads(ctx);
    }
    closeContext(ctx);
  }

  /**
   * A normal close (recycling, shutdown, end of script) first lets the non-daemon threads the
   * tasks started finish, as CPython waits for them at exit; a hard cancel does not come here.
   */
  private static void joinThreads(Context ctx) {
    if (ctx == null) {
      return;
    }
    try {
      ctx.eval("python", "import makeparallel._worker\nmakeparallel._worker.join_threads()");
    } catch (RuntimeException e) {
      LOG.debug("waiting for the threads of a worker context: {}", e.toString());
    }
  }

  private static void closeContext(Context ctx) {
    if (ctx == null) {
      return;
    }
    try {
      ctx.close(true);
    } catch (RuntimeException e) {
      LOG.debug("worker context close: {}", e.toString());
    } finally {
      OPEN_CONTEXTS.decrementAndGet();
    }
  }
}
