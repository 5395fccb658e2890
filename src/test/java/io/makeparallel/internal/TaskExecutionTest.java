package io.makeparallel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskFailure;
import io.makeparallel.task.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TaskExecutionTest {
  private static Task task(String id, TaskBody body) {
    return TaskAccess.get().builder().id(id).name(id).body(body).build();
  }

  @Test
  void returnedValueSucceedsTheTask() throws InterruptedException {
    Task t = task("ok", x -> 42);
    AtomicInteger released = new AtomicInteger();
    TaskAccess.get().setReleaser(t, released::incrementAndGet);
    TaskExecution.runHere(t);
    assertEquals(TaskState.SUCCEEDED, t.state());
    assertEquals(42, t.result());
    assertTrue(t.awaitCodeReturned(Duration.ZERO));
    assertEquals(1, released.get());
  }

  @Test
  void thrownExceptionFailsTheTaskWithIt() {
    IllegalStateException boom = new IllegalStateException("boom");
    Task t = task("bad", x -> {
      throw boom;
    });
    TaskExecution.runHere(t);
    assertEquals(TaskState.FAILED, t.state());
    assertSame(boom, t.error());
  }

  @Test
  void errorsAreCaughtToo() {
    StackOverflowError soe = new StackOverflowError("deep");
    Task t = task("soe", x -> {
      throw soe;
    });
    TaskExecution.runHere(t);
    assertSame(soe, t.error());
  }

  @Test
  void taskFailureUnwrapsItsErrorObject() {
    Object guest = new Object();
    Task t = task("guest", x -> {
      throw new TaskFailure(guest);
    });
    TaskExecution.runHere(t);
    assertEquals(TaskState.FAILED, t.state());
    assertSame(guest, t.error());
  }

  @Test
  void currentTaskIsVisibleInsideAndRestoredAfterNestedRuns() {
    List<Task> seen = new ArrayList<>();
    Task inner = task("inner", x -> {
      seen.add(TaskExecution.current());
      return null;
    });
    Task outer = task("outer", x -> {
      seen.add(TaskExecution.current());
      TaskExecution.runHere(inner);
      seen.add(TaskExecution.current());
      return null;
    });
    assertNull(TaskExecution.current());
    TaskExecution.runHere(outer);
    assertEquals(List.of(outer, inner, outer), seen);
    assertNull(TaskExecution.current());
  }

  @Test
  void currentIsClearedEvenWhenTheBodyThrows() {
    TaskExecution.runHere(task("bad", x -> {
      throw new RuntimeException();
    }));
    assertNull(TaskExecution.current());
  }

  @Test
  void taskResolvedWhileQueuedNeverRuns() {
    AtomicInteger runs = new AtomicInteger();
    Task t = task("c", x -> runs.incrementAndGet());
    t.cancel();
    TaskExecution.runHere(t);
    assertEquals(0, runs.get());
    assertEquals(TaskState.CANCELLED, t.state());
  }

  @Test
  void taskRunsAtMostOnce() {
    AtomicInteger runs = new AtomicInteger();
    Task t = task("once", x -> runs.incrementAndGet());
    TaskExecution.runHere(t);
    TaskExecution.runHere(t);
    assertEquals(1, runs.get());
  }

  @Test
  void cancelInsideTheBodyKeepsCancelledStateAndPassesTheHardCanceller() {
    AtomicInteger hard = new AtomicInteger();
    AtomicReference<Boolean> flagged = new AtomicReference<>();
    Task t = task("self-cancel", x -> {
      x.cancel();
      flagged.set(x.isCancelRequested());
      return "ignored";
    });
    TaskExecution.runHere(t, hard::incrementAndGet);
    assertEquals(TaskState.CANCELLED, t.state());
    assertEquals(Boolean.TRUE, flagged.get());
    assertEquals(1, hard.get());
    assertNull(t.result(), "a late result must not overwrite the cancellation");
    assertTrue(t.isReleased());
  }
}
