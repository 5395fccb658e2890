package io.makeparallel.python;

import io.makeparallel.DependencyException;
import io.makeparallel.MakeParallelException;
import io.makeparallel.MemoryLimitException;
import io.makeparallel.ShutdownException;
import io.makeparallel.TaskCancelledException;
import io.makeparallel.TaskTimeoutException;
import io.makeparallel.WorkerLostException;
import java.util.List;
import java.util.Map;

/**
 * The one table from the engine's exceptions to the kinds the Python package raises them as
 * ({@code makeparallel/errors.py}'s {@code by_kind} maps each kind to its exception class, under
 * the same name). Both the bridge's fault strings and {@link ErrorView} take their kind here.
 *
 * <p>Stateless and thread-safe.
 */
final class ErrorKinds {
  /** The kind of an exception the engine did not expect at a bridge call. */
  static final String UNEXPECTED = "RuntimeError";
  /** The kind of a task's error that is no makeparallel exception (a Java failure of its body). */
  static final String TASK_ERROR = "TaskError";

  /** Most specific first: the first class the exception is an instance of names its kind. */
  private static final List<Map.Entry<Class<? extends Throwable>, String>> TABLE = List.of(
      Map.entry(DependencyException.class, "DependencyError"),
      Map.entry(TaskTimeoutException.class, "TaskTimeoutError"),
      Map.entry(TaskCancelledException.class, "TaskCancelledError"),
      Map.entry(ShutdownException.class, "ShutdownError"),
      Map.entry(MemoryLimitException.class, "MemoryLimitError"),
      Map.entry(WorkerLostException.class, "WorkerLostError"));

  private ErrorKinds() {}

  /** The kind of the specific makeparallel exceptions above, or null for any other throwable. */
  static String of(Throwable e) {
    for (Map.Entry<Class<? extends Throwable>, String> row : TABLE) {
      if (row.getKey().isInstance(e)) {
        return row.getValue();
      }
    }
    return null;
  }

  /**
   * The kind of an exception thrown at a bridge call: a rejected argument is the caller's
   * ValueError, another makeparallel exception MakeParallelError; anything unexpected is
   * {@value #UNEXPECTED}.
   */
  static String ofCall(RuntimeException e) {
    if (e instanceof IllegalArgumentException) {
      return "ValueError";
    }
    String kind = of(e);
    if (kind != null) {
      return kind;
    }
    return e instanceof MakeParallelException ? "MakeParallelError" : UNEXPECTED;
  }

  /**
   * The kind of a task's error: any other failure of its body (a worker's exit, a Java
   * exception) is {@value #TASK_ERROR}, its message naming the exception's class.
   */
  static String ofOutcome(Throwable e) {
    String kind = of(e);
    return kind == null ? TASK_ERROR : kind;
  }
}
