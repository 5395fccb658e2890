package io.makeparallel.python;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskFailure;
import org.graalvm.polyglot.Value;

/**
 * The body of an {@code interpreters} task: a pickled call (as a latin-1 string, which crosses
 * the polyglot boundary in bulk) run by the worker interpreter that picks it up. When the call
 * depends on other tasks' results, {@code prepare} (a callable of the submitting context) builds
 * the payload just before it runs. {@code policy} is how the submitting context was built: the
 * worker runs the call only in a context built the same way.
 */
final class RemoteBody implements TaskBody {
  private final String payload;
  private final Value prepare;
  private final ContextPolicy policy;

  RemoteBody(String payload, Value prepare, ContextPolicy policy) {
    this.payload = payload;
    this.prepare = prepare;
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
  }

  @Override
  public Object run(Task task) throws Exception {
    InterpreterWorker worker = InterpreterWorker.current();
    if (worker == null) {
      throw new IllegalStateException("interpreters task " + task.id() + " ran outside a worker");
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
    return worker.execute(task, call, policy);
  }
}
