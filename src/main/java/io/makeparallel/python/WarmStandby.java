package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.Context;

/**
 * The warm daemon's next context, made while it is idle: a fresh context and runtime for the
 * environment and working directory of the last run (the next one usually comes from the same
 * shell), initialized up to the launch module, so a run does not wait the ~0.3 s GraalPy takes
 * to initialize a context even on a warm engine. Built and later run on one thread of its own
 * (the context's first thread runs the program, as in the cold launcher). A run whose
 * environment or directory differs gets a fresh context instead, and the standby is discarded
 * unused; it never runs two programs.
 *
 * <p>When the last run used worker interpreters, the standby's runtime then starts building as
 * many, with the standby context's permissions, so the next run does not wait the 1-4 s they
 * take; they belong to the standby's runtime and close with it (a run that leaves them unused
 * does not wait for them at its end: {@code ScriptEnd}). Thread-safe.
 */
final class WarmStandby {
  private static final Logger LOG = LogManager.getLogger(WarmStandby.class);
  private static WarmStandby next;

  final Map<String, String> environment;
  final Path cwd;
  /** Worker interpreters to build too (as many as the last run used). */
  private final int workers;
  final RelayStreams relay = new RelayStreams();
  private final CountDownLatch built = new CountDownLatch(1);
  private final BlockingQueue<Runnable> job = new ArrayBlockingQueue<>(1);
  volatile TaskRuntime runtime;
  volatile Context context;

  private WarmStandby(Map<String, String> environment, Path cwd, int workers) {
    this.environment = Map.copyOf(environment);
    this.cwd = cwd;
    this.workers = workers;
  }

  /**
   * Starts building the standby for {@code environment} and {@code cwd}, replacing another, and
   * {@code workers} worker interpreters for it (built after its context, in the background, with
   * that context's permissions).
   */
  static void prepare(Map<String, String> environment, Path cwd, int workers) {
    WarmStandby old;
    WarmStandby s = new WarmStandby(environment, cwd, workers);
    synchronized (WarmStandby.class) {
      old = next;
      next = s;
    }
    if (old != null) {
      old.discard();
    }
    Thread t = new Thread(s::live, "makeparallel-daemon-standby");
    t.setDaemon(true);
    t.start();
  }

  /** The standby if it was built for exactly this environment and directory (waits for its build), else null. */
  static WarmStandby take(Map<String, String> environment, Path cwd) {
    WarmStandby s;
    synchronized (WarmStandby.class) {
      s = next;
      if (s == null || !s.environment.equals(environment) || !s.cwd.equals(cwd)) {
        return null;
      }
      next = null;
    }
    try {
      s.built.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s.discard();
      return null;
    }
    if (s.context == null) {
      return null; // its build failed: the run builds its own
    }
    return s;
  }

  /** Runs {@code program} on the standby's own thread (where its context was built). */
  void execute(Runnable program) {
    if (!job.offer(program)) {
      throw new IllegalStateException("a standby context runs one program only");
    }
  }

  private void discard() {
    job.offer(() -> {
      TaskRuntime rt = runtime;
      if (rt != null) {
        rt.close();
      }
      Context c = context;
      if (c != null) {
        PythonContexts.closeQuietly(c);
      }
    });
  }

  private void live() {
    Context ctx = null;
    try {
      TaskRuntime rt = io.makeparallel.TaskRuntime.builder().build();
      InterpreterBackend.register(rt);
      runtime = rt;
      PythonContextBuilder b = WarmRun.builder(rt, environment, cwd, relay.streams());
      ctx = b.build();
      // Initializes the context now (GraalPy does so lazily, on the first eval).
      ctx.eval("python", "import _makeparallel_launch");
      context = ctx;
      if (workers > 0) {
        try {
          InterpreterBackend.startWorkers(rt, b.policy(), workers);
        } catch (RuntimeException e) { // the run starts its workers itself, as without a standby
          LOG.warn("standby worker interpreters not started: {}", e.toString());
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("standby context not built: {}", e.toString());
      if (ctx != null) {
        PythonContexts.closeQuietly(ctx);
      }
      TaskRuntime rt = runtime;
      if (rt != null) {
        rt.close();
      }
      runtime = null;
      return; // nothing to run or discard: take() sees no context
    } finally {
      built.countDown();
    }
    try {
      job.take().run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
