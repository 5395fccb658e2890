package io.makeparallel.lincheck;

import io.makeparallel.internal.TaskAccess;
import io.makeparallel.task.Task;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the handle state machine: concurrent succeed / fail / cancel / timeOut /
 * markRunning and reads behave like a sequential order, so exactly one resolution wins.
 * Runs in the {@code stress} profile.
 */
@Tag("stress")
public class TaskLincheckTest {
  private final Task task = TaskAccess.get().builder().id("task_l").name("l").body(t -> null).build();

  @Operation
  public boolean succeed() {
    return TaskAccess.get().succeed(task, "v");
  }

  @Operation
  public boolean fail() {
    return TaskAccess.get().fail(task, "e");
  }

  @Operation
  public boolean cancel() {
    return task.cancel();
  }

  @Operation
  public boolean markRunning() {
    return TaskAccess.get().markRunning(task, null);
  }

  @Operation
  public String state() {
    return task.state().name();
  }

  @Operation
  public Object result() {
    return task.result();
  }

  @Test
  void linearizable() {
    new ModelCheckingOptions().iterations(10).invocationsPerIteration(200)
        .check(TaskLincheckTest.class);
  }
}
