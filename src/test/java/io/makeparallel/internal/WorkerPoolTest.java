package io.makeparallel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskState;
import io.makeparallel.testing.Awaits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final AtomicLong SEQ = new AtomicLong();
  private static final AtomicInteger POOLS = new AtomicInteger();

  private final List<WorkerPool> pools = new ArrayList<>();

  @AfterEach
  void closePools() {
    for (WorkerPool p : pools) {
      p.close(5_000);
    }
  }

  private WorkerPool pool(int size) {
    return pool(size, TaskExecution::runHere);
  }

  private WorkerPool pool(int size, WorkerPool.TaskRunner runner) {
    return pool("wp-test-" + POOLS.incrementAndGet(), size, runner);
  }

  private WorkerPool pool(String prefix, int size, WorkerPool.TaskRunner runner) {
    WorkerPool p = new WorkerPool(prefix, size, runner);
    pools.add(p);
    return p;
  }

  private static Task task(String id, int priority, TaskBody body) {
    return TaskAccess.get().builder().id(id).name(id).priority(priority).sequence(SEQ.incrementAndGet())
        .body(body).build();
  }

  private static Task priorityLauncherTask(String id, int priority, TaskBody body) {
    return TaskAccess.get().builder().id(id).name(id).priority(priority).sequence(SEQ.incrementAndGet())
        .fromPriorityLauncher(true).body(body).build();
  }

  private static void await(CountDownLatch latch, String what) throws InterruptedException {
    assertTrue(latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), what);
  }

  private static void await(Task t) throws InterruptedException {
    assertTrue(t.await(WAIT), t + " did not resolve");
  }

  /** A task that signals when it starts and then holds its worker until {@code release}. */
  private static Task blocker(CountDownLatch started, CountDownLatch release) {
    return task("blocker-" + SEQ.get(), Integer.MAX_VALUE, t -> {
      started.countDown();
      return release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    });
  }

  @Test
  void rejectsNonPositiveSize() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new WorkerPool("x", 0, TaskExecution::runHere));
    assertTrue(e.getMessage().contains("size must be >= 1") && e.getMessage().contains("0"),
        e.getMessage());
    WorkerPool p = pool(1);
    assertThrows(IllegalArgumentException.class, () -> p.resize(-1, 0));
    assertEquals(1, p.size());
  }

  @Test
  void startsThreadsLazily() throws InterruptedException {
    WorkerPool p = pool(4);
    assertEquals(0, p.liveThreads());
    Task t = task("t", 0, x -> "ok");
    p.enqueue(t);
    await(t);
    assertEquals("ok", t.result());
    assertEquals(1, p.liveThreads(), "one task needs one thread");
  }

  @Test
  void runsHigherPriorityFirstAndFifoAmongEquals() throws InterruptedException {
    WorkerPool p = pool(1);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Task block = blocker(started, release);
    p.enqueue(block);
    await(started, "blocker did not start");

    List<String> order = new CopyOnWriteArrayList<>();
    int[] priorities = {0, 5, 0, 5, 10, -1, 0};
    String[] ids = {"p0a", "p5a", "p0b", "p5b", "p10", "m1", "p0c"};
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      String id = ids[i];
      Task t = task(id, priorities[i], x -> order.add(id));
      tasks.add(t);
      p.enqueue(t);
    }
    assertEquals(ids.length, p.queued());
    release.countDown();
    for (Task t : tasks) {
      await(t);
    }
    assertEquals(List.of("p10", "p5a", "p5b", "p0a", "p0b", "p0c", "m1"), order);
    assertEquals(0, p.queued());
  }

  @Test
  void orderComparatorIsPriorityThenSequence() {
    Task lowEarly = TaskAccess.get().builder().id("a").priority(1).sequence(1).body(t -> null).build();
    Task lowLate = TaskAccess.get().builder().id("b").priority(1).sequence(2).body(t -> null).build();
    Task high = TaskAccess.get().builder().id("c").priority(2).sequence(3).body(t -> null).build();
    List<Task> l = new ArrayList<>(List.of(lowLate, high, lowEarly));
    l.sort(WorkerPool.ORDER);
    assertEquals(List.of(high, lowEarly, lowLate), l);
  }

  @Test
  void skipsTasksResolvedWhileQueued() throws InterruptedException {
    List<String> ran = new CopyOnWriteArrayList<>();
    WorkerPool p = pool(1, t -> {
      ran.add(t.id());
      TaskExecution.runHere(t);
    });
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Task block = blocker(started, release);
    p.enqueue(block);
    await(started, "blocker did not start");

    Task cancelled = task("cancelled", 0, x -> "never");
    Task timedOut = task("timed-out", 0, x -> "never");
    Task kept = task("kept", 0, x -> "ran");
    p.enqueue(cancelled);
    p.enqueue(timedOut);
    p.enqueue(kept);
    assertTrue(cancelled.cancel());
    assertTrue(TaskAccess.get().timeOut(timedOut, new RuntimeException("deadline")));
    release.countDown();
    await(kept);

    assertEquals(List.of(block.id(), "kept"), ran, "resolved tasks must not reach the runner");
    assertEquals(TaskState.CANCELLED, cancelled.state());
    assertEquals(TaskState.TIMED_OUT, timedOut.state());
  }

  @Test
  void resizeUpAndDownConverges() throws InterruptedException {
    WorkerPool p = pool(2);
    int n = 5;
    CountDownLatch allStarted = new CountDownLatch(n);
    CountDownLatch release = new CountDownLatch(1);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(task("r" + i, 0, x -> {
        allStarted.countDown();
        return release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }));
    }
    tasks.forEach(p::enqueue);
    Awaits.until(() -> p.liveThreads() == 2 && p.queued() == 3, "2 running, 3 queued");

    p.resize(n, 0);
    assertEquals(n, p.size());
    await(allStarted, "after growing to " + n + " threads all tasks must run at once");
    assertEquals(n, p.liveThreads());

    p.resize(1, 0);
    assertEquals(1, p.size());
    assertEquals(n, p.liveThreads(), "busy threads finish their task before leaving");
    release.countDown();
    for (Task t : tasks) {
      await(t);
      assertEquals(Boolean.TRUE, t.result());
    }
    Awaits.until(() -> p.liveThreads() == 1, () -> "live threads " + p.liveThreads());
  }

  @Test
  void shrinkingIdlePoolEndsSurplusThreads() {
    WorkerPool p = pool(4);
    assertEquals(4, p.prestart());
    assertEquals(4, p.liveThreads());
    p.resize(2, 0);
    Awaits.until(() -> p.liveThreads() == 2, () -> "live threads " + p.liveThreads());
    p.resize(3, 0);
    assertEquals(2, p.liveThreads(), "growing with nothing queued starts nothing");
    assertEquals(3, p.prestart());
    assertEquals(3, p.liveThreads());
  }

  @Test
  void managedBlockLetsANestedWaitProceedWhenAllWorkersAreBusy() throws InterruptedException {
    WorkerPool p = pool(1);
    AtomicReference<WorkerPool> seenPool = new AtomicReference<>();
    Task child = task("child", 0, x -> "child-result");
    Task parent = task("parent", 0, x -> {
      seenPool.set(WorkerPool.current());
      p.enqueue(child);
      return p.managedBlock(() -> child.await(WAIT));
    });
    p.enqueue(parent);
    await(parent);
    assertEquals(TaskState.SUCCEEDED, parent.state(), () -> String.valueOf(parent.error()));
    assertEquals(Boolean.TRUE, parent.result(), "the child must finish while the parent waits");
    assertEquals("child-result", child.result());
    assertSame(p, seenPool.get());
    assertNull(WorkerPool.current(), "the test thread is not a worker");
  }

  /** The control for the test above: without managedBlock, the same wait starves. */
  @Test
  void plainNestedWaitOnAFullPoolStarves() throws InterruptedException {
    WorkerPool p = pool(1);
    Task child = task("child", 0, x -> "child-result");
    Task parent = task("parent", 0, x -> {
      p.enqueue(child);
      return child.await(Duration.ofMillis(100));
    });
    p.enqueue(parent);
    await(parent);
    assertEquals(Boolean.FALSE, parent.result());
    await(child);
  }

  @Test
  void managedBlockPropagatesTheWaitersResultAndException() {
    WorkerPool p = pool(1);
    assertEquals("x", p.managedBlock(() -> "x"));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> p.managedBlock(() -> {
          throw new IllegalStateException("boom");
        }));
    assertEquals("boom", e.getMessage());
  }

  @Test
  void priorityPauseHoldsOnlyPriorityLauncherTasks() throws InterruptedException {
    WorkerPool p = pool(1);
    p.setPriorityPaused(true);
    List<String> order = new CopyOnWriteArrayList<>();
    // Higher priority and enqueued first: if the pause leaked, it would run before 'plain'.
    Task held = priorityLauncherTask("held", 100, x -> order.add("held"));
    Task plain = task("plain", 0, x -> order.add("plain"));
    p.enqueue(held);
    p.enqueue(plain);
    await(plain);
    assertEquals(List.of("plain"), order);
    assertEquals(TaskState.QUEUED, held.state());
    assertEquals(1, p.queued(), "held tasks count as queued");

    p.setPriorityPaused(false);
    await(held);
    assertEquals(List.of("plain", "held"), order);
    assertEquals(0, p.queued());
  }

  @Test
  void resumedTasksKeepPriorityOrder() throws InterruptedException {
    WorkerPool p = pool(1);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    p.enqueue(blocker(started, release));
    await(started, "blocker did not start");
    p.setPriorityPaused(true);
    List<String> order = new CopyOnWriteArrayList<>();
    Task low = priorityLauncherTask("low", 1, x -> order.add("low"));
    Task high = priorityLauncherTask("high", 9, x -> order.add("high"));
    Task mid = task("mid", 5, x -> order.add("mid"));
    p.enqueue(low);
    p.enqueue(high);
    p.enqueue(mid);
    p.setPriorityPaused(false);
    release.countDown();
    await(low);
    await(high);
    await(mid);
    assertEquals(List.of("high", "mid", "low"), order);
  }

  /**
   * Resuming hands every held task to the pool at once. With one idle thread and room for a
   * second, both tasks must run at the same time (they wait for each other to prove it).
   */
  @Test
  void resumingHeldTasksUsesEveryFreeSlot() throws InterruptedException {
    WorkerPool p = pool(2);
    Task warm = task("warm", 0, x -> Thread.currentThread());
    p.enqueue(warm);
    await(warm);
    Thread worker = (Thread) warm.result();
    Awaits.until(() -> isIdleWorker(worker), () -> worker.getName() + " to go idle");
    assertEquals(1, p.liveThreads());

    p.setPriorityPaused(true);
    CountDownLatch both = new CountDownLatch(2);
    TaskBody meet = x -> {
      both.countDown();
      return both.await(1, TimeUnit.SECONDS);
    };
    Task a = priorityLauncherTask("a", 0, meet);
    Task b = priorityLauncherTask("b", 0, meet);
    p.enqueue(a);
    p.enqueue(b);
    p.setPriorityPaused(false);
    await(a);
    await(b);
    assertEquals(Boolean.TRUE, a.result(), "a and b never ran at the same time");
    assertEquals(Boolean.TRUE, b.result(), "a and b never ran at the same time");
  }

  /** Parked in the pool's condition wait, i.e. counted as idle. */
  private static boolean isIdleWorker(Thread t) {
    return t.getState() == Thread.State.WAITING
        && Arrays.stream(t.getStackTrace())
            .anyMatch(f -> f.getMethodName().equals("awaitUninterruptibly"));
  }

  @Test
  void threadsAreNamedDaemonsAndCloseEndsThem() throws InterruptedException {
    List<Thread> started = new CopyOnWriteArrayList<>();
    AtomicInteger stopping = new AtomicInteger();
    String prefix = "wp-named-" + POOLS.incrementAndGet();
    WorkerPool p = pool(prefix, 3, new WorkerPool.TaskRunner() {
      @Override
      public void workerStarted() {
        started.add(Thread.currentThread());
      }

      @Override
      public void run(Task task) {
        TaskExecution.runHere(task);
      }

      @Override
      public void workerStopping() {
        stopping.incrementAndGet();
      }
    });
    assertEquals(3, p.prestart());
    Awaits.until(() -> started.size() == 3, "3 workers to start");
    for (Thread t : started) {
      assertTrue(t.getName().matches(Pattern.quote(prefix) + "-\\d+"), t.getName());
      assertTrue(t.isDaemon(), t.getName() + " must be a daemon");
      assertTrue(t.isAlive());
    }

    p.close(5_000);
    for (Thread t : started) {
      Awaits.until(() -> !t.isAlive(), t.getName() + " to end");
    }
    assertEquals(3, stopping.get(), "each worker runs its stop hook");
    assertEquals(0, p.liveThreads());
    Task late = task("late", 0, x -> null);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.enqueue(late));
    assertTrue(e.getMessage().contains(prefix), e.getMessage());
    p.prestart();
    assertEquals(0, p.liveThreads(), "a closed pool starts no threads");
  }

  @Test
  void closeLetsTheRunningTaskFinish() throws InterruptedException {
    WorkerPool p = pool(1);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Task running = task("running", 0, x -> {
      started.countDown();
      return release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    });
    p.enqueue(running);
    await(started, "task did not start");
    Thread closer = new Thread(() -> p.close(10_000), "closer");
    closer.setDaemon(true);
    closer.start();
    Awaits.untilParked(closer);
    assertTrue(closer.isAlive(), "close waits for the running task");
    assertFalse(running.isDone());
    release.countDown();
    closer.join(WAIT.toMillis());
    assertFalse(closer.isAlive());
    assertEquals(Boolean.TRUE, running.result());
    assertEquals(0, p.liveThreads());
  }

  @Test
  void runnerFailureFailsTheTaskAndKeepsTheWorker() throws InterruptedException {
    AtomicInteger calls = new AtomicInteger();
    WorkerPool p = pool(1, t -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("runner bug");
      }
      TaskExecution.runHere(t);
    });
    Task first = task("first", 0, x -> "never");
    p.enqueue(first);
    await(first);
    assertEquals(TaskState.FAILED, first.state());
    assertEquals("runner bug", ((Throwable) first.error()).getMessage());
    assertTrue(first.awaitCodeReturned(WAIT), "the worker marks the code as returned");

    Task second = task("second", 0, x -> "ok");
    p.enqueue(second);
    await(second);
    assertEquals("ok", second.result());
  }

  @Test
  void failingWorkerStartHookEndsThatThread() {
    WorkerPool p = pool(1, new WorkerPool.TaskRunner() {
      @Override
      public void workerStarted() {
        throw new IllegalStateException("no context");
      }

      @Override
      public void run(Task task) {
        TaskExecution.runHere(task);
      }
    });
    p.prestart();
    Awaits.until(() -> p.liveThreads() == 0, "the failed worker to leave");
  }
}
