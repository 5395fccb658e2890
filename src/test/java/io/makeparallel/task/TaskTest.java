package io.makeparallel.task;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskCancelledException;
import io.makeparallel.testing.ConcurrentTestHarness;
import io.makeparallel.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TaskTest {
  private final FakeTicker ticker = new FakeTicker();

  private TaskBuilder builder() {
    return Task.builder().id("task_t").name("f").ticker(ticker).callbackExecutor(Runnable::run)
        .body(t -> "value");
  }

  private Task newTask() {
    return builder().build();
  }

  /** A task a worker has claimed, as the runtime's threads backend would. */
  private Task runningTask() {
    Task t = newTask();
    assertTrue(t.markRunning(null));
    return t;
  }

  // ---- construction -------------------------------------------------------------------------

  @Test
  void builderRequiresIdAndBody() {
    assertThrows(NullPointerException.class, () -> Task.builder().body(t -> null).build());
    assertThrows(NullPointerException.class, () -> Task.builder().id("x").build());
  }

  @Test
  void builderCarriesIdentity() {
    Task t = builder().id("task_9").name("compute").priority(7).sequence(42)
        .timeout(Duration.ofSeconds(3)).fromPriorityLauncher(true).build();
    assertAll(
        () -> assertEquals("task_9", t.id()),
        () -> assertEquals("compute", t.name()),
        () -> assertEquals(7, t.priority()),
        () -> assertEquals(42, t.sequence()),
        () -> assertEquals(Duration.ofSeconds(3), t.timeout()),
        () -> assertTrue(t.fromPriorityLauncher()),
        () -> assertEquals(TaskState.QUEUED, t.state()),
        () -> assertFalse(t.isDone()),
        () -> assertTrue(Double.isNaN(t.progress())),
        () -> assertEquals("Task[task_9 'compute' QUEUED]", t.toString()));
  }

  @Test
  void waitingTaskBecomesQueuedOnlyThroughMarkReady() {
    Task t = builder().waiting(true).build();
    assertEquals(TaskState.WAITING, t.state());
    assertFalse(t.markRunning(null), "a waiting task must not be claimed by a worker");
    assertTrue(t.markReady());
    assertEquals(TaskState.QUEUED, t.state());
    assertFalse(t.markReady(), "markReady is a one-way WAITING -> QUEUED step");
  }

  @Test
  void markReadyAfterResolutionIsRefused() {
    Task t = builder().waiting(true).build();
    t.fail(new IllegalStateException("dependency failed"));
    assertFalse(t.markReady());
    assertEquals(TaskState.FAILED, t.state());
  }

  @Test
  void terminalStates() {
    for (TaskState s : TaskState.values()) {
      boolean terminal = s == TaskState.SUCCEEDED || s == TaskState.FAILED
          || s == TaskState.CANCELLED || s == TaskState.TIMED_OUT;
      assertEquals(terminal, s.isTerminal(), s.name());
    }
  }

  // ---- resolution ---------------------------------------------------------------------------

  @Test
  void succeedRecordsResultAndFullProgress() throws InterruptedException {
    Task t = runningTask();
    assertTrue(t.succeed("done"));
    assertEquals(TaskState.SUCCEEDED, t.state());
    assertEquals("done", t.result());
    assertNull(t.error());
    assertEquals(1.0, t.progress());
    assertTrue(t.await(Duration.ZERO));
    assertTrue(t.await(null));
  }

  @Test
  void failKeepsArbitraryErrorObject() {
    Object guestError = new Object();
    Task t = runningTask();
    assertTrue(t.fail(guestError));
    assertEquals(TaskState.FAILED, t.state());
    assertSame(guestError, t.error());
    assertNull(t.result());
  }

  @Test
  void failRequiresCause() {
    Task t = newTask();
    assertThrows(NullPointerException.class, () -> t.fail(null));
    assertFalse(t.isDone(), "a rejected fail() must not resolve the task");
  }

  @Test
  void cancelCarriesTaskCancelledException() {
    Task t = newTask();
    assertTrue(t.cancel());
    assertEquals(TaskState.CANCELLED, t.state());
    assertTrue(t.isCancelRequested());
    TaskCancelledException e = assertInstanceOf(TaskCancelledException.class, t.error());
    assertTrue(e.getMessage().contains("task_t"), e.getMessage());
  }

  @Test
  void timeOutIsACancelRequest() {
    Task t = runningTask();
    Object cause = new RuntimeException("deadline");
    assertTrue(t.timeOut(cause));
    assertEquals(TaskState.TIMED_OUT, t.state());
    assertSame(cause, t.error());
    assertTrue(t.isCancelRequested());
  }

  @Test
  void notCancelRequestedWhileLiveOrAfterSuccessOrFailure() {
    Task a = runningTask();
    assertFalse(a.isCancelRequested());
    a.succeed(1);
    assertFalse(a.isCancelRequested());
    Task b = runningTask();
    b.fail(new RuntimeException());
    assertFalse(b.isCancelRequested());
  }

  @Test
  void resolvesOnlyOnce() {
    Task t = runningTask();
    assertTrue(t.succeed("first"));
    assertFalse(t.fail(new RuntimeException()));
    assertFalse(t.cancel());
    assertFalse(t.timeOut(new RuntimeException()));
    assertFalse(t.succeed("second"));
    assertEquals(TaskState.SUCCEEDED, t.state());
    assertEquals("first", t.result());
    assertNull(t.error());
  }

  @Test
  void markRunningRefusedOnceResolved() {
    Task t = newTask();
    t.cancel();
    assertFalse(t.markRunning(null));
    assertEquals(TaskState.CANCELLED, t.state());
  }

  @Test
  void markRunningOnlyOnce() {
    Task t = runningTask();
    assertEquals(TaskState.RUNNING, t.state());
    assertFalse(t.markRunning(null));
  }

  @Test
  void manyThreadsRacingToResolveExactlyOneWins() throws InterruptedException {
    int threads = 8;
    int rounds = 500;
    List<TaskState> attempts = List.of(
        TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED, TaskState.TIMED_OUT);
    List<Task> tasks = new ArrayList<>();
    AtomicIntegerArray fired = new AtomicIntegerArray(rounds);
    AtomicReferenceArray<TaskState> seen = new AtomicReferenceArray<>(rounds);
    for (int r = 0; r < rounds; r++) {
      Task t = r % 2 == 0 ? runningTask() : newTask();
      int round = r;
      t.whenDone(done -> {
        fired.incrementAndGet(round);
        seen.set(round, done.state());
      });
      tasks.add(t);
    }
    AtomicIntegerArray wins = new AtomicIntegerArray(rounds);
    AtomicReferenceArray<TaskState> winner = new AtomicReferenceArray<>(rounds);
    // Every thread tries every task; a barrier per round makes them collide on the same one.
    CyclicBarrier roundStart = new CyclicBarrier(threads);
    ConcurrentTestHarness.race(threads, i -> {
      TaskState mine = attempts.get(i % attempts.size());
      for (int r = 0; r < rounds; r++) {
        try {
          roundStart.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new AssertionError("round " + r + " did not start", e);
        }
        Task t = tasks.get(r);
        boolean won;
        switch (mine) {
          case SUCCEEDED: won = t.succeed("v" + i); break;
          case FAILED: won = t.fail(new RuntimeException("e" + i)); break;
          case CANCELLED: won = t.cancel(); break;
          default: won = t.timeOut(new RuntimeException("t" + i)); break;
        }
        if (won) {
          wins.incrementAndGet(r);
          winner.set(r, mine);
        }
      }
      return null;
    });
    for (int r = 0; r < rounds; r++) {
      assertEquals(1, wins.get(r), "round " + r + ": exactly one resolution must win");
      assertEquals(winner.get(r), tasks.get(r).state(), "round " + r);
      assertEquals(1, fired.get(r), "round " + r + ": the listener must fire exactly once");
      assertEquals(winner.get(r), seen.get(r), "round " + r);
    }
  }

  // ---- completion listeners -----------------------------------------------------------------

  @Test
  void listenersFireOnceInRegistrationOrderOnTheCallbackExecutor() {
    Queue<Runnable> dispatched = new ArrayDeque<>();
    Task t = builder().callbackExecutor(dispatched::add).build();
    List<String> calls = new ArrayList<>();
    t.whenDone(x -> calls.add("a"));
    t.whenDone(x -> calls.add("b"));
    t.whenDone(x -> calls.add("c"));
    assertEquals(3, t.pendingListenersForTest().size());

    t.succeed(1);
    assertEquals(List.of(), calls, "listeners run on the callback executor, not inline");
    assertEquals(1, dispatched.size(), "one dispatch for the whole batch keeps them ordered");
    dispatched.poll().run();
    assertEquals(List.of("a", "b", "c"), calls);

    t.cancel();
    t.succeed(2);
    assertEquals(List.of("a", "b", "c"), calls, "no second firing");
    assertTrue(dispatched.isEmpty());
    assertEquals(List.of(), t.pendingListenersForTest());
  }

  @Test
  void noDispatchWhenNothingListens() {
    List<Runnable> dispatched = new ArrayList<>();
    Task t = builder().callbackExecutor(dispatched::add).build();
    t.succeed(1);
    assertEquals(List.of(), dispatched);
  }

  private static boolean released(Task t) {
    try {
      return t.await(Duration.ZERO);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void resolutionHookRunsOnceInlineBeforeWaitersWake() {
    List<Runnable> dispatched = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    Task t = builder().callbackExecutor(dispatched::add).onResolved(x -> {
      ranOn.set(Thread.currentThread());
      // A waiter must not be able to see the task resolved before the hook has run.
      seen.add(x.state() + " awaited=" + released(x));
    }).build();
    t.whenDone(x -> seen.add("listener"));
    assertTrue(t.succeed(1));
    assertSame(Thread.currentThread(), ranOn.get(), "the hook runs on the resolving thread");
    assertEquals(List.of("SUCCEEDED awaited=false"), seen, "user listeners still go to the executor");
    assertEquals(1, dispatched.size());
    assertFalse(t.cancel());
    assertEquals(1, seen.size(), "the hook runs once");
  }

  @Test
  void throwingResolutionHookDoesNotChangeTheOutcome() throws InterruptedException {
    Task t = builder().onResolved(x -> {
      throw new IllegalStateException("bookkeeping bug");
    }).build();
    assertTrue(t.fail(new IllegalArgumentException("user error")));
    assertTrue(t.await(Duration.ZERO), "waiters are released even when the hook throws");
    assertEquals(TaskState.FAILED, t.state());
    assertInstanceOf(IllegalArgumentException.class, t.error());
  }

  @Test
  void listenerRegisteredAfterCompletionRunsNowOnCallingThread() {
    List<Runnable> dispatched = new ArrayList<>();
    Task t = builder().callbackExecutor(dispatched::add).build();
    t.fail(new IllegalStateException("x"));
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    AtomicReference<TaskState> state = new AtomicReference<>();
    t.whenDone(x -> {
      ranOn.set(Thread.currentThread());
      state.set(x.state());
    });
    assertSame(Thread.currentThread(), ranOn.get(), "must run before whenDone returns, here");
    assertEquals(TaskState.FAILED, state.get());
    assertEquals(List.of(), dispatched);
  }

  @Test
  void throwingListenerDoesNotStopTheOthers() {
    Task t = newTask();
    List<String> calls = new ArrayList<>();
    t.whenDone(x -> calls.add("first"));
    t.whenDone(x -> {
      calls.add("boom");
      throw new IllegalStateException("listener bug");
    });
    t.whenDone(x -> calls.add("third"));
    assertTrue(t.succeed(1));
    assertEquals(List.of("first", "boom", "third"), calls);
    assertEquals(TaskState.SUCCEEDED, t.state(), "a listener failure must not change the outcome");

    // The late path is guarded too.
    t.whenDone(x -> {
      throw new AssertionError("late listener bug");
    });
    t.whenDone(x -> calls.add("late"));
    assertEquals("late", calls.get(calls.size() - 1));
  }

  @Test
  void whenDoneRejectsNull() {
    assertThrows(NullPointerException.class, () -> newTask().whenDone(null));
  }

  // ---- progress -----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void progressMustBeFinite(double bad) {
    Task t = runningTask();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> t.reportProgress(bad));
    assertEquals("progress must be a finite number (not NaN or Infinity)", e.getMessage());
    assertTrue(Double.isNaN(t.progress()));
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.0001, -1.0, 1.0001, 2.0})
  void progressMustBeAFraction(double bad) {
    Task t = runningTask();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> t.reportProgress(bad));
    assertEquals("progress must be between 0.0 and 1.0", e.getMessage());
  }

  @Test
  void progressBoundsAreInclusive() {
    Task t = runningTask();
    List<Double> seen = new ArrayList<>();
    t.onProgress(seen::add);
    t.reportProgress(0.0);
    t.reportProgress(1.0);
    assertEquals(List.of(0.0, 1.0), seen);
    assertEquals(1.0, t.progress());
  }

  @Test
  void onProgressReplaysLatestValueFirst() {
    Task t = runningTask();
    List<Double> early = new ArrayList<>();
    t.onProgress(early::add);
    assertEquals(List.of(), early, "nothing reported yet, nothing replayed");
    t.reportProgress(0.25);
    t.reportProgress(0.5);
    List<Double> late = new ArrayList<>();
    t.onProgress(late::add);
    assertEquals(List.of(0.5), late, "a late listener first hears the latest value");
    t.reportProgress(0.75);
    assertEquals(List.of(0.25, 0.5, 0.75), early);
    assertEquals(List.of(0.5, 0.75), late);
  }

  @Test
  void onProgressAfterSuccessReplaysOne() {
    Task t = runningTask();
    t.reportProgress(0.3);
    t.succeed("x");
    List<Double> seen = new ArrayList<>();
    t.onProgress(seen::add);
    assertEquals(List.of(1.0), seen);
    t.reportProgress(0.1);
    assertEquals(1.0, t.progress(), "reports after success are ignored");
    assertEquals(List.of(1.0), seen);
  }

  @Test
  void throwingProgressListenerDoesNotStopTheOthersOrTheTask() {
    Task t = runningTask();
    List<Double> seen = new ArrayList<>();
    t.onProgress(p -> {
      throw new IllegalStateException("bad hook");
    });
    t.onProgress(seen::add);
    t.reportProgress(0.4);
    assertEquals(List.of(0.4), seen);
    assertEquals(0.4, t.progress());

    t.onProgress(p -> {
      throw new IllegalStateException("bad replay");
    });
    assertEquals(TaskState.RUNNING, t.state());
  }

  @Test
  void reportProgressOnCancelledTaskThrows() {
    Task t = runningTask();
    t.reportProgress(0.2);
    t.cancel();
    TaskCancelledException e =
        assertThrows(TaskCancelledException.class, () -> t.reportProgress(0.3));
    assertTrue(e.getMessage().contains("task_t"), e.getMessage());
    assertEquals(0.2, t.progress());
  }

  @Test
  void reportProgressOnTimedOutTaskThrows() {
    Task t = runningTask();
    t.timeOut(new RuntimeException("deadline"));
    assertThrows(TaskCancelledException.class, () -> t.reportProgress(0.3));
  }

  @Test
  void invalidProgressIsReportedBeforeCancellation() {
    Task t = runningTask();
    t.cancel();
    assertThrows(IllegalArgumentException.class, () -> t.reportProgress(Double.NaN));
  }

  @Test
  void onProgressRejectsNull() {
    assertThrows(NullPointerException.class, () -> newTask().onProgress(null));
  }

  // ---- time ---------------------------------------------------------------------------------

  @Test
  void elapsedRunsWhileLiveAndFreezesAtCompletion() {
    Task t = newTask();
    assertEquals(0.0, t.elapsedSeconds());
    ticker.advance(Duration.ofMillis(1500));
    assertEquals(1.5, t.elapsedSeconds(), 1e-9);
    assertTrue(t.markRunning(null));
    ticker.advance(Duration.ofMillis(1000));
    assertEquals(2.5, t.elapsedSeconds(), 1e-9);
    t.succeed("v");
    ticker.advance(Duration.ofSeconds(10));
    assertEquals(2.5, t.elapsedSeconds(), 1e-9, "elapsed time must freeze once done");
  }

  @Test
  void runNanosCountsOnlyTheRunningPart() {
    Task t = newTask();
    ticker.advance(Duration.ofMillis(300));
    t.markRunning(null);
    assertEquals(0, t.runNanos(), "0 until resolved");
    ticker.advance(Duration.ofMillis(40));
    t.succeed(1);
    ticker.advance(Duration.ofMillis(999));
    assertEquals(Duration.ofMillis(40).toNanos(), t.runNanos());

    Task never = newTask();
    ticker.advance(5);
    never.cancel();
    assertEquals(0, never.runNanos(), "a task that never started ran for 0 ns");
  }

  /**
   * Another thread reading a task at the moment it resolves must never see the terminal state
   * without the finish time and final progress that go with it. The ticker is read while the
   * task is resolving, so a ticker that reads the task stands in for that other thread.
   */
  @Test
  void readersNeverSeeTerminalStateWithoutItsFinishTime() {
    AtomicReference<Task> self = new AtomicReference<>();
    List<Double> elapsedSeenWhileResolving = new CopyOnWriteArrayList<>();
    List<Double> progressSeenWhileResolving = new CopyOnWriteArrayList<>();
    LongSupplier observingTicker = () -> {
      Task t = self.get();
      if (t != null && t.isDone()) {
        elapsedSeenWhileResolving.add(t.elapsedSeconds());
        if (t.state() == TaskState.SUCCEEDED) {
          progressSeenWhileResolving.add(t.progress());
        }
      }
      return ticker.getAsLong();
    };
    Task t = builder().ticker(observingTicker).build();
    self.set(t);
    t.markRunning(null);
    t.reportProgress(0.3);
    ticker.advance(Duration.ofSeconds(2));
    t.succeed("v");
    assertAll(
        () -> assertTrue(elapsedSeenWhileResolving.stream().allMatch(e -> e >= 0),
            "elapsedSeconds seen by a concurrent reader: " + elapsedSeenWhileResolving),
        () -> assertTrue(progressSeenWhileResolving.stream().allMatch(p -> p == 1.0),
            "progress of a SUCCEEDED task seen by a concurrent reader: "
                + progressSeenWhileResolving));
  }

  // ---- slot release -------------------------------------------------------------------------

  @Test
  void queuedTaskIsReleasedAsSoonAsItResolves() throws InterruptedException {
    Task t = newTask();
    AtomicInteger released = new AtomicInteger();
    t.setReleaser(released::incrementAndGet);
    assertFalse(t.isReleased());
    t.cancel();
    assertEquals(1, released.get());
    assertTrue(t.isReleased());
    assertNull(t.body(), "a task that will never run drops its body");
    assertTrue(t.awaitCodeReturned(Duration.ZERO), "code that never started has 'returned'");
  }

  @Test
  void cancelWhileRunningReleasesOnlyWhenCodeReturns() throws InterruptedException {
    Task t = newTask();
    AtomicInteger released = new AtomicInteger();
    t.setReleaser(released::incrementAndGet);
    AtomicInteger hardCancels = new AtomicInteger();
    assertTrue(t.markRunning(hardCancels::incrementAndGet));

    assertTrue(t.cancel());
    assertEquals(TaskState.CANCELLED, t.state());
    assertTrue(t.await(Duration.ZERO), "the handle resolves at once");
    assertEquals(1, hardCancels.get(), "the backend is asked to stop the running code");
    assertEquals(0, released.get(), "the slot is held while the code still runs");
    assertFalse(t.isReleased());
    assertFalse(t.awaitCodeReturned(Duration.ZERO));
    assertTrue(t.body() != null, "the body stays while it runs");

    t.codeFinished();
    assertEquals(1, released.get());
    assertTrue(t.isReleased());
    assertTrue(t.awaitCodeReturned(Duration.ZERO));
    assertNull(t.body());
    t.codeFinished();
    assertEquals(1, released.get(), "released exactly once");
  }

  @Test
  void codeReturningBeforeResolutionDoesNotRelease() {
    Task t = runningTask();
    AtomicInteger released = new AtomicInteger();
    t.setReleaser(released::incrementAndGet);
    t.codeFinished();
    assertEquals(0, released.get(), "not resolved yet");
    t.fail(new RuntimeException("late"));
    assertEquals(1, released.get());
  }

  @Test
  void successOnWorkerReleasesAfterCodeFinished() {
    Task t = newTask();
    List<String> events = new ArrayList<>();
    t.setReleaser(() -> events.add("released"));
    t.whenDone(x -> events.add("listener"));
    t.markRunning(() -> events.add("hard-cancel"));
    t.succeed(1);
    events.add("code-finished");
    t.codeFinished();
    assertEquals(List.of("listener", "code-finished", "released"), events,
        "success must not invoke the hard canceller nor release before the code returned");
  }

  @Test
  void timeOutWhileRunningInvokesHardCanceller() {
    Task t = newTask();
    AtomicInteger hard = new AtomicInteger();
    t.markRunning(hard::incrementAndGet);
    t.timeOut(new RuntimeException());
    assertEquals(1, hard.get());
  }

  @Test
  void throwingHardCancellerIsContained() {
    Task t = newTask();
    AtomicInteger released = new AtomicInteger();
    t.setReleaser(released::incrementAndGet);
    List<String> listeners = new ArrayList<>();
    t.whenDone(x -> listeners.add("fired"));
    t.markRunning(() -> {
      throw new IllegalStateException("canceller bug");
    });
    assertTrue(t.cancel());
    assertEquals(TaskState.CANCELLED, t.state());
    assertEquals(List.of("fired"), listeners);
    t.codeFinished();
    assertEquals(1, released.get());
  }

  @Test
  void metadataIsMutableAndPerTask() {
    Task a = newTask();
    Task b = newTask();
    a.metadata().put("k", "v");
    assertEquals("v", a.metadata().get("k"));
    assertTrue(b.metadata().isEmpty());
  }
}
