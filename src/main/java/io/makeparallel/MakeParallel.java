package io.makeparallel;

import io.makeparallel.internal.Logging;
import io.makeparallel.python.InterpreterBackend;
import io.makeparallel.python.PythonContexts;
import io.makeparallel.python.PythonContextBuilder;
import io.makeparallel.python.SharedEngine;
import java.nio.file.Path;
import java.util.List;

/**
 * Entry point for Java programs that embed makeparallel: one process-wide {@link TaskRuntime}
 * and one GraalPy engine, shared by every context built here.
 *
 * <pre>{@code
 * try (Context ctx = MakeParallel.contextBuilder().allowFileWrites(true).build()) {
 *   ctx.eval("python", "import makeparallel; print(makeparallel.__version__)");
 * }
 * int status = MakeParallel.runScript(Path.of("job.py"), List.of("--fast"));
 * }</pre>
 *
 * <p>Thread-safe: the runtime and engine are created exactly once, on first use.
 */
public final class MakeParallel {
  /** The version of the library and of the Python package. */
  public static final String VERSION = "0.1.0";

  private static volatile TaskRuntime runtime;

  private MakeParallel() {}

  /** The process-wide runtime, created on first use with the environment's log level. */
  public static TaskRuntime runtime() {
    TaskRuntime r = runtime;
    if (r == null) {
      synchronized (MakeParallel.class) {
        r = runtime;
        if (r == null) {
          Logging.applyEnvironment();
          r = TaskRuntime.builder().build();
          InterpreterBackend.register(r);
          runtime = r;
        }
      }
    }
    return r;
  }

  /** A builder for GraalPy contexts where {@code import makeparallel} works. */
  public static PythonContextBuilder contextBuilder() {
    return PythonContexts.builder(runtime());
  }

  /**
   * Runs a Python script as {@code python script args...} would (stdin/stdout/stderr of this
   * process, {@code sys.argv}, the script's folder on {@code sys.path}), waits for the tasks it
   * started, and returns its exit status.
   */
  public static int runScript(Path script, List<String> args) {
    return PythonContexts.runMain(runtime(), PythonContexts.Mode.SCRIPT, script.toString(), args, true);
  }

  /** True when GraalPy runs with the optimizing JIT (JDK 25 with the Graal compiler). */
  public static boolean jitEnabled() {
    return SharedEngine.jitEnabled();
  }
}
