package io.makeparallel.issues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.testing.Awaits;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 regression: {@code TaskRuntime.close()} cancels every live task, which hands their
 * completion callbacks to the callback executor, and then called {@code shutdownNow()} on that
 * executor: callbacks still queued were dropped and running ones interrupted, so "every callback
 * fires exactly once" broke at close (found by {@code RuntimeCyclesTest}: 2 of 3 callbacks ran).
 * Close must let callbacks already handed over finish, within a bound.
 *
 * <p>Deterministic: more callbacks than the executor's four threads, each held on a latch, so
 * some are still queued when close reaches the executor; the latch opens once the closing
 * thread waits for the executor to terminate (fixed) or has returned (the bug).
 */
class Issue6CloseRunsCallbacksTest {
  private static final int CALLBACKS = 10;
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void closeRunsTheCallbacksOfTheTasksItCancels() throws InterruptedException {
    TaskRuntime rt = TaskRuntime.builder().memoryProbe(() -> 10.0).threads(1).build();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicInteger completed = new AtomicInteger();
    Task running = rt.submit(TaskSpec.of("running", "threads", t -> {
      started.countDown();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!t.isCancelRequested() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000L); // workload: polls for its cancellation
      }
      return null;
    }));
    assertTrue(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS));
    for (int i = 0; i < CALLBACKS; i++) {
      Task queued = rt.submit(TaskSpec.of("queued-" + i, "threads", t -> null));
      queued.whenDone(t -> {
        try {
          if (proceed.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            completed.incrementAndGet();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    }

    Thread closer = new Thread(rt::close, "closer");
    closer.setDaemon(true);
    closer.start();
    Awaits.until(() -> !closer.isAlive() || waitingForCallbacks(closer),
        () -> "close to wait for the callbacks or return; it is " + closer.getState());
    proceed.countDown();
    closer.join(WAIT.toMillis());
    assertFalse(closer.isAlive(), "close did not return");
    assertTrue(running.isCancelRequested());
    assertEquals(CALLBACKS, completed.get(), "callbacks of cancelled tasks that ran to the end");
  }

  private static boolean waitingForCallbacks(Thread t) {
    return Arrays.stream(t.getStackTrace())
        .anyMatch(f -> f.getMethodName().equals("awaitTermination"));
  }
}
