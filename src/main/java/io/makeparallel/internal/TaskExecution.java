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
    TaskBody body = task.body();
    if (body == null || !task.markRunning(hardCanceller)) {
      return;
    }
    Task outer = CURRENT.get();
    CURRENT.set(task);
    try {
      task.succeed(body.run(task));
    } catch (TaskFailure f) {
      task.fail(f.error());
    } catch (Throwable t) {
      task.fail(t);
    } finally {
      CURRENT.set(outer);
      task.codeFinished();
    }
  }
}
