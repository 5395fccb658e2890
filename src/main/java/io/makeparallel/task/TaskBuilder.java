package io.makeparallel.task;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Builds {@link Task}s for the engine, which obtains one from
 * {@code io.makeparallel.internal.TaskAccess#builder}; a Java user submits a
 * {@link TaskSpec} to {@code TaskRuntime} instead. Not thread-safe; build once per task.
 */
public final class TaskBuilder {
  String id;
  String name = "task";
  int priority;
  long sequence;
  Duration timeout;
  boolean fromPriorityLauncher;
  boolean waiting;
  LongSupplier ticker = System::nanoTime;
  Executor callbackExecutor = Runnable::run;
  TaskBody body;
  Consumer<Task> onResolved;

  TaskBuilder() {}

  public TaskBuilder id(String id) { this.id = id; return this; }
  public TaskBuilder name(String name) { this.name = name; return this; }
  public TaskBuilder priority(int priority) { this.priority = priority; return this; }
  public TaskBuilder sequence(long sequence) { this.sequence = sequence; return this; }
  public TaskBuilder timeout(Duration timeout) { this.timeout = timeout; return this; }
  public TaskBuilder fromPriorityLauncher(boolean p) { this.fromPriorityLauncher = p; return this; }
  /** True if the task starts in {@link TaskState#WAITING} for dependencies. */
  public TaskBuilder waiting(boolean waiting) { this.waiting = waiting; return this; }
  public TaskBuilder ticker(LongSupplier ticker) { this.ticker = ticker; return this; }
  public TaskBuilder callbackExecutor(Executor e) { this.callbackExecutor = e; return this; }
  public TaskBuilder body(TaskBody body) { this.body = body; return this; }

  /**
   * Bookkeeping run once, synchronously, on the thread that resolves the task, before any
   * waiter wakes (unlike {@link Task#whenDone} listeners, which go to the callback executor).
   * Must be quick and must not block; what it throws is logged and ignored.
   */
  public TaskBuilder onResolved(Consumer<Task> hook) { this.onResolved = hook; return this; }

  /** @throws NullPointerException if the id or the body is missing */
  public Task build() {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(body, "body");
    return new Task(this);
  }
}
