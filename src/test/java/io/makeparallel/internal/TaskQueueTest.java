package io.makeparallel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.task.Task;
import io.makeparallel.testing.Awaits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class TaskQueueTest {
  private final TaskQueue queue = new TaskQueue();

  private static Task task(String id, int priority, long sequence, boolean priorityLauncher) {
    return TaskAccess.get().builder().id(id).name(id).priority(priority).sequence(sequence)
        .fromPriorityLauncher(priorityLauncher).body(t -> null).build();
  }

  private static Task plain(String id, int priority, long sequence) {
    return task(id, priority, sequence, false);
  }

  private List<String> drainIds() {
    List<String> ids = new ArrayList<>();
    Task t;
    while ((t = queue.poll()) != null) {
      ids.add(t.id());
    }
    return ids;
  }

  @Test
  void emptyQueuePollsNull() {
    assertNull(queue.poll());
    assertEquals(0, queue.size());
    assertEquals(0, queue.runnableCount());
  }

  @Test
  void pollsByPriorityThenSequenceWhateverTheOfferOrder() {
    // Offered out of sequence order: FIFO means submission order (sequence), not arrival.
    queue.offer(plain("b0", 0, 7));
    queue.offer(plain("a5", 5, 9));
    queue.offer(plain("a0", 0, 3));
    queue.offer(plain("m1", -1, 1));
    queue.offer(plain("b5", 5, 11));
    queue.offer(plain("c0", 0, 8));
    assertEquals(6, queue.size());
    assertEquals(6, queue.runnableCount());
    assertEquals(List.of("a5", "b5", "a0", "b0", "c0", "m1"), drainIds());
    assertEquals(0, queue.size());
  }

  @Test
  void extremePrioritiesDoNotOverflowTheOrder() {
    queue.offer(plain("min", Integer.MIN_VALUE, 1));
    queue.offer(plain("max", Integer.MAX_VALUE, 2));
    queue.offer(plain("zero", 0, 0));
    assertEquals(List.of("max", "zero", "min"), drainIds());
  }

  @Test
  void resolvedTasksAreDroppedOnPoll() {
    Task cancelled = plain("cancelled", 9, 1);
    Task timedOut = plain("timed-out", 8, 2);
    Task kept = plain("kept", 0, 3);
    queue.offer(cancelled);
    queue.offer(timedOut);
    queue.offer(kept);
    assertTrue(cancelled.cancel());
    assertTrue(TaskAccess.get().timeOut(timedOut, new RuntimeException("deadline")));
    assertEquals(3, queue.runnableCount(), "resolved tasks stay until a poll drops them");
    assertSame(kept, queue.poll());
    assertNull(queue.poll());
    assertEquals(0, queue.size());
  }

  @Test
  void pauseHoldsOnlyPriorityLauncherTasksOfferedAfterIt() {
    Task before = task("before", 1, 1, true);
    assertTrue(queue.offer(before));
    assertEquals(0, queue.setPaused(true));
    Task held = task("held", 100, 2, true);
    Task plain = plain("plain", 0, 3);
    assertFalse(queue.offer(held), "a priority-launcher task waits while paused");
    assertTrue(queue.offer(plain), "other launchers are not paused");
    assertEquals(3, queue.size(), "held tasks count as queued");
    assertEquals(2, queue.runnableCount());
    assertEquals(List.of("before", "plain"), drainIds());
    assertEquals(1, queue.size());

    assertEquals(1, queue.setPaused(false));
    assertEquals(1, queue.runnableCount());
    assertSame(held, queue.poll());
  }

  @Test
  void resumeRestoresPriorityOrderAcrossHeldAndRunnableTasks() {
    queue.setPaused(true);
    queue.offer(task("low", 1, 1, true));
    queue.offer(task("high", 9, 2, true));
    queue.offer(plain("mid", 5, 3));
    queue.offer(task("high-late", 9, 4, true));
    assertEquals(0, queue.setPaused(true), "pausing again moves nothing and keeps the held tasks");
    assertEquals(4, queue.size());
    assertEquals(3, queue.setPaused(false));
    assertEquals(0, queue.setPaused(false), "nothing left to resume");
    assertEquals(List.of("high", "high-late", "mid", "low"), drainIds());
  }

  @Test
  void clearDropsRunnableAndHeldTasksAndTheQueueStaysUsable() {
    queue.offer(plain("a", 0, 1));
    queue.setPaused(true);
    queue.offer(task("h", 0, 2, true));
    assertEquals(2, queue.clear());
    assertEquals(0, queue.size());
    assertEquals(0, queue.setPaused(false), "cleared held tasks do not come back");
    assertNull(queue.poll());
    assertEquals(0, queue.clear());
    queue.offer(plain("b", 0, 3));
    assertEquals(List.of("b"), drainIds());
  }

  /** The pool passes its own lock: while another thread holds it, the queue cannot change. */
  @Test
  void runsUnderTheLockItWasGiven() throws InterruptedException {
    ReentrantLock owner = new ReentrantLock();
    TaskQueue shared = new TaskQueue(owner);
    owner.lock();
    Thread offerer;
    try {
      offerer = new Thread(() -> shared.offer(plain("x", 0, 1)), "offerer");
      offerer.setDaemon(true);
      offerer.start();
      Awaits.untilParked(offerer);
      assertTrue(offerer.isAlive(), "offer must wait for the owner's lock");
      assertEquals(0, shared.size(), "the owner (holding the lock, reentrantly) sees no change");
    } finally {
      owner.unlock();
    }
    offerer.join(Duration.ofSeconds(10).toMillis());
    assertFalse(offerer.isAlive());
    assertEquals(1, shared.size());
  }
}
