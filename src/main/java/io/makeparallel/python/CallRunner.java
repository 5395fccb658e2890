package io.makeparallel.python;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskFailure;

/**
 * What runs a pickled call on the current thread: a worker interpreter ({@code interpreters})
 * or a member of the cluster ({@code cluster}). Each backend's worker thread binds its own.
 */
interface CallRunner {
  ThreadLocal<CallRunner> CURRENT = new ThreadLocal<>();

  /**
   * Runs {@code call} with at most the permissions of {@code policy} (the submitter's); returns
   * the pickled result, or null if the task was cancelled first. {@code retriesOnLoss}: how many
   * times the call may run again elsewhere when the worker running it is lost (a cluster member;
   * the task was marked retryable, so running it twice is allowed).
   *
   * @throws TaskFailure with a {@link RemoteError} when the call raised, or the runtime's own
   *     exception (cancelled, the worker exited, the member was lost)
   */
  Object execute(Task task, String call, ContextPolicy policy, int retriesOnLoss) throws TaskFailure;
}
