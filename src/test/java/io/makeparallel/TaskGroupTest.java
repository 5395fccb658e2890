package io.makeparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.internal.TaskAccess;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskState;
import io.makeparallel.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Issue 11: the engine-side group that maps, ParallelContext and gather wait on. */
class TaskGroupTest {
  private final FakeTicker ticker = new FakeTicker();
  private int ids;

  private Task task() {
    return TaskAccess.get().builder().id("task_" + ids++).name("f").ticker(ticker).callbackExecutor(Runnable::run)
        .body(t -> "value").build();
  }

  private Task running() {
    Task t = task();
    assertTrue(TaskAccess.get().markRunning(t, null));
    return t;
  }

  @Test
  void membersComeBackInTheOrderTheyResolvedEachOnce() throws Exception {
    TaskGroup g = new TaskGroup(0, null);
    List<Task> tasks = List.of(running(), running(), running());
    tasks.forEach(g::add);
    assertNull(g.next(Duration.ZERO), "nothing resolved yet");
    TaskAccess.get().succeed(tasks.get(2), "c");
    TaskAccess.get().fail(tasks.get(0), new RuntimeException("a"));
    tasks.get(1).cancel();
    assertEquals(List.of(2, 0, 1), List.of(g.next(null), g.next(null), g.next(null)));
    assertNull(g.next(Duration.ofMillis(10)), "each index once");
    assertEquals(3, g.size());
    assertEquals(0, g.unfinished());
  }

  @Test
  void aTaskAlreadyResolvedWhenAddedIsReadyAtOnce() throws Exception {
    Task done = running();
    TaskAccess.get().succeed(done, 1);
    TaskGroup g = new TaskGroup(0, null);
    assertEquals(0, g.add(done));
    assertEquals(0, g.next(Duration.ZERO));
  }

  @Test
  void nextWakesWhenAMemberResolvesOnAnotherThread() throws Exception {
    TaskGroup g = new TaskGroup(0, null);
    Task t = running();
    g.add(t);
    Thread resolver = new Thread(() -> {
      sleep(50);
      TaskAccess.get().succeed(t, "x");
    });
    resolver.start();
    long t0 = System.nanoTime();
    assertEquals(0, g.next(Duration.ofSeconds(30)));
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "woken, not timed out");
    resolver.join();
  }

  @Test
  void theSlotLimitCountsUnfinishedMembers() throws Exception {
    TaskGroup g = new TaskGroup(2, null);
    Task a = running();
    Task b = task();
    assertTrue(g.awaitSlot(Duration.ZERO));
    g.add(a);
    assertTrue(g.awaitSlot(Duration.ZERO));
    g.add(b);
    assertFalse(g.awaitSlot(Duration.ofMillis(20)), "two unfinished, limit two");
    CountDownLatch waiting = new CountDownLatch(1);
    AtomicBoolean got = new AtomicBoolean();
    Thread waiter = new Thread(() -> {
      waiting.countDown();
      try {
        got.set(g.awaitSlot(Duration.ofSeconds(30)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    waiter.start();
    waiting.await();
    b.cancel();
    waiter.join(30_000);
    assertTrue(got.get(), "a resolved member frees its slot");
    assertEquals(1, g.unfinished());
  }

  @Test
  void cancelAllCancelsQueuedMembersBeforeRunningOnes() {
    TaskGroup g = new TaskGroup(0, null);
    List<String> order = new CopyOnWriteArrayList<>();
    Task run1 = running();
    Task queued1 = task();
    Task run2 = running();
    Task queued2 = task();
    Task finished = running();
    TaskAccess.get().succeed(finished, "kept");
    for (Task t : List.of(run1, queued1, run2, queued2, finished)) {
      g.add(t);
      TaskAccess.get().whenResolved(t, x -> order.add(x.id()));
    }
    order.clear();
    g.cancelAll();
    assertEquals(List.of(queued1.id(), queued2.id(), run1.id(), run2.id()), order);
    assertEquals(TaskState.SUCCEEDED, finished.state(), "a resolved member keeps its outcome");
  }

  @Test
  void theDeadlineBoundsEveryWait() throws Exception {
    TaskGroup g = new TaskGroup(1, Duration.ofSeconds(5), ticker);
    assertEquals(Duration.ofSeconds(5), g.remaining());
    g.add(running());
    ticker.advance(Duration.ofSeconds(5));
    assertTrue(g.expired());
    assertEquals(Duration.ZERO, g.remaining());
    assertNull(g.next(null), "past the deadline: no wait at all");
    assertFalse(g.awaitSlot(null));
    TaskGroup none = new TaskGroup(0, null);
    assertNull(none.remaining());
    assertFalse(none.expired());
  }

  @Test
  void badArgumentsNameTheParameter() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TaskGroup(-1, null));
    assertTrue(e.getMessage().contains("slotLimit") && e.getMessage().contains("-1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new TaskGroup(0, Duration.ofSeconds(-1)));
    assertTrue(e.getMessage().contains("timeout"), e.getMessage());
  }

  @Test
  void manyMembersResolvedConcurrentlyAreEachHandedOutOnce() throws Exception {
    TaskGroup g = new TaskGroup(0, null);
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      Task t = running();
      tasks.add(t);
      g.add(t);
    }
    List<Thread> resolvers = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      int from = r;
      Thread th = new Thread(() -> {
        for (int i = from; i < tasks.size(); i += 4) {
          TaskAccess.get().succeed(tasks.get(i), i);
        }
      });
      resolvers.add(th);
      th.start();
    }
    boolean[] seen = new boolean[tasks.size()];
    for (int i = 0; i < tasks.size(); i++) {
      Integer idx = g.next(Duration.ofSeconds(30));
      assertTrue(idx != null && !seen[idx], "index " + idx);
      seen[idx] = true;
    }
    for (Thread th : resolvers) {
      th.join();
    }
    assertNull(g.next(Duration.ZERO));
    assertEquals(0, g.unfinished());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
