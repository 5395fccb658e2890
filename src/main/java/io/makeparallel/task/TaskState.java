package io.makeparallel.task;

/** Where a task is in its life. The last four are terminal: a task reaches exactly one of them. */
public enum TaskState {
  /** Waiting for its dependencies to finish. */
  WAITING,
  /** Ready and queued for a worker. */
  QUEUED,
  /** A worker is executing its code. */
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED,
  TIMED_OUT;

  public boolean isTerminal() {
    return ordinal() >= SUCCEEDED.ordinal();
  }
}
