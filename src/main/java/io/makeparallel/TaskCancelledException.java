package io.makeparallel;

/**
 * Thrown inside a task (and by its handle) once the task has been cancelled.
 *
 * <p>Immutable and thread-safe.
 */
public class TaskCancelledException extends MakeParallelException {
  private static final long serialVersionUID = 1L;

  public TaskCancelledException(String message) {
    super(message);
  }
}
