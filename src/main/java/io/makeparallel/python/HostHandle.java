package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskState;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;

/**
 * The view of a {@link Task} that Python's {@code AsyncHandle} holds: flat, exported methods
 * only. Waiting methods block in Java, so the caller's GIL is released while they wait.
 *
 * <p>Thread-safe (delegates to the task).
 */
public final class HostHandle {
  private final Task task;

  HostHandle(Task task) {
    this.task = task;
  }

  Task task() {
    return task;
  }

  @HostAccess.Export public String id() { return task.id(); }
  @HostAccess.Export public String name() { return task.name(); }
  @HostAccess.Export public String state() { return task.state().name().toLowerCase(java.util.Locale.ROOT); }
  @HostAccess.Export public boolean isDone() { return task.isDone(); }
  @HostAccess.Export public double elapsed() { return task.elapsedSeconds(); }
  /** The latest progress report, or None (not NaN) before the first. */
  @HostAccess.Export public Double progress() {
    double p = task.progress();
    return Double.isNaN(p) ? null : p;
  }
  @HostAccess.Export public boolean cancel() { return task.cancel(); }
  @HostAccess.Export public boolean cancelRequested() { return task.isCancelRequested(); }

  /** Waits up to {@code seconds} (None: no limit). @return true when resolved. */
  @HostAccess.Export
  public boolean awaitDone(Double seconds) {
    try {
      return TaskRuntime.await(task, seconds == null ? null : Bridge.duration(seconds));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return task.isDone();
    }
  }

  /**
   * {@code get()} in one boundary crossing: waits up to {@code seconds} (None: no limit),
   * then returns the result if the task succeeded, or this handle itself when there is no
   * result (failed, cancelled, timed out, or still running): no task can return this object,
   * since Python only ever sees handles the bridge hands out, and this one exists only once.
   */
  @HostAccess.Export
  public Object join(Double seconds) {
    if (!task.isDone()) {
      awaitDone(seconds);
    }
    return task.state() == TaskState.SUCCEEDED ? task.result() : this;
  }

  /** Cancels, then waits up to {@code seconds} for the task's code to stop. */
  @HostAccess.Export
  public boolean cancelAndWait(double seconds) {
    task.cancel();
    try {
      return task.awaitCodeReturned(Bridge.duration(Math.max(0, seconds)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @HostAccess.Export
  public Object result() {
    return task.result();
  }

  @HostAccess.Export
  public ErrorView error() {
    return ErrorView.of(task.error());
  }

  /** Registers {@code fn(None)} to run once when the task resolves (at once if it has). */
  @HostAccess.Export
  public void whenDone(Value fn) {
    task.whenDone(t -> fn.executeVoid());
  }

  @HostAccess.Export
  public void onProgress(Value fn) {
    task.onProgress(p -> {
      if (InterpreterWorker.current() != null) {
        // Reported inside a worker interpreter: never enter the caller's context nested in it.
        ProgressRelay.execute(() -> fn.executeVoid(p));
      } else {
        fn.executeVoid(p);
      }
    });
  }
}
