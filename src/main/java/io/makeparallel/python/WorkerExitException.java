package io.makeparallel.python;

import io.makeparallel.MakeParallelException;

/**
 * A task's code called {@code os._exit(status)} in a worker interpreter. The worker (not the
 * process) exits: its context is discarded and a fresh one takes the next task, as a
 * ProcessPoolExecutor's caller sees BrokenProcessPool rather than exiting itself. Immutable.
 */
public final class WorkerExitException extends MakeParallelException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public WorkerExitException(String taskId, int status) {
    super("task " + taskId + " called os._exit(" + status + "): its worker interpreter exited and was "
        + "replaced by a fresh one (the program goes on)");
    this.status = status;
  }

  /** The status passed to {@code os._exit}. */
  public int status() {
    return status;
  }
}
