package io.makeparallel;

import io.makeparallel.internal.Backend;
import io.makeparallel.internal.TaskAccess;
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
  private static final TaskAccess TASKS = TaskAccess.get();

  private DependencyTrigger() {}

  static void attach(Task task, List<Task> deps, Backend backend, BooleanSupplier shutdown) {
    AtomicInteger pending = new AtomicInteger(deps.size());
    for (Task dep : deps) {
      dep.whenDone(d -> {
        if (d.state() != TaskState.SUCCEEDED) {
          TASKS.fail(task, new DependencyException(task.id(), d.id(), d.error()));
        } else if (pending.decrementAndGet() == 0 && TASKS.markReady(task)) {
          if (shutdown.getAsBoolean()) {
            TASKS.fail(task, new ShutdownException("Task " + task.id() + " was waiting for dependencies at shutdown"));
          } else {
            backend.enqueue(task);
          }
        }
      });
    }
  }
}
