package io.makeparallel.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Runs N actions at once on fresh threads behind a start gate (after Caffeine's harness), and
 * waits, bounded, for all of them. The first error any action throws is rethrown.
 */
public final class ConcurrentTestHarness {
  private ConcurrentTestHarness() {}

  /** Runs {@code action(i)} for i in [0, n) on n threads released together. */
  public static <T> List<T> race(int n, IntFunction<T> action) throws InterruptedException {
    CountDownLatch ready = new CountDownLatch(n);
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch end = new CountDownLatch(n);
    List<T> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      results.add(null);
    }
    Throwable[] error = new Throwable[1];
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int idx = i;
      Thread t = new Thread(() -> {
        ready.countDown();
        try {
          start.await();
          T r = action.apply(idx);
          synchronized (results) {
            results.set(idx, r);
          }
        } catch (Throwable e) {
          synchronized (results) {
            if (error[0] == null) {
              error[0] = e;
            }
          }
        } finally {
          end.countDown();
        }
      }, "harness-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    assertTrue(ready.await(10, TimeUnit.SECONDS), "harness threads did not start");
    start.countDown();
    assertTrue(end.await(10, TimeUnit.SECONDS), "harness threads did not finish");
    synchronized (results) {
      if (error[0] != null) {
        throw new AssertionError("a racing action failed", error[0]);
      }
      return new ArrayList<>(results);
    }
  }
}
