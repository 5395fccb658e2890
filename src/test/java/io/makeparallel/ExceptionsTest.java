package io.makeparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExceptionsTest {
  @Test
  void everyRuntimeExceptionSharesTheUncheckedRoot() {
    assertInstanceOf(RuntimeException.class, new MakeParallelException("x"));
    assertInstanceOf(MakeParallelException.class, new ShutdownException("x"));
    assertInstanceOf(MakeParallelException.class, new MemoryLimitException("x"));
    assertInstanceOf(MakeParallelException.class, new TaskCancelledException("x"));
    assertInstanceOf(MakeParallelException.class,
        new TaskTimeoutException("task_1", Duration.ofSeconds(1)));
    assertInstanceOf(MakeParallelException.class, new DependencyException("a", "b", null));
  }

  @Test
  void rootKeepsItsCause() {
    Throwable cause = new IllegalStateException();
    assertSame(cause, new MakeParallelException("m", cause).getCause());
  }

  @Test
  void timeoutNamesTheTaskAndTheDeadline() {
    TaskTimeoutException e = new TaskTimeoutException("task_7", Duration.ofMillis(1500));
    assertEquals(Duration.ofMillis(1500), e.getTimeout());
    assertEquals("Task task_7 timed out after 1.500s", e.getMessage());
  }

  @Test
  void dependencyFailureCarriesTheDependencyAndItsError() {
    Object guestError = new Object();
    DependencyException e = new DependencyException("task_2", "task_1", guestError);
    assertEquals("task_1", e.getDependencyId());
    assertSame(guestError, e.getDependencyError());
    assertEquals("Task task_2 cannot run: dependency task_1 did not succeed", e.getMessage());
  }
}
