package io.makeparallel.python;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskFailure;
import org.graalvm.polyglot.Value;

/**
 * The body of an {@code interpreters} or {@code cluster} task: a pickled call (as a latin-1
 * string, which crosses the polyglot boundary in bulk) run by the worker that picks it up (a
 * worker interpreter, or a cluster member through a dispatching thread: {@link CallRunner}). When the call
 * depends on other tasks' results, {@code prepare} (a callable of the submitting context) builds
 * the payload just before it runs. {@code policy} is how the submitting context was built: the
 * worker runs the call only in a context built the same way.
 */
final class RemoteBody implements TaskBody {
  private final String payload;
  private final Value prepare;
  private final ContextPolicy policy;
  private final int retriesOnLoss;

  RemoteBody(String payload, Value prepare, ContextPolicy policy) {
    this(payload, prepare, policy, 0);
  }

  /**
   * @param retriesOnLoss times the call may run again when its worker is lost (a cluster
   *     member): the task's {@code retries}, which mark it as allowed to run more than once
   */
  RemoteBody(String payload, Value prepare, ContextPolicy policy, int retriesOnLoss) {
    if (retriesOnLoss < 0) {
      throw new IllegalArgumentException("retries must be >= 0, got " + retriesOnLoss);
    }
    this.payload = payload;
    this.prepare = prepare;
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
    this.retriesOnLoss = retriesOnLoss;
  }

  @Override
  public Object run(Task task) throws Exception {
    CallRunner runner = CallRunner.CURRENT.get();
    if (runner == null) {
      throw new IllegalStateException("task " + task.id() + " of a pickled call ran outside a worker");
    }
    String call = payload;
    if (prepare != null) {
      // Runs in the submitting context (entered and left here), never nested in the worker's.
      Value p = prepare.execute();
      if (!p.isString()) {
        throw new TaskFailure(p);
      }
      call = p.asString();
    }
    if (task.isCancelRequested()) {
      return null;
    }
    return runner.execute(task, call, policy, retriesOnLoss);
  }
}
