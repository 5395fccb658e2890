package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import java.util.List;
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

  final boolean fullHostAccess;
  final boolean fileWrites;
  final boolean processes;
  final boolean environment;
  final boolean diagnostics;
  final List<String> extraPath;
  /** The builder's customizer, or null for none; compared by identity. */
  final Consumer<Context.Builder> customizer;

  ContextPolicy(boolean fullHostAccess, boolean fileWrites, boolean processes, boolean environment,
      boolean diagnostics, List<String> extraPath, Consumer<Context.Builder> customizer) {
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
        .diagnostics(diagnostics);
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
        && diagnostics == p.diagnostics && extraPath.equals(p.extraPath)
        && customizer == p.customizer;
  }

  @Override
  public int hashCode() {
    return Objects.hash(fullHostAccess, fileWrites, processes, environment, diagnostics, extraPath,
        System.identityHashCode(customizer));
  }

  @Override
  public String toString() {
    return "ContextPolicy[hostAccess=" + (fullHostAccess ? "all" : "bridge") + ", fileWrites=" + fileWrites
        + ", processes=" + processes + ", environment=" + environment + ", diagnostics=" + diagnostics
        + ", extraPath=" + extraPath + ", customizer=" + (customizer == null ? "none" : "set") + "]";
  }
}
