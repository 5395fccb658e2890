package io.makeparallel.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.ShutdownException;
import io.makeparallel.testing.Awaits;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AdmissionGateTest {
  private final AdmissionGate gate = new AdmissionGate();
  private final List<Thread> threads = new ArrayList<>();

  @AfterEach
  void stopWaiters() throws InterruptedException {
    gate.setShutdown(true);
    for (Thread t : threads) {
      t.join(10_000);
      assertFalse(t.isAlive(), t.getName() + " still waiting");
    }
  }

  /** A thread that takes a slot, records the outcome, and counts down {@code done}. */
  private static final class Acquirer {
    final CountDownLatch done = new CountDownLatch(1);
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final Thread thread;

    Acquirer(AdmissionGate gate, boolean force, List<Thread> registry) {
      thread = new Thread(() -> {
        try {
          gate.acquire(force);
        } catch (Throwable t) {
          error.set(t);
        } finally {
          done.countDown();
        }
      }, "acquirer-" + registry.size());
      thread.setDaemon(true);
      registry.add(thread);
      thread.start();
    }

    void assertBlocked() {
      Awaits.untilParked(thread);
      assertEquals(1, done.getCount(), "acquire returned while every slot was taken");
    }

    void assertDone() throws InterruptedException {
      assertTrue(done.await(10, TimeUnit.SECONDS), thread.getName() + " still blocked");
    }
  }

  private Acquirer acquireInBackground(boolean force) {
    return new Acquirer(gate, force, threads);
  }

  @Test
  void unlimitedByDefault() throws InterruptedException {
    assertNull(gate.limit());
    for (int i = 0; i < 1000; i++) {
      gate.acquire(false);
    }
    assertEquals(1000, gate.inUse());
  }

  @Test
  void acquireBlocksAtTheLimitUntilASlotIsReleased() throws InterruptedException {
    gate.setLimit(2);
    assertEquals(2, gate.limit());
    gate.acquire(false);
    gate.acquire(false);
    Acquirer third = acquireInBackground(false);
    third.assertBlocked();
    assertEquals(2, gate.inUse());

    gate.release();
    third.assertDone();
    assertNull(third.error.get());
    assertEquals(2, gate.inUse());
  }

  @Test
  void eachReleaseAdmitsOneWaiter() throws InterruptedException {
    gate.setLimit(1);
    gate.acquire(false);
    Acquirer a = acquireInBackground(false);
    Acquirer b = acquireInBackground(false);
    a.assertBlocked();
    b.assertBlocked();

    gate.release();
    Awaits.until(() -> a.done.getCount() + b.done.getCount() == 1, "one waiter admitted");
    assertEquals(1, gate.inUse());
    Acquirer stillWaiting = a.done.getCount() == 1 ? a : b;
    stillWaiting.assertBlocked();

    gate.release();
    stillWaiting.assertDone();
    assertEquals(1, gate.inUse());
  }

  @Test
  void raisingTheLimitAdmitsWaiters() throws InterruptedException {
    gate.setLimit(1);
    gate.acquire(false);
    Acquirer a = acquireInBackground(false);
    a.assertBlocked();
    gate.setLimit(2);
    a.assertDone();
    assertEquals(2, gate.inUse());
  }

  @Test
  void removingTheLimitUnblocksEveryWaiter() throws InterruptedException {
    gate.setLimit(1);
    gate.acquire(false);
    Acquirer a = acquireInBackground(false);
    Acquirer b = acquireInBackground(false);
    a.assertBlocked();
    b.assertBlocked();
    gate.setLimit(null);
    a.assertDone();
    b.assertDone();
    assertNull(a.error.get());
    assertNull(b.error.get());
    assertNull(gate.limit());
    assertEquals(3, gate.inUse());
  }

  @Test
  void loweringTheLimitBelowInUseHoldsNewcomers() throws InterruptedException {
    gate.acquire(false);
    gate.acquire(false);
    gate.acquire(false);
    gate.setLimit(2);
    Acquirer a = acquireInBackground(false);
    a.assertBlocked();
    gate.release();
    a.assertBlocked();
    gate.release();
    a.assertDone();
    assertEquals(2, gate.inUse());
  }

  @Test
  void shutdownWakesWaitersWithShutdownException() throws InterruptedException {
    gate.setLimit(1);
    gate.acquire(false);
    Acquirer a = acquireInBackground(false);
    Acquirer b = acquireInBackground(false);
    a.assertBlocked();
    b.assertBlocked();
    gate.setShutdown(true);
    a.assertDone();
    b.assertDone();
    for (Acquirer x : List.of(a, b)) {
      ShutdownException e = assertInstanceOf(ShutdownException.class, x.error.get());
      assertEquals("Cannot start new tasks: shutdown in progress", e.getMessage());
    }
    assertEquals(1, gate.inUse(), "woken waiters took no slot");
  }

  @Test
  void shutdownRefusesEvenForcedAcquisitionUntilReset() throws InterruptedException {
    gate.setShutdown(true);
    ShutdownException e = assertThrows(ShutdownException.class, () -> gate.acquire(false));
    assertEquals(AdmissionGate.SHUTDOWN_MESSAGE, e.getMessage());
    assertThrows(ShutdownException.class, () -> gate.acquire(true));
    assertEquals(0, gate.inUse());
    gate.setShutdown(false);
    gate.acquire(false);
    assertEquals(1, gate.inUse());
  }

  @Test
  void forcedAcquireBypassesTheLimit() throws InterruptedException {
    gate.setLimit(1);
    gate.acquire(false);
    Acquirer forced = acquireInBackground(true);
    forced.assertDone();
    assertNull(forced.error.get());
    assertEquals(2, gate.inUse());
    // A forced slot is a real slot: releasing one still leaves the gate full.
    gate.release();
    Acquirer normal = acquireInBackground(false);
    normal.assertBlocked();
    gate.release();
    normal.assertDone();
  }

  @Test
  void interruptedWaiterLeavesWithoutASlot() throws InterruptedException {
    gate.setLimit(1);
    gate.acquire(false);
    Acquirer a = acquireInBackground(false);
    a.assertBlocked();
    a.thread.interrupt();
    a.assertDone();
    assertInstanceOf(InterruptedException.class, a.error.get());
    assertEquals(1, gate.inUse());
  }

  @Test
  void releaseNeverGoesBelowZero() throws InterruptedException {
    gate.release();
    assertEquals(0, gate.inUse());
    gate.setLimit(1);
    gate.acquire(false);
    assertEquals(1, gate.inUse());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void invalidLimitNamesTheParameterAndValue(int bad) {
    gate.setLimit(3);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> gate.setLimit(bad));
    assertTrue(e.getMessage().contains("max must be >= 1"), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
    assertEquals(3, gate.limit(), "a rejected limit leaves the old one");
  }
}
