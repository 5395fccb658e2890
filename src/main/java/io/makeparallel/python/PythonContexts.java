package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import java.io.PrintStream;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Value;
import org.graalvm.polyglot.proxy.ProxyExecutable;

/** Creates contexts and runs a main program in one, as {@code python} would. */
public final class PythonContexts {
  private static final Logger LOG = LogManager.getLogger(PythonContexts.class);

  /** What {@link #runMain} runs: a script file, a {@code -c} string, or a {@code -m} module. */
  public enum Mode { SCRIPT, CODE, MODULE }

  private PythonContexts() {}

  public static PythonContextBuilder builder(TaskRuntime runtime) {
    return new PythonContextBuilder(runtime);
  }

  /**
   * Runs a main program in a new context with the process's streams, waits for every task it
   * started, closes the context and returns the exit status. With {@code asPython} the context
   * gets what {@code python script.py} has: file writes, processes, the environment.
   */
  public static int runMain(TaskRuntime runtime, Mode mode, String target, List<String> args, boolean asPython) {
    return runMain(runtime, mode, target, args, asPython, false);
  }

  /**
   * As {@link #runMain(TaskRuntime, Mode, String, List, boolean)}; with {@code ownsProcess} (the
   * launcher) {@code os._exit(n)} from any thread ends the process with {@code n} at once.
   */
  static int runMain(TaskRuntime runtime, Mode mode, String target, List<String> args, boolean asPython,
      boolean ownsProcess) {
    Context ctx = builder(runtime)
        .allowFileWrites(asPython)
        .allowProcesses(asPython)
        .inheritEnvironment(asPython)
        // Ctrl-C belongs to the launcher: Python's own handler would raise KeyboardInterrupt
        // in a main thread that is blocked in Java and never see it.
        .customize(b -> b.option("python.InstallSignalHandlers", "false"))
        // The main thread owns this context and runs the script, so makeparallel (and with it
        // threading) is first imported here, never on a pool thread.
        .eagerThreadingImport(false)
        // The launcher's script may count worker contexts and heap (benchmarks, leak checks).
        .diagnostics(true)
        // The script owns the process and its runtime, as python owns its process.
        .allowRuntimeControl(true)
        .build();
    if (asPython) {
      Launcher.installInterruptHandler(runtime);
    }
    LauncherState.register(ctx);
    int status;
    try {
      status = evalMain(ctx, runtime, mode, target, args, terminals(), System.err,
          ownsProcess ? a -> halt(a[0].asInt()) : null, null);
    } finally {
      LauncherState.unregister(ctx);
    }
    closeQuietly(ctx);
    return status;
  }

  /**
   * Runs a main program in {@code ctx} (built for {@code runtime}) and waits for the end of the
   * script as python does; returns the exit status. {@code exit}, when given, is what
   * {@code os._exit(n)} calls with {@code n} from any thread; {@code runSource}, when given, runs
   * a script file in {@code __main__} instead of {@code runpy}. The caller closes the context.
   */
  static int evalMain(Context ctx, TaskRuntime runtime, Mode mode, String target, List<String> args,
      String terminals, PrintStream err, ProxyExecutable exit, ProxyExecutable runSource) {
    try {
      Value launch = ctx.eval("python", "import _makeparallel_launch\n_makeparallel_launch");
      if (exit != null) {
        launch.invokeMember("install_exit", exit);
      }
      Value main = launch.getMember("main");
      int status = main.execute(mode.name().toLowerCase(java.util.Locale.ROOT), target,
          args.toArray(new String[0]), terminals, runSource).asInt();
      // Like python at exit: let running tasks, callbacks and non-daemon threads finish.
      ScriptEnd.await(runtime, launch, err);
      return status;
    } catch (PolyglotException e) {
      return statusOf(e, err);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 130;
    }
  }

  /**
   * Which standard streams (0, 1, 2) are terminals, as the launcher script found them
   * ({@code -Dmakeparallel.terminals=012}); Java itself cannot tell them apart. Empty: none.
   */
  static String terminals() {
    return System.getProperty("makeparallel.terminals", "");
  }

  /** {@code os._exit} for the launcher: what was written reaches the streams, then the JVM stops. */
  private static Object halt(int status) {
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(status);
    return null;
  }

  static int statusOf(PolyglotException e, PrintStream err) {
    if (e.isExit()) {
      return e.getExitStatus();
    }
    if (e.isCancelled() || e.isInterrupted()) {
      return 130;
    }
    err.println(e.getMessage());
    return 1;
  }

  static void closeQuietly(Context ctx) {
    try {
      ctx.close();
    } catch (RuntimeException e) {
      LOG.debug("context close failed, cancelling it: {}", e.toString());
      try {
        ctx.close(true);
      } catch (RuntimeException ignored) {
        // already gone
      }
    }
  }
}
