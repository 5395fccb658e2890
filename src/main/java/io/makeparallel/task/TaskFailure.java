package io.makeparallel.task;

/**
 * Thrown by a {@link TaskBody} to fail its task with an arbitrary error object (for example a
 * guest-language exception) rather than with the throwable itself.
 */
public final class TaskFailure extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Object error;

  public TaskFailure(Object error) {
    super(null, null, false, false);
    this.error = error;
  }

  public Object error() {
    return error;
  }
}
