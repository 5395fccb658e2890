package io.makeparallel.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskSpecTest {
  private static final TaskBody BODY = t -> null;

  @Test
  void ofIsAPlainTask() {
    TaskSpec s = TaskSpec.of("f", "threads", BODY);
    assertEquals("f", s.name());
    assertEquals("threads", s.backend());
    assertEquals(0, s.priority());
    assertNull(s.timeout());
    assertEquals(List.of(), s.dependsOn());
    assertFalse(s.fromPriorityLauncher());
    assertSame(BODY, s.body());
  }

  @Test
  void nullDependenciesMeanNone() {
    TaskSpec s = new TaskSpec("f", "threads", 0, null, null, false, BODY);
    assertEquals(List.of(), s.dependsOn());
  }

  @Test
  void dependenciesAreCopied() {
    Task dep = Task.builder().id("d").body(BODY).build();
    List<Task> deps = new ArrayList<>(List.of(dep));
    TaskSpec s = new TaskSpec("f", "threads", 0, null, deps, false, BODY);
    deps.clear();
    assertEquals(List.of(dep), s.dependsOn());
    assertThrows(UnsupportedOperationException.class, () -> s.dependsOn().add(dep));
  }

  @Test
  void timeoutMustBePositive() {
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> new TaskSpec("f", "threads", 0, Duration.ZERO, null, false, BODY));
    assertTrue(zero.getMessage().contains("timeout"), zero.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new TaskSpec("f", "threads", 0, Duration.ofMillis(-1), null, false, BODY));
    assertEquals(Duration.ofNanos(1),
        new TaskSpec("f", "threads", 0, Duration.ofNanos(1), null, false, BODY).timeout());
  }

  @Test
  void requiredParts() {
    assertThrows(NullPointerException.class, () -> TaskSpec.of(null, "threads", BODY));
    assertThrows(NullPointerException.class, () -> TaskSpec.of("f", null, BODY));
    assertThrows(NullPointerException.class, () -> TaskSpec.of("f", "threads", null));
  }

  @Test
  void taskFailureCarriesItsErrorWithoutStackTrace() {
    Object guest = new Object();
    TaskFailure f = new TaskFailure(guest);
    assertSame(guest, f.error());
    assertEquals(0, f.getStackTrace().length, "cheap to throw: no stack trace");
    assertNull(f.getMessage());
  }
}
