package io.makeparallel;

/**
 * The outcome of a task whose worker went away while running it: a cluster member that left,
 * crashed or stopped answering. The task may or may not have run to its end there; it is
 * retried only when it was marked retryable.
 *
 * <p>Immutable and thread-safe.
 */
public class WorkerLostException extends MakeParallelException {
  private static final long serialVersionUID = 1L;

  public WorkerLostException(String message) {
    super(message);
  }

  public WorkerLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
