package io.makeparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TrackingExecutorTest {
  private final Queue<Runnable> queued = new ArrayDeque<>();
  private final TrackingExecutor executor = new TrackingExecutor(queued::add);
  private final AtomicInteger drained = new AtomicInteger();

  @Test
  void countsCallbacksUntilTheyFinish() {
    executor.onDrained(drained::incrementAndGet);
    List<String> ran = new ArrayList<>();
    executor.execute(() -> ran.add("a"));
    executor.execute(() -> ran.add("b"));
    assertEquals(2, executor.inFlight());
    queued.poll().run();
    assertEquals(1, executor.inFlight());
    assertEquals(0, drained.get());
    queued.poll().run();
    assertEquals(0, executor.inFlight());
    assertEquals(1, drained.get(), "drained once, when the count reaches zero");
    assertEquals(List.of("a", "b"), ran);
  }

  @Test
  void throwingCallbackIsStillCounted() {
    executor.onDrained(drained::incrementAndGet);
    IllegalStateException boom = new IllegalStateException("boom");
    executor.execute(() -> {
      throw boom;
    });
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> queued.poll().run());
    assertSame(boom, e);
    assertEquals(0, executor.inFlight());
    assertEquals(1, drained.get());
  }

  @Test
  void rejectedCallbackIsUncountedAndRethrown() {
    TrackingExecutor rejecting = new TrackingExecutor(r -> {
      throw new RejectedExecutionException("full");
    });
    rejecting.onDrained(drained::incrementAndGet);
    assertThrows(RejectedExecutionException.class, () -> rejecting.execute(() -> { }));
    assertEquals(0, rejecting.inFlight());
    assertEquals(1, drained.get());
  }

  @Test
  void inlineDelegateDrainsImmediately() {
    TrackingExecutor inline = new TrackingExecutor(Runnable::run);
    inline.onDrained(drained::incrementAndGet);
    AtomicInteger seenInFlight = new AtomicInteger(-1);
    inline.execute(() -> seenInFlight.set(inline.inFlight()));
    assertEquals(1, seenInFlight.get(), "counted while it runs");
    assertEquals(0, inline.inFlight());
    assertEquals(1, drained.get());
  }
}
