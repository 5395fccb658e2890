package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Source;

/**
 * One run of a warm daemon: the launcher's arguments run as {@code ./makeparallel} would, in a
 * fresh context on the daemon's warm shared engine, with the client's streams, environment and
 * working directory, and a {@link TaskRuntime} of its own whose worker interpreters are made for
 * this run and closed at its end, so nothing of one run is visible to the next (a module edited
 * between runs is imported afresh). {@code os._exit(n)} from any thread ends this run with
 * {@code n}, never the daemon.
 *
 * <p>{@link #run} is called once, on the run's own thread; {@link #cancel} may be called from
 * any thread, any number of times (the first status wins). Throws nothing: failures become an
 * exit status with a message on the run's stderr.
 */
public final class WarmRun {
  private static final Logger LOG = LogManager.getLogger(WarmRun.class);
  private static final int NONE = -1;

  private final List<String> argv;
  private final Path cwd;
  private final String terminals;
  private final Map<String, String> environment;
  private final InputStream in;
  private final OutputStream out;
  private final OutputStream err;
  private final PrintStream errText;
  private final AtomicInteger forced = new AtomicInteger(NONE);
  private volatile TaskRuntime runtime;
  private volatile Context context;

  /**
   * @param argv the launcher's arguments ({@code script.py args}, {@code -c CODE}, {@code -m MOD})
   * @param cwd the client's working directory, absolute
   * @param terminals which of fds 0, 1, 2 are terminals at the client ("012" in a terminal)
   * @param environment exactly what {@code os.environ} holds
   * @throws IllegalArgumentException if {@code cwd} is not absolute
   */
  public WarmRun(List<String> argv, Path cwd, String terminals, Map<String, String> environment,
      InputStream in, OutputStream out, OutputStream err) {
    if (!cwd.isAbsolute()) {
      throw new IllegalArgumentException("cwd must be absolute, got '" + cwd + "'");
    }
    this.argv = List.copyOf(argv);
    this.cwd = cwd;
    this.terminals = terminals;
    this.environment = Map.copyOf(environment);
    this.in = in;
    this.out = out;
    this.err = err;
    this.errText = new PrintStream(err, true, StandardCharsets.UTF_8);
  }

  /** How a warm run's context is built (its standby is built the same way). */
  static PythonContextBuilder builder(TaskRuntime rt, Map<String, String> environment, Path cwd,
      StdStreams streams) {
    return PythonContexts.builder(rt)
        .allowFileWrites(true)
        .allowProcesses(true)
        .environment(environment)
        // This run's worker interpreters and subprocesses get these streams too.
        .streams(streams)
        .customize(b -> b.currentWorkingDirectory(cwd)
            .option("python.InstallSignalHandlers", "false"))
        // A script evaluated as a Source (below) raises SystemExit as an exception to the
        // launch module with this flag, instead of exiting the whole context (python -i does
        // the same); the end of the script then waits for tasks as after any other exit.
        .thisContextOnly(b -> b.option("python.InspectFlag", "true"))
        .eagerThreadingImport(false)
        .diagnostics(true)
        // The run owns its runtime (one per run): shutdown() and limits touch no other run.
        .allowRuntimeControl(true);
  }

  /**
   * Prepares the context of the next run while the daemon is idle, for this environment and
   * working directory (a run with others builds its own), and {@code workers} worker
   * interpreters for it. Returns at once.
   */
  public static void prepareNext(Map<String, String> environment, Path cwd, int workers) {
    WarmStandby.prepare(environment, cwd, workers);
  }

  /**
   * How many worker interpreters this run used (ran a task on), once it has ended: the next run
   * (usually the same script again) finds that many built while the daemon was idle, instead of
   * waiting 1-4 s for them; a run that used none leaves none to build and close.
   */
  public int workersUsed() {
    return workersUsed;
  }

  private volatile int workersUsed;

  /** Runs the program to its end (tasks and non-daemon threads included); its exit status. */
  public int run() {
    Launcher.Target t = Launcher.parse(argv.toArray(new String[0]), cwd, errText);
    if (t.mode() == null) {
      return t.status();
    }
    WarmStandby standby = WarmStandby.take(environment, cwd);
    if (standby == null) {
      TaskRuntime rt = io.makeparallel.TaskRuntime.builder().build();
      InterpreterBackend.register(rt);
      runtime = rt;
      return runIn(rt, t, null);
    }
    standby.relay.bind(in, out, err);
    runtime = standby.runtime;
    context = standby.context;
    java.util.concurrent.CompletableFuture<Integer> status = new java.util.concurrent.CompletableFuture<>();
    standby.execute(() -> status.complete(runIn(standby.runtime, t, standby.context)));
    while (true) {
      try {
        return status.get();
      } catch (InterruptedException e) {
        // the run ends through cancel(), never by interrupting the caller; keep waiting
      } catch (java.util.concurrent.ExecutionException e) {
        return 1; // runIn catches what it can; this is an Error
      }
    }
  }

  /** Runs in {@code ready}, or a context built here when null; closes both at the end. */
  private int runIn(TaskRuntime rt, Launcher.Target t, Context ready) {
    try {
      Context ctx = ready != null ? ready : builder(rt, environment, cwd, new StdStreams(in, out, err)).build();
      context = ctx;
      if (forced.get() != NONE) {
        return forced.get(); // cancelled while the context was being built
      }
      Source script = t.mode() == PythonContexts.Mode.SCRIPT ? scriptSource(t.target()) : null;
      int status = PythonContexts.evalMain(ctx, rt, t.mode(), t.target(), t.rest(), terminals, errText,
          a -> {
            cancel(a[0].asInt());
            return null;
          },
          script == null ? null : a -> ctx.eval(script));
      int f = forced.get();
      return f != NONE ? f : status;
    } catch (RuntimeException | OutOfMemoryError e) {
      // A context that cannot be built, or a run that exhausted the heap: this run fails alone.
      LOG.warn("warm run failed: {}", e.toString());
      errText.println("makeparallel: the run failed in the daemon: " + e);
      int f = forced.get();
      return f != NONE ? f : 1;
    } finally {
      workersUsed = InterpreterBackend.workersUsed(rt);
      rt.close(); // cancels what is left and closes this run's worker interpreters (bounded)
      Context c = context;
      if (c != null) {
        PythonContexts.closeQuietly(c);
      }
      errText.flush();
    }
  }

  /**
   * Scripts of earlier runs, kept so the engine keeps their parsed and compiled code: its source
   * cache holds an entry only while the {@link Source} it was parsed from is reachable (a weak
   * key), so a Source made and dropped per run was parsed, interpreted and JIT-compiled afresh
   * every run (engine.TraceSourceCache showed the script's entry evicted during its own run).
   * Bounded, least recently used first out; an edited script is a different Source.
   */
  private static final int KEPT_SCRIPTS = 32;

  private static final Map<Source, Source> SCRIPTS = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Source, Source> eldest) {
      return size() > KEPT_SCRIPTS;
    }
  };

  /**
   * The script as a Source: same path and content give an equal Source, which the shared engine
   * maps to the code it compiled for an earlier run (runpy would compile it afresh every time).
   */
  static Source scriptSource(String path) {
    Source fresh;
    try {
      fresh = Source.newBuilder("python", new File(path)).build();
    } catch (IOException e) {
      throw new UncheckedIOException("reading the script " + path, e);
    }
    synchronized (SCRIPTS) {
      Source kept = SCRIPTS.putIfAbsent(fresh, fresh);
      return kept != null ? kept : fresh;
    }
  }

  /** Scripts kept now (tests). */
  static int keptScripts() {
    synchronized (SCRIPTS) {
      return SCRIPTS.size();
    }
  }

  /** Whether a script with {@code source}'s path and text is kept (tests). */
  static boolean kept(Source source) {
    synchronized (SCRIPTS) {
      return SCRIPTS.containsKey(source);
    }
  }

  /**
   * Ends the run with {@code status} (Ctrl-C: 130, {@code os._exit(n)}, a client gone): cancels
   * its tasks and its context on a thread of its own, so a guest thread may call this.
   */
  public void cancel(int status) {
    if (!forced.compareAndSet(NONE, status)) {
      return;
    }
    Thread t = new Thread(() -> {
      TaskRuntime rt = runtime;
      if (rt != null) {
        rt.cancelAll();
      }
      Context c = context;
      if (c != null) {
        try {
          c.close(true);
        } catch (RuntimeException e) {
          LOG.debug("cancelling a warm run's context: {}", e.toString());
        }
      }
    }, "makeparallel-daemon-cancel");
    t.setDaemon(true);
    t.start();
  }

  /** The status {@link #cancel} forced, or -1. */
  public int forcedStatus() {
    return forced.get();
  }
}
