package io.makeparallel;

import java.time.Duration;

/**
 * The outcome of a task whose deadline ({@code TaskSpec.timeout}, from submission) passed before it
 * finished. Carries the timeout that was exceeded.
 *
 * <p>Immutable and thread-safe.
 */
public class TaskTimeoutException extends MakeParallelException {
  private static final long serialVersionUID = 1L;
  private final Duration timeout;

  public TaskTimeoutException(String taskId, Duration timeout) {
    super(String.format(java.util.Locale.ROOT, "Task %s timed out after %.3fs", taskId, timeout.toNanos() / 1e9));
    this.timeout = timeout;
  }

  /** The deadline, measured from submission, that the task exceeded. */
  public Duration getTimeout() {
    return timeout;
  }
}
