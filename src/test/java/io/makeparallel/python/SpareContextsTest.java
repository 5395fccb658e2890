package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The standby-context holder, with a counting factory and builds run by hand. */
class SpareContextsTest {
  /** Runs submitted builds only when the test says so. */
  static final class ManualExecutor extends AbstractExecutorService {
    final ArrayDeque<Runnable> pending = new ArrayDeque<>();
    boolean shutdown;

    void runAll() {
      Runnable r;
      while ((r = pending.poll()) != null) {
        r.run();
      }
    }

    @Override public void execute(Runnable command) {
      pending.add(command);
    }

    @Override public void shutdown() {
      shutdown = true;
    }

    @Override public List<Runnable> shutdownNow() {
      shutdown = true;
      return new ArrayList<>(pending);
    }

    @Override public boolean isShutdown() {
      return shutdown;
    }

    @Override public boolean isTerminated() {
      return shutdown && pending.isEmpty();
    }

    @Override public boolean awaitTermination(long timeout, TimeUnit unit) {
      return isTerminated();
    }
  }

  private final AtomicInteger built = new AtomicInteger();
  private final List<Integer> closed = new ArrayList<>();
  private final ManualExecutor builder = new ManualExecutor();
  private final SpareContexts<String, Integer> spares =
      new SpareContexts<>(key -> built.incrementAndGet(), closed::add, builder);

  @Test
  void buildsNothingUntilArmed() {
    assertNull(spares.take("a"));
    builder.runAll();
    assertEquals(0, built.get(), "a program that never cancels pays for no spare");
  }

  @Test
  void armedKeepsExactlyOneReadyAndRefillsAfterATake() {
    int heldBefore = SpareContexts.held();
    int readyBefore = SpareContexts.ready();
    spares.arm("a");
    spares.arm("a"); // idempotent: still one build
    assertEquals(1, builder.pending.size());
    assertEquals(heldBefore + 1, SpareContexts.held(), "a spare being built already counts as standby");
    assertEquals(readyBefore, SpareContexts.ready(), "but not as ready");
    builder.runAll();
    assertEquals(heldBefore + 1, SpareContexts.held(), "the leak-check count includes the spare");
    assertEquals(readyBefore + 1, SpareContexts.ready());
    assertSame(1, spares.take("a"));
    assertEquals(readyBefore, SpareContexts.ready());
    assertEquals(heldBefore + 1, SpareContexts.held(), "the taken one is a worker's; the next is being built");
    assertEquals(1, builder.pending.size(), "taking the spare starts the next one");
    assertNull(spares.take("a"), "the next one is not ready until built");
    assertEquals(1, builder.pending.size(), "no second build while one is under way");
    builder.runAll();
    assertSame(2, spares.take("a"));
    assertTrue(closed.isEmpty());
    spares.close(0);
    builder.runAll(); // #3, started by the last take, is closed as it finishes
    assertEquals(List.of(3), closed);
    assertEquals(heldBefore, SpareContexts.held(), "nothing counted as standby after close");
    assertEquals(readyBefore, SpareContexts.ready());
  }

  @Test
  void closeDiscardsTheReadySpareAndOneStillBeingBuilt() {
    int heldBefore = SpareContexts.held();
    spares.arm("a");
    builder.runAll();
    assertSame(1, spares.take("a")); // a build of #2 is now pending
    spares.close(0);
    builder.runAll(); // the build finishes after close: its context must be closed, not kept
    assertEquals(List.of(2), closed);
    assertNull(spares.take("a"));
    builder.runAll();
    assertEquals(2, built.get(), "nothing is built after close");
    assertTrue(builder.isShutdown());
    assertEquals(heldBefore, SpareContexts.held());
  }

  @Test
  void aFailedBuildLeavesNoSpareAndTheNextTakeTriesAgain() {
    int heldBefore = SpareContexts.held();
    AtomicInteger calls = new AtomicInteger();
    SpareContexts<String, Integer> flaky = new SpareContexts<>(key -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("engine closing");
      }
      return calls.get();
    }, closed::add, builder);
    flaky.arm("a");
    builder.runAll();
    assertEquals(heldBefore, SpareContexts.held(), "a failed build is not counted as standby");
    assertNull(flaky.take("a"));
    builder.runAll();
    assertSame(2, flaky.take("a"));
    flaky.close(0);
    builder.runAll();
    assertEquals(heldBefore, SpareContexts.held());
  }

  /** Issue 14: a spare is for the policy it was built with; a worker of another never gets it. */
  @Test
  void aSpareOfAnotherKeyIsDiscardedNeverHandedOut() {
    int heldBefore = SpareContexts.held();
    int readyBefore = SpareContexts.ready();
    spares.arm("a");
    builder.runAll(); // #1, for "a", ready
    assertNull(spares.take("b"), "a spare built for another policy was handed out");
    assertEquals(List.of(1), closed, "the spare of the other policy is discarded");
    assertEquals(readyBefore, SpareContexts.ready());
    builder.runAll(); // #2, for "b": the policy last asked for
    assertSame(2, spares.take("b"));
    spares.close(0);
    builder.runAll();
    assertEquals(heldBefore, SpareContexts.held());
    assertEquals(readyBefore, SpareContexts.ready());
  }

  @Test
  void aBuildForAKeyNoLongerWantedIsDiscardedAndTheWantedOneBuilt() {
    int heldBefore = SpareContexts.held();
    spares.arm("a"); // build #1 for "a" pending
    assertNull(spares.take("b"));
    builder.runAll(); // #1 finishes for "a", unwanted now: closed; #2 for "b" is started and built
    builder.runAll();
    assertEquals(List.of(1), closed);
    assertSame(2, spares.take("b"));
    spares.close(0);
    builder.runAll();
    assertEquals(heldBefore, SpareContexts.held());
  }
}
