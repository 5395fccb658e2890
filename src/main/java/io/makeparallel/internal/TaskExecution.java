package io.makeparallel.internal;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskFailure;

/**
 * Runs one task's body on the current thread and resolves the task from its outcome. Knows the
 * task running on each worker thread, for {@code get_current_task_id} and cancellation checks.
 */
public final class TaskExecution {
  private static final ThreadLocal<Task> CURRENT = new ThreadLocal<>();
  private static final TaskAccess TASKS = TaskAccess.get();

  private TaskExecution() {}

  /** The task whose code is running on this thread, or null. */
  public static Task current() {
    return CURRENT.get();
  }

  /** Runs {@code task} here unless it was resolved (cancelled, timed out) while queued. */
  public static void runHere(Task task) {
    runHere(task, null);
  }

  /** As {@link #runHere(Task)}, with a hook that stops the running code on cancel. */
  public static void runHere(Task task, Runnable hardCanceller) {
    TaskBody body = TASKS.body(task);
    if (body == null || !TASKS.markRunning(task, hardCanceller)) {
      return;
    }
    Task outer = CURRENT.get();
    CURRENT.set(task);
    try {
      TASKS.succeed(task, body.run(task));
    } catch (TaskFailure f) {
      TASKS.fail(task, f.error());
    } catch (Throwable t) {
      TASKS.fail(task, t);
    } finally {
      CURRENT.set(outer);
      TASKS.codeFinished(task);
    }
  }
}
