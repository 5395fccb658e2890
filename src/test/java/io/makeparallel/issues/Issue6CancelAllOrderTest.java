package io.makeparallel.issues;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 regression: {@code cancelAll()} (Ctrl-C) and {@code close()} cancelled live tasks in
 * hash order, so cancelling the running task first freed its worker, which started a queued
 * task that had not been cancelled yet (found by {@code RuntimeCyclesTest}: a queued task
 * SUCCEEDED after {@code close()}). {@code shutdown(cancelPending)} had been fixed the same way
 * before. Queued tasks must be cancelled before running ones.
 *
 * <p>Made deterministic: callbacks run synchronously inside {@code cancel()}, and the running
 * task's callback lets its body return and then holds the cancelling thread until a queued task
 * starts (the bug) or a short quiet period passes (fixed), so the worker always gets its chance
 * while the rest are still uncancelled. With hash order the running task is cancelled last only
 * by chance (1 in {@value #QUEUED} + 1 per round), so several rounds make a miss negligible.
 */
class Issue6CancelAllOrderTest {
  private static final int QUEUED = 10;
  private static final int ROUNDS = 5;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long QUIET_MILLIS = 100;

  @Test
  void cancelAllNeverStartsAQueuedTask() throws InterruptedException {
    for (int round = 0; round < ROUNDS; round++) {
      assertNoQueuedTaskRuns(round, TaskRuntime::cancelAll);
    }
  }

  @Test
  void closeNeverStartsAQueuedTask() throws InterruptedException {
    for (int round = 0; round < ROUNDS; round++) {
      assertNoQueuedTaskRuns(round, TaskRuntime::close);
    }
  }

  private static void assertNoQueuedTaskRuns(int round, Consumer<TaskRuntime> cancelEverything)
      throws InterruptedException {
    TaskRuntime rt = TaskRuntime.builder().memoryProbe(() -> 10.0).threads(1)
        .callbackExecutor(Runnable::run).build();
    try {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch queuedStarted = new CountDownLatch(1);
      List<String> ran = new CopyOnWriteArrayList<>();
      Task running = rt.submit(TaskSpec.of("running", "threads", t -> {
        started.countDown();
        return release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }));
      assertTrue(started.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "running task did not start");
      List<Task> queued = new ArrayList<>();
      for (int i = 0; i < QUEUED; i++) {
        String name = "queued-" + i;
        queued.add(rt.submit(TaskSpec.of(name, "threads", t -> {
          ran.add(name);
          queuedStarted.countDown();
          return null;
        })));
      }
      running.whenDone(t -> {
        release.countDown();
        try {
          queuedStarted.await(QUIET_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });

      cancelEverything.accept(rt);

      assertTrue(running.awaitCodeReturned(WAIT), "the running task's code did not return");
      assertEquals(List.of(), ran, "round " + round + ": queued tasks ran while being cancelled");
      for (Task q : queued) {
        assertTrue(q.isDone() && q.isCancelRequested(), "round " + round + ": " + q);
      }
    } finally {
      rt.close();
    }
  }
}
