package io.makeparallel.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Bounded polling for conditions that other threads make true (after Caffeine's {@code Awaits}):
 * checks every millisecond and fails the test after ten seconds. Not a synchronisation
 * primitive for the code under test; only for observing it.
 */
public final class Awaits {
  public static final Duration MAX = Duration.ofSeconds(10);
  private static final long POLL_NANOS = 1_000_000L;

  private Awaits() {}

  /** Waits until {@code condition} holds; fails the test with {@code what} after {@link #MAX}. */
  public static void until(BooleanSupplier condition, String what) {
    until(condition, () -> what);
  }

  public static void until(BooleanSupplier condition, Supplier<String> what) {
    until(MAX, condition, what);
  }

  /** As {@link #until(BooleanSupplier, String)}, for what another process does (slower). */
  public static void until(Duration max, BooleanSupplier condition, Supplier<String> what) {
    long deadline = System.nanoTime() + max.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("condition not reached within " + max + ": " + what.get());
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /**
   * Waits until {@code thread} is parked (blocked on a lock, condition or latch) or has ended;
   * the caller then asserts which, so a wait that wrongly returns fails fast.
   */
  public static void untilParked(Thread thread) {
    until(() -> {
      Thread.State s = thread.getState();
      return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING
          || s == Thread.State.TERMINATED;
    }, () -> thread.getName() + " to park, state " + thread.getState());
  }
}
