package io.makeparallel;

import io.makeparallel.internal.Backend;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskState;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Schedules a dependent task when its dependencies finish: no thread waits. The first
 * dependency that fails, is cancelled or times out fails the dependent at once with
 * {@link DependencyException}.
 */
final class DependencyTrigger {
  private DependencyTrigger() {}

  static void attach(Task task, List<Task> deps, Backend backend, BooleanSupplier shutdown) {
    AtomicInteger pending = new AtomicInteger(deps.size());
    for (Task dep : deps) {
      dep.whenDone(d -> {
        if (d.state() != TaskState.SUCCEEDED) {
          task.fail(new DependencyException(task.id(), d.id(), d.error()));
        } else if (pending.decrementAndGet() == 0 && task.markReady()) {
          if (shutdown.getAsBoolean()) {
            task.fail(new ShutdownException("Task " + task.id() + " was waiting for dependencies at shutdown"));
          } else {
            backend.enqueue(task);
          }
        }
      });
    }
  }
}
