package io.makeparallel.task;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What to run and how: the input to {@code TaskRuntime.submit}. Immutable.
 *
 * @param name       a display name (the Python layer passes the function's qualified name),
 *                   used in logs and metrics
 * @param backend    backend name ({@code "threads"} or {@code "interpreters"})
 * @param priority   higher runs first; FIFO among equals
 * @param timeout    deadline from submission, or null
 * @param dependsOn  tasks that must succeed first (may be empty)
 * @param fromPriorityLauncher true for {@code parallel_priority} tasks (pausable)
 * @param body       the code
 */
public record TaskSpec(String name, String backend, int priority, Duration timeout,
    List<Task> dependsOn, boolean fromPriorityLauncher, TaskBody body) {

  public TaskSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(body, "body");
    dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
    }
  }

  /** A plain task on the given backend: priority 0, no timeout, no dependencies. */
  public static TaskSpec of(String name, String backend, TaskBody body) {
    return new TaskSpec(name, backend, 0, null, List.of(), false, body);
  }
}
