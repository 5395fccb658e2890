package io.makeparallel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class NamedThreadFactoryTest {
  @Test
  void namesThreadsInSequenceAsDaemons() throws InterruptedException {
    NamedThreadFactory f = new NamedThreadFactory("makeparallel-test");
    AtomicBoolean ran = new AtomicBoolean();
    Thread a = f.newThread(() -> ran.set(true));
    Thread b = f.newThread(() -> { });
    assertEquals("makeparallel-test-1", a.getName());
    assertEquals("makeparallel-test-2", b.getName());
    assertTrue(a.isDaemon());
    assertTrue(b.isDaemon());
    assertFalse(a.isAlive(), "the factory must not start threads");
    a.start();
    a.join(10_000);
    assertTrue(ran.get());
  }

  @Test
  void countersArePerFactory() {
    assertEquals("x-1", new NamedThreadFactory("x").newThread(() -> { }).getName());
    assertEquals("x-1", new NamedThreadFactory("x").newThread(() -> { }).getName());
  }
}
