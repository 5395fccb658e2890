package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.graalvm.polyglot.Context;

/**
 * How a context was built: everything that decides what its Python code may do. Captured by
 * {@link PythonContextBuilder#build()} and handed to the context's {@link Bridge}, so that every
 * context the runtime makes on that context's behalf (worker interpreters) is built the same way
 * and never gets more than the context that asked (STYLE.md habit 13).
 *
 * <p>Two policies are equal when every permission is equal and the customizer is the very same
 * object: a customizer may narrow or widen anything, and two different ones cannot be compared,
 * so they count as different policies (the worker context is then rebuilt; never shared).
 *
 * <p>Immutable and thread-safe.
 */
final class ContextPolicy {
  /** The narrowest policy: what a default {@link PythonContextBuilder} builds. */
  static final ContextPolicy NARROWEST =
      new ContextPolicy(false, false, false, false, false, List.of(), null);

  /**
   * Whether the context's Python code may change what it shares with every other context of the
   * runtime: limits, pool sizes, the priority worker, metrics, shutdown. Off unless the builder
   * allowed it; a launcher's or a warm run's main context (one program owning its runtime) does.
   */
  final boolean runtimeControl;

  final boolean fullHostAccess;
  final boolean fileWrites;
  final boolean processes;
  final boolean environment;
  final boolean diagnostics;
  final List<String> extraPath;
  /**
   * With {@link #environment}: exactly these variables (a warm daemon's run gets its client's
   * environment, not the daemon's); null means the process environment.
   */
  final Map<String, String> variables;
  /** A warm daemon run's standard streams, or null for the process's. */
  final StdStreams streams;
  /** The builder's customizer, or null for none; compared by identity. */
  final Consumer<Context.Builder> customizer;

  ContextPolicy(boolean fullHostAccess, boolean fileWrites, boolean processes, boolean environment,
      boolean diagnostics, List<String> extraPath, Consumer<Context.Builder> customizer) {
    this(fullHostAccess, fileWrites, processes, environment, diagnostics, false, extraPath, null, null, customizer);
  }

  ContextPolicy(boolean fullHostAccess, boolean fileWrites, boolean processes, boolean environment,
      boolean diagnostics, boolean runtimeControl, List<String> extraPath, Map<String, String> variables,
      StdStreams streams, Consumer<Context.Builder> customizer) {
    this.runtimeControl = runtimeControl;
    this.variables = variables == null ? null : Map.copyOf(variables);
    this.streams = streams;
    this.fullHostAccess = fullHostAccess;
    this.fileWrites = fileWrites;
    this.processes = processes;
    this.environment = environment;
    this.diagnostics = diagnostics;
    this.extraPath = List.copyOf(extraPath);
    this.customizer = customizer;
  }

  /** A builder that builds contexts exactly as this policy says. */
  PythonContextBuilder builder(TaskRuntime runtime) {
    PythonContextBuilder b = PythonContexts.builder(runtime)
        .fullHostAccess(fullHostAccess)
        .allowFileWrites(fileWrites)
        .allowProcesses(processes)
        .inheritEnvironment(environment)
        .diagnostics(diagnostics)
        .allowRuntimeControl(runtimeControl);
    if (variables != null) {
      b.environment(variables);
    }
    if (streams != null) {
      b.streams(streams);
    }
    for (String p : extraPath) {
      b.addPythonPath(java.nio.file.Path.of(p));
    }
    if (customizer != null) {
      b.customize(customizer);
    }
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ContextPolicy p
        && fullHostAccess == p.fullHostAccess && fileWrites == p.fileWrites
        && processes == p.processes && environment == p.environment
        && diagnostics == p.diagnostics && runtimeControl == p.runtimeControl && extraPath.equals(p.extraPath)
        && Objects.equals(variables, p.variables) && streams == p.streams
        && customizer == p.customizer;
  }

  @Override
  public int hashCode() {
    return Objects.hash(fullHostAccess, fileWrites, processes, environment, diagnostics, runtimeControl, extraPath,
        variables,
        System.identityHashCode(streams), System.identityHashCode(customizer));
  }

  @Override
  public String toString() {
    return "ContextPolicy[hostAccess=" + (fullHostAccess ? "all" : "bridge") + ", fileWrites=" + fileWrites
        + ", processes=" + processes + ", environment=" + environment
        + (variables == null ? "" : " (" + variables.size() + " given)") + ", diagnostics=" + diagnostics + ", runtimeControl=" + runtimeControl
        + ", extraPath=" + extraPath + (streams == null ? "" : ", own streams") + ", customizer=" + (customizer == null ? "none" : "set") + "]";
  }
}
