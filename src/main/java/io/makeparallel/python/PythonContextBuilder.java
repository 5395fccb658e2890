package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.io.IOAccess;
import org.graalvm.polyglot.io.ProcessHandler;

/**
 * Builds GraalPy {@link Context}s in which {@code import makeparallel} works, on the shared
 * engine and runtime. Defaults are the narrowest that work: Python sees only the exported
 * members of the makeparallel bridge, reads files but does not write them, cannot start
 * processes, sees an empty environment, and may not change the runtime it shares with other
 * contexts (limits, pools, shutdown). Each permission can be widened. The worker
 * interpreters that run the context's {@code interpreters} tasks are built with exactly the same
 * permissions and customizer ({@link ContextPolicy}), never wider.
 *
 * <p>Not thread-safe; reusable: each {@link #build()} makes an independent context. The caller
 * owns the returned context and must close it.
 */
public final class PythonContextBuilder {
  static final HostAccess BRIDGE_ACCESS = HostAccess.newBuilder(HostAccess.EXPLICIT)
      .allowArrayAccess(true)
      .build();

  private final TaskRuntime runtime;
  private boolean fullHostAccess;
  private IOAccess io = IOAccess.newBuilder().allowHostFileAccess(false).build();
  private boolean readOnlyFiles = true;
  private boolean allowProcesses;
  private boolean inheritEnvironment;
  private Map<String, String> variables;
  private StdStreams streams;
  private boolean eagerThreadingImport = true;
  private boolean diagnostics;
  private boolean runtimeControl;
  private ProcessHandler processHandler;
  private final List<String> extraPath = new ArrayList<>();
  private Consumer<Context.Builder> customizer;
  private Consumer<Context.Builder> thisContextOnly;

  PythonContextBuilder(TaskRuntime runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
  }

  /** Lets Python reach every public Java class and member (off by default). */
  public PythonContextBuilder fullHostAccess(boolean value) {
    this.fullHostAccess = value;
    return this;
  }

  /** Full file-system access (read and write). Default: read-only. */
  public PythonContextBuilder allowFileWrites(boolean value) {
    this.readOnlyFiles = !value;
    return this;
  }

  public PythonContextBuilder allowProcesses(boolean value) {
    this.allowProcesses = value;
    return this;
  }

  /** Python's {@code os.environ} sees the process environment (default: empty). */
  public PythonContextBuilder inheritEnvironment(boolean value) {
    this.inheritEnvironment = value;
    return this;
  }

  /**
   * Python's {@code os.environ} is exactly {@code vars} (implies {@link #inheritEnvironment}):
   * a warm daemon's run sees its client's environment, never the daemon's own.
   */
  PythonContextBuilder environment(Map<String, String> vars) {
    this.variables = Map.copyOf(vars);
    this.inheritEnvironment = true;
    return this;
  }

  /**
   * The context's stdin/stdout/stderr, also for the subprocesses it starts with inherited
   * stdio and for its worker interpreters (a warm daemon's run talks to its client only).
   */
  PythonContextBuilder streams(StdStreams s) {
    this.streams = Objects.requireNonNull(s, "streams");
    return this;
  }

  /** Adds a folder to {@code sys.path} (after the makeparallel package). */
  public PythonContextBuilder addPythonPath(Path folder) {
    extraPath.add(folder.toAbsolutePath().toString());
    return this;
  }

  /**
   * Whether {@link #build()} imports {@code threading} on the calling thread right away (default
   * true). Only a context whose Python code runs on pool threads solely through makeparallel,
   * which imports {@code threading} when it is imported, may turn this off.
   */
  PythonContextBuilder eagerThreadingImport(boolean value) {
    this.eagerThreadingImport = value;
    return this;
  }

  /**
   * Whether the context also gets {@value Diagnostics#BINDING} (forced-GC heap figures, worker
   * context counts) for leak tests and benchmarks. Off by default: a guest has no business
   * pausing the process or watching other contexts.
   */
  PythonContextBuilder diagnostics(boolean value) {
    this.diagnostics = value;
    return this;
  }

  /**
   * Whether Python code in the context may change the runtime it shares with every other
   * context (default: no). With it, {@code shutdown()}, {@code reset_shutdown()},
   * {@code set_max_concurrent_tasks}, {@code configure_memory_limit}, {@code configure_thread_pool},
   * {@code configure(max_workers=...)}, the priority worker's start and stop and
   * {@code reset_metrics()} act on the whole runtime; without it they raise
   * {@code PermissionError} and change nothing. Submitting, waiting, cancelling its own tasks and
   * reading figures need no permission. Allow it when the context's code owns the runtime (the
   * launcher's main context does), not for code you would not let stop your other contexts'
   * work. Its worker interpreters get the same answer.
   */
  public PythonContextBuilder allowRuntimeControl(boolean value) {
    this.runtimeControl = value;
    return this;
  }

  /** Starts the context's subprocesses through {@code handler} (worker contexts track theirs). */
  PythonContextBuilder processHandler(ProcessHandler handler) {
    this.processHandler = handler;
    return this;
  }

  /**
   * Last-word hook for options this builder does not cover (stdin/stdout, arguments, ...). It is
   * applied to this context and, in the same way, to every worker interpreter that runs its
   * {@code interpreters} tasks, so it may narrow or widen both.
   */
  public PythonContextBuilder customize(Consumer<Context.Builder> customizer) {
    this.customizer = Objects.requireNonNull(customizer, "customizer");
    return this;
  }

  /**
   * Options for the context built here only, never for its worker interpreters (not part of
   * its {@link ContextPolicy}): a warm run's main program needs GraalPy's inspect flag.
   */
  PythonContextBuilder thisContextOnly(Consumer<Context.Builder> hook) {
    this.thisContextOnly = Objects.requireNonNull(hook, "hook");
    return this;
  }

  /** What this builder would build now, as an immutable value (see {@link ContextPolicy}). */
  ContextPolicy policy() {
    return new ContextPolicy(fullHostAccess, !readOnlyFiles, allowProcesses, inheritEnvironment,
        diagnostics, runtimeControl, extraPath, variables, streams, customizer);
  }

  /** Creates the context, applies the close-hang workaround and installs the bridge. */
  public Context build() {
    List<String> path = new ArrayList<>();
    path.add(ResourceLocations.pythonPackageRoot().toString());
    path.addAll(extraPath);
    io = SizedReadFileSystem.ioAccess(readOnlyFiles); // /proc files read as under CPython
    Context.Builder b = Context.newBuilder("python")
        .engine(SharedEngine.get())
        .allowHostAccess(fullHostAccess ? HostAccess.ALL : BRIDGE_ACCESS)
        .allowPolyglotAccess(PolyglotAccess.newBuilder().allowBindingsAccess("python").build())
        .allowCreateThread(true)
        .allowIO(io)
        .allowCreateProcess(allowProcesses)
        .allowEnvironmentAccess(inheritEnvironment && variables == null ? EnvironmentAccess.INHERIT : EnvironmentAccess.NONE)
        .option("python.PythonPath", String.join(java.io.File.pathSeparator, path));
    if (fullHostAccess) {
      b.allowHostClassLookup(name -> true);
    }
    if (variables != null) {
      b.environment(variables); // with access NONE: these and nothing of the process's
    }
    if (streams != null) {
      b.in(streams.in()).out(streams.out()).err(streams.err());
    }
    if (processHandler != null) {
      b.processHandler(processHandler);
    } else if (streams != null) {
      b.processHandler(new ChildProcesses(streams));
    }
    if (customizer != null) {
      customizer.accept(b);
    }
    if (thisContextOnly != null) {
      thisContextOnly.accept(b);
    }
    Context ctx = b.build();
    try {
      // Importing threading first on a pool thread makes Context.close() hang (DESIGN.md §1).
      // Importing makeparallel does it too, on the importing thread, so a context whose owner
      // surely imports the package first (the launcher's main context) may skip this ~2 s.
      if (eagerThreadingImport) {
        ctx.eval("python", "import threading");
      }
      // The bridge, one binding per concern (tasks, control, metrics): see Bridge.
      ContextPolicy policy = policy();
      ctx.getPolyglotBindings().putMember(Bridge.BINDING, new Bridge(runtime, policy));
      ctx.getPolyglotBindings().putMember(ControlBridge.BINDING, new ControlBridge(runtime, policy));
      ctx.getPolyglotBindings().putMember(MetricsBridge.BINDING, new MetricsBridge(runtime, policy));
      ctx.getPolyglotBindings().putMember(SharedCode.BINDING, new SharedCode());
      if (diagnostics) {
        ctx.getPolyglotBindings().putMember(Diagnostics.BINDING, new Diagnostics());
      }
    } catch (RuntimeException e) {
      ctx.close(true);
      throw e;
    }
    return ctx;
  }
}
