package io.makeparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.internal.TaskExecution;
import io.makeparallel.internal.ThreadBackend;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.policy.AdmissionGate;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import io.makeparallel.testing.Awaits;
import io.makeparallel.testing.FakeScheduler;
import io.makeparallel.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TaskRuntimeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final FakeTicker ticker = new FakeTicker();
  private final FakeScheduler scheduler = new FakeScheduler(ticker);
  private final List<Long> sleeps = new CopyOnWriteArrayList<>();
  private final List<CountDownLatch> gates = new ArrayList<>();
  private volatile double memoryPercent = 10.0;
  private volatile Runnable onSleep = () -> { };
  private TaskRuntime rt;

  @BeforeEach
  void newRuntime() {
    rt = TaskRuntime.builder()
        .ticker(ticker)
        .timer(scheduler)
        .callbackExecutor(Runnable::run)
        .memoryProbe(() -> memoryPercent)
        .sleeper(nanos -> {
          sleeps.add(nanos);
          ticker.advance(nanos);
          onSleep.run();
        })
        .threads(2)
        .build();
  }

  @AfterEach
  void closeRuntime() {
    gates.forEach(CountDownLatch::countDown);
    rt.close();
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A latch opened at the latest when the test ends, so no worker outlives its test. */
  private CountDownLatch gate() {
    CountDownLatch l = new CountDownLatch(1);
    gates.add(l);
    return l;
  }

  private Task submit(String name, TaskBody body) throws InterruptedException {
    return rt.submit(TaskSpec.of(name, "threads", body));
  }

  private Task submit(String name, Duration timeout, List<Task> deps, TaskBody body)
      throws InterruptedException {
    return rt.submit(new TaskSpec(name, "threads", 0, timeout, deps, false, body));
  }

  /** A body that signals {@code started}, then waits (bounded) for {@code release}. */
  private static TaskBody holding(CountDownLatch started, CountDownLatch release) {
    return t -> {
      started.countDown();
      return release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    };
  }

  private static void await(CountDownLatch l, String what) throws InterruptedException {
    assertTrue(l.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), what);
  }

  private static void await(Task t) throws InterruptedException {
    assertTrue(t.await(WAIT), t + " did not resolve");
  }

  private void awaitIdle() throws InterruptedException {
    assertTrue(rt.awaitIdle(WAIT), () -> "still live: " + rt.liveTasks());
    assertEquals(0, rt.activeCount());
  }

  // ---- submit and run -----------------------------------------------------------------------

  @Test
  void submittedTaskRunsOnANamedWorkerAndSucceeds() throws InterruptedException {
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    AtomicReference<Task> current = new AtomicReference<>();
    Task t = submit("compute", task -> {
      ranOn.set(Thread.currentThread());
      current.set(TaskExecution.current());
      return "result";
    });
    assertTrue(t.id().matches("task_\\d+"), t.id());
    assertEquals("compute", t.name());
    await(t);
    assertEquals(TaskState.SUCCEEDED, t.state());
    assertEquals("result", t.result());
    assertTrue(ranOn.get().getName().startsWith("makeparallel-worker-"), ranOn.get().getName());
    assertTrue(ranOn.get().isDaemon());
    assertSame(t, current.get());
    awaitIdle();
    assertNull(rt.findLive(t.id()), "the runtime forgets a finished task");
  }

  @Test
  void idsComeFromOneIncreasingCounter() throws InterruptedException {
    Task a = submit("a", t -> null);
    Task b = submit("b", t -> null);
    long na = Long.parseLong(a.id().substring("task_".length()));
    long nb = Long.parseLong(b.id().substring("task_".length()));
    assertEquals(na + 1, nb);
    assertTrue(b.sequence() > a.sequence());
    awaitIdle();
  }

  @Test
  void failureKeepsTheOriginalErrorAndIsCounted() throws InterruptedException {
    IllegalStateException boom = new IllegalStateException("boom");
    Task t = submit("broken", task -> {
      throw boom;
    });
    await(t);
    assertEquals(TaskState.FAILED, t.state());
    assertSame(boom, t.error());
    awaitIdle();
    var m = rt.metrics().get("broken").orElseThrow();
    assertEquals(1, m.total());
    assertEquals(0, m.completed());
    assertEquals(1, m.failed());
  }

  @Test
  void metricsAreRecordedBeforeWaitersWakeWithoutACallbackDispatch() throws InterruptedException {
    List<Runnable> dispatched = new CopyOnWriteArrayList<>();
    try (TaskRuntime own = TaskRuntime.builder().ticker(ticker).timer(scheduler)
        .callbackExecutor(dispatched::add).memoryProbe(() -> 10.0).threads(2).build()) {
      for (int i = 0; i < 20; i++) {
        Task t = own.submit(TaskSpec.of("plain", "threads", task -> 1));
        assertTrue(t.await(WAIT));
        // No sleep, no awaitIdle: a waiter that sees the task done also sees it counted.
        assertEquals(i + 1, own.metrics().get("plain").orElseThrow().completed());
      }
      assertEquals(List.of(), dispatched,
          "a task nobody listens to must not cost a hand-off to a callback thread");
      CountDownLatch release = gate();
      Task t = own.submit(TaskSpec.of("plain", "threads", task -> release.await(10, TimeUnit.SECONDS)));
      t.whenDone(x -> { });
      release.countDown();
      assertTrue(t.await(WAIT));
      Awaits.until(() -> dispatched.size() == 1, "the user callback's dispatch");
    }
  }

  @Test
  void metricsRecordCountsAndRunTime() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      int n = i;
      submit("work", task -> {
        ticker.advance(Duration.ofMillis(4));
        if (n == 2) {
          throw new IllegalArgumentException("third fails");
        }
        return n;
      });
      awaitIdle();
    }
    var m = rt.metrics().get("work").orElseThrow();
    assertEquals(3, m.total());
    assertEquals(2, m.completed());
    assertEquals(1, m.failed());
    assertEquals(12.0, m.totalMillis(), 1e-9);
    assertEquals(4.0, m.averageMillis(), 1e-9);
  }

  @Test
  void manyTasksDrainAndActiveCountReturnsToZero() throws InterruptedException {
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      tasks.add(submit("sq", t -> n * n));
    }
    awaitIdle();
    for (int i = 0; i < tasks.size(); i++) {
      assertEquals(i * i, tasks.get(i).result());
    }
    assertEquals(200, rt.metrics().get("sq").orElseThrow().completed());
    assertEquals(0, rt.admission().inUse(), "every slot was given back");
  }

  @Test
  void unknownBackendAndNullDependencyAreRejectedWithoutLeaks() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rt.submit(TaskSpec.of("f", "processes", t -> null)));
    assertTrue(e.getMessage().contains("processes") && e.getMessage().contains("threads"),
        e.getMessage());
    List<Task> deps = new ArrayList<>();
    deps.add(null);
    assertThrows(NullPointerException.class,
        () -> new TaskSpec("f", "threads", 0, null, deps, false, t -> null),
        "List.copyOf rejects nulls");
    assertEquals(0, rt.activeCount());
    assertEquals(0, rt.admission().inUse());
  }

  @Test
  void awaitFromOutsideAWorkerIsAPlainWait() throws InterruptedException {
    CountDownLatch release = gate();
    Task t = submit("slow", holding(new CountDownLatch(1), release));
    assertFalse(TaskRuntime.await(t, Duration.ofMillis(1)));
    release.countDown();
    assertTrue(TaskRuntime.await(t, WAIT));
    assertTrue(TaskRuntime.await(t, null));
  }

  // ---- timeouts -----------------------------------------------------------------------------

  @Test
  void deadlineTimesOutARunningTaskButItKeepsItsSlotUntilItsCodeReturns()
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    AtomicReference<Throwable> insideError = new AtomicReference<>();
    Duration timeout = Duration.ofSeconds(3);
    Task t = submit("slow", timeout, null, task -> {
      started.countDown();
      release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      try {
        task.reportProgress(0.5);
      } catch (TaskCancelledException e) {
        insideError.set(e);
        throw e;
      }
      return "too late";
    });
    await(started, "task did not start");
    assertEquals(1, scheduler.pending(), "one deadline scheduled");

    scheduler.advance(timeout.toNanos() - 1);
    assertEquals(TaskState.RUNNING, t.state(), "not yet due");
    scheduler.advance(1);
    assertEquals(TaskState.TIMED_OUT, t.state());
    TaskTimeoutException e = assertInstanceOf(TaskTimeoutException.class, t.error());
    assertEquals(timeout, e.getTimeout());
    assertTrue(e.getMessage().contains(t.id()), e.getMessage());
    assertEquals(3.0, t.elapsedSeconds(), 1e-9);

    assertEquals(1, rt.activeCount(), "a timed-out task whose code runs is still active");
    assertEquals(1, rt.admission().inUse(), "and still holds its slot");
    release.countDown();
    awaitIdle();
    assertInstanceOf(TaskCancelledException.class, insideError.get(),
        "the task's next progress report raises inside it");
    assertEquals(TaskState.TIMED_OUT, t.state(), "the late outcome does not overwrite it");
    assertEquals(0, rt.admission().inUse());
    var m = rt.metrics().get("slow").orElseThrow();
    assertEquals(1, m.failed(), "a timeout counts as a failure");
  }

  @Test
  void deadlineIsCancelledWhenTheTaskFinishesFirst() throws InterruptedException {
    Task t = submit("quick", Duration.ofSeconds(1), null, task -> "ok");
    await(t);
    awaitIdle();
    assertEquals(1, scheduler.jobs().size());
    assertTrue(scheduler.jobs().get(0).isCancelled(), "the deadline must be cancelled");
    scheduler.advance(Duration.ofSeconds(5).toNanos());
    assertEquals(TaskState.SUCCEEDED, t.state());
  }

  @Test
  void taskThatTimesOutWhileQueuedNeverRunsAndFreesItsSlotAtOnce() throws InterruptedException {
    rt.configureThreadPool(1, 0);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task blocker = submit("blocker", holding(started, release));
    await(started, "blocker did not start");
    List<String> ran = new CopyOnWriteArrayList<>();
    Task queued = submit("queued", Duration.ofMillis(500), null, task -> ran.add("queued"));
    assertEquals(2, rt.activeCount());

    scheduler.advance(Duration.ofMillis(500).toNanos());
    assertEquals(TaskState.TIMED_OUT, queued.state());
    assertEquals(1, rt.activeCount(), "a task that never started is released at once");
    release.countDown();
    await(blocker);
    awaitIdle();
    assertEquals(List.of(), ran);
  }

  // ---- dependencies -------------------------------------------------------------------------

  @Test
  void dependentIsScheduledWhenItsDependencySucceeds() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    List<String> order = new CopyOnWriteArrayList<>();
    Task producer = submit("producer", task -> {
      started.countDown();
      release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      order.add("producer");
      return 21;
    });
    Task consumer = submit("consumer", null, List.of(producer), task -> {
      order.add("consumer");
      return (Integer) producer.result() * 2;
    });
    await(started, "producer did not start");
    assertEquals(TaskState.WAITING, consumer.state());
    assertEquals(2, rt.activeCount(), "a waiting dependent is active");

    release.countDown();
    await(consumer);
    assertEquals(42, consumer.result());
    assertEquals(List.of("producer", "consumer"), order);
    awaitIdle();
  }

  @Test
  void dependentWaitsForEveryDependency() throws InterruptedException {
    CountDownLatch release1 = gate();
    CountDownLatch release2 = gate();
    CountDownLatch started = new CountDownLatch(2);
    Task d1 = submit("d1", holding(started, release1));
    Task d2 = submit("d2", holding(started, release2));
    Task dependent = submit("dep", null, List.of(d1, d2), task -> "ran");
    await(started, "dependencies did not start");
    release1.countDown();
    await(d1);
    assertEquals(TaskState.WAITING, dependent.state(), "one dependency is still running");
    release2.countDown();
    await(dependent);
    assertEquals("ran", dependent.result());
    awaitIdle();
  }

  @Test
  void dependentOfAFinishedDependencyRunsAtOnce() throws InterruptedException {
    Task dep = submit("dep", task -> 1);
    await(dep);
    Task t = submit("after", null, List.of(dep), task -> 2);
    await(t);
    assertEquals(2, t.result());
    awaitIdle();
  }

  @Test
  void dependencyFailureFailsTheDependentWithTheOriginalError() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    IllegalStateException original = new IllegalStateException("producer broke");
    Task producer = submit("producer", task -> {
      started.countDown();
      release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      throw original;
    });
    List<String> ran = new CopyOnWriteArrayList<>();
    Task consumer = submit("consumer", null, List.of(producer), task -> ran.add("consumer"));
    await(started, "producer did not start");
    release.countDown();
    await(consumer);

    assertEquals(TaskState.FAILED, consumer.state());
    DependencyException e = assertInstanceOf(DependencyException.class, consumer.error());
    assertSame(original, e.getDependencyError());
    assertEquals(producer.id(), e.getDependencyId());
    assertTrue(e.getMessage().contains(consumer.id()) && e.getMessage().contains(producer.id()),
        e.getMessage());
    awaitIdle();
    assertEquals(List.of(), ran, "the dependent never runs");
  }

  @Test
  void alreadyFailedDependencyFailsTheDependentAtSubmission() throws InterruptedException {
    Task producer = submit("producer", task -> {
      throw new ArithmeticException("/ by zero");
    });
    await(producer);
    Task consumer = submit("consumer", null, List.of(producer), task -> "never");
    assertEquals(TaskState.FAILED, consumer.state(), "fails at once, no thread waits");
    DependencyException e = assertInstanceOf(DependencyException.class, consumer.error());
    assertSame(producer.error(), e.getDependencyError());
    awaitIdle();
  }

  @Test
  void cancelledDependencyFailsTheDependent() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task producer = submit("producer", holding(started, release));
    Task consumer = submit("consumer", null, List.of(producer), task -> "never");
    await(started, "producer did not start");
    assertTrue(producer.cancel());
    assertEquals(TaskState.FAILED, consumer.state());
    DependencyException e = assertInstanceOf(DependencyException.class, consumer.error());
    assertInstanceOf(TaskCancelledException.class, e.getDependencyError());
    release.countDown();
    awaitIdle();
  }

  @Test
  void timedOutDependencyFailsTheDependent() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task producer = submit("producer", Duration.ofSeconds(1), null, holding(started, release));
    Task consumer = submit("consumer", null, List.of(producer), task -> "never");
    await(started, "producer did not start");
    scheduler.advance(Duration.ofSeconds(1).toNanos());
    DependencyException e = assertInstanceOf(DependencyException.class, consumer.error());
    assertInstanceOf(TaskTimeoutException.class, e.getDependencyError());
    release.countDown();
    awaitIdle();
  }

  /**
   * "Idle" must include the completion callbacks of every task, also of one resolved before it
   * started (cancelled or timed out while queued, failed by a dependency). Another thread
   * cancels a queued task while this one polls {@code awaitIdle}: the callback must already
   * have run whenever the runtime reports idle. The race is hit in about half the rounds.
   */
  @Test
  void awaitIdleIncludesCallbacksOfTasksResolvedBeforeTheyStarted() throws Exception {
    rt.setPriorityPaused(true); // keeps each task queued and unstarted
    SynchronousQueue<Task> toCancel = new SynchronousQueue<>();
    Thread canceller = new Thread(() -> {
      try {
        while (true) {
          toCancel.take().cancel();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "canceller");
    canceller.setDaemon(true);
    canceller.start();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      for (int round = 0; round < 1000 && System.nanoTime() - deadline < 0; round++) {
        CountDownLatch callback = new CountDownLatch(1);
        Task t = rt.submit(new TaskSpec("queued", "threads", 0, null, List.of(), true,
            task -> null));
        t.whenDone(x -> callback.countDown());
        assertTrue(toCancel.offer(t, WAIT.toMillis(), TimeUnit.MILLISECONDS));
        assertTrue(rt.awaitIdle(WAIT));
        boolean callbackRan = callback.getCount() == 0;
        await(callback, "callback never ran");
        assertTrue(callbackRan, "round " + round + ": idle reported before the callback ran");
      }
    } finally {
      canceller.interrupt();
    }
  }

  // ---- shutdown and lifecycle ---------------------------------------------------------------

  @Test
  void shutdownFailsWaitingDependentsAndRefusesNewWork() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task producer = submit("producer", holding(started, release));
    Task consumer = submit("consumer", null, List.of(producer), task -> "never");
    await(started, "producer did not start");

    assertFalse(rt.shutdown(Duration.ZERO, false), "the producer is still running");
    assertTrue(rt.isShutdown());
    assertEquals(TaskState.FAILED, consumer.state());
    assertInstanceOf(ShutdownException.class, consumer.error());
    assertEquals(TaskState.RUNNING, producer.state(), "without cancel_pending it keeps running");

    ShutdownException refused =
        assertThrows(ShutdownException.class, () -> submit("late", t -> null));
    assertEquals("Cannot start new tasks: shutdown in progress", refused.getMessage());

    release.countDown();
    await(producer);
    assertEquals(TaskState.SUCCEEDED, producer.state());
    assertTrue(rt.shutdown(WAIT, false));
    assertEquals(TaskState.FAILED, consumer.state(), "the dependent stays failed");

    rt.resetShutdown();
    assertFalse(rt.isShutdown());
    Task again = submit("again", t -> "accepted");
    await(again);
    assertEquals("accepted", again.result());
    awaitIdle();
  }

  @Test
  void shutdownWaitsForRunningTasks() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task t = submit("running", holding(started, release));
    await(started, "task did not start");
    AtomicReference<Boolean> result = new AtomicReference<>();
    Thread stopper = new Thread(() -> {
      try {
        result.set(rt.shutdown(WAIT, false));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "stopper");
    stopper.setDaemon(true);
    stopper.start();
    Awaits.untilParked(stopper);
    assertNull(result.get(), "shutdown returned while a task was running");
    release.countDown();
    stopper.join(WAIT.toMillis());
    assertEquals(Boolean.TRUE, result.get());
    assertEquals(TaskState.SUCCEEDED, t.state());
  }

  @Test
  void shutdownWithCancelPendingCancelsQueuedAndRunningTasks() throws InterruptedException {
    rt.configureThreadPool(1, 0);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task running = submit("running", holding(started, release));
    await(started, "task did not start");
    List<String> ran = new CopyOnWriteArrayList<>();
    Task queued = submit("queued", t -> ran.add("queued"));

    assertFalse(rt.shutdown(Duration.ZERO, true));
    assertEquals(TaskState.CANCELLED, running.state());
    assertEquals(TaskState.CANCELLED, queued.state());
    assertEquals(1, rt.activeCount(), "the running task's code has not returned yet");
    release.countDown();
    assertTrue(rt.shutdown(WAIT, true));
    assertEquals(List.of(), ran);
  }

  @Test
  void shutdownEndsASubmissionWaitingForASlot() throws InterruptedException {
    rt.admission().setLimit(1);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    submit("holder", holding(started, release));
    await(started, "holder did not start");
    AtomicReference<Throwable> error = new AtomicReference<>();
    Thread submitter = new Thread(() -> {
      try {
        submit("waiting", t -> null);
      } catch (Throwable e) {
        error.set(e);
      }
    }, "submitter");
    submitter.setDaemon(true);
    submitter.start();
    Awaits.untilParked(submitter);
    assertTrue(submitter.isAlive(), "the submission must wait for the slot");
    assertNull(error.get());
    rt.shutdown(Duration.ZERO, false);
    submitter.join(WAIT.toMillis());
    assertFalse(submitter.isAlive());
    ShutdownException e = assertInstanceOf(ShutdownException.class, error.get());
    assertEquals(AdmissionGate.SHUTDOWN_MESSAGE, e.getMessage());
    assertEquals(1, rt.activeCount(), "the refused submission registered nothing");
  }

  @Test
  void cancelAllCancelsEverythingAndSlotsFollowTheCode() throws InterruptedException {
    rt.configureThreadPool(1, 0);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task running = submit("running", holding(started, release));
    await(started, "task did not start");
    List<String> ran = new CopyOnWriteArrayList<>();
    Task queued = submit("queued", t -> ran.add("queued"));
    Task waiting = submit("waiting", null, List.of(running), t -> ran.add("waiting"));
    assertEquals(3, rt.activeCount());

    rt.cancelAll();
    assertEquals(TaskState.CANCELLED, running.state());
    assertEquals(TaskState.CANCELLED, queued.state());
    assertTrue(waiting.isDone());
    assertEquals(1, rt.activeCount(), "only the running code still holds a slot");
    assertEquals(1, rt.admission().inUse());
    release.countDown();
    awaitIdle();
    assertEquals(0, rt.admission().inUse());
    assertEquals(List.of(), ran);
    var m = rt.metrics().get("running").orElseThrow();
    assertEquals(0, m.completed() + m.failed(), "a cancellation is neither success nor failure");
  }

  @Test
  void submitAfterCloseIsRefused() {
    rt.close();
    ShutdownException e = assertThrows(ShutdownException.class, () -> submit("late", t -> null));
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    rt.resetShutdown();
    assertThrows(ShutdownException.class, () -> submit("late", t -> null),
        "close is final, unlike shutdown");
    rt.close();
  }

  @Test
  void closeLeavesNoThreadOfItsOwn() throws InterruptedException {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    TaskRuntime own = TaskRuntime.builder().memoryProbe(() -> 10.0).threads(2).build();
    try {
      CountDownLatch callbackRan = new CountDownLatch(1);
      Task t = own.submit(new TaskSpec("f", "threads", 0, Duration.ofSeconds(30), List.of(),
          false, task -> "x"));
      t.whenDone(x -> callbackRan.countDown());
      await(t);
      await(callbackRan, "callback did not run");
      assertTrue(own.awaitIdle(WAIT));
      Set<String> names = newMakeparallelThreads(before).stream()
          .map(th -> th.getName().replaceAll("-\\d+$", ""))
          .collect(Collectors.toSet());
      assertEquals(Set.of("makeparallel-worker", "makeparallel-timer", "makeparallel-callback"),
          names, "the runtime must have started its own threads for this test to mean anything");
    } finally {
      own.close();
    }
    Awaits.until(() -> newMakeparallelThreads(before).isEmpty(),
        () -> "threads left after close: " + newMakeparallelThreads(before));
  }

  private static List<Thread> newMakeparallelThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t))
        .filter(Thread::isAlive)
        .filter(t -> t.getName().startsWith("makeparallel-"))
        .collect(Collectors.toList());
  }

  @Test
  void closeLeavesInjectedExecutorsAloneAndIsIdempotent() throws InterruptedException {
    await(submit("f", Duration.ofSeconds(1), null, t -> null));
    rt.close();
    rt.close();
    assertFalse(scheduler.isShutdown(), "an injected timer belongs to its owner");
    assertSame(ticker, rt.config().ticker());
  }

  @Test
  void closeCancelsLiveTasksAndStopsWorkers() throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Thread> worker = new AtomicReference<>();
    Task t = submit("cooperative", task -> {
      worker.set(Thread.currentThread());
      CountDownLatch cancelled = new CountDownLatch(1);
      task.whenDone(x -> cancelled.countDown());
      started.countDown();
      return cancelled.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    });
    await(started, "task did not start");
    rt.close();
    assertEquals(TaskState.CANCELLED, t.state());
    Awaits.until(() -> !worker.get().isAlive(), "worker to end");
    assertTrue(rt.isShutdown());
  }

  // ---- limits and configuration -------------------------------------------------------------

  @Test
  void slotLimitHoldsSubmissionsUntilCodeReturns() throws InterruptedException {
    rt.admission().setLimit(1);
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = gate();
    Task first = submit("first", holding(started, release));
    await(started, "first did not start");
    first.cancel();
    assertEquals(1, rt.admission().inUse(), "a cancelled task holds its slot while it runs");

    AtomicReference<Task> second = new AtomicReference<>();
    Thread submitter = new Thread(() -> {
      try {
        second.set(submit("second", t -> "ok"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "submitter");
    submitter.setDaemon(true);
    submitter.start();
    Awaits.untilParked(submitter);
    assertNull(second.get(), "the second submission must wait for the slot");

    release.countDown();
    submitter.join(WAIT.toMillis());
    assertNotNull(second.get());
    await(second.get());
    awaitIdle();
  }

  @Test
  void nestedSubmitAndWaitNeverDeadlockOnAFullPool() throws InterruptedException {
    rt.configureThreadPool(1, 0);
    rt.admission().setLimit(1);
    Task parent = submit("parent", task -> {
      assertNotNull(WorkerPool.current());
      Task child = submit("child", c -> "child-value");
      assertTrue(TaskRuntime.await(child, WAIT), "child did not finish");
      return "parent+" + child.result();
    });
    await(parent);
    assertEquals(TaskState.SUCCEEDED, parent.state(), () -> String.valueOf(parent.error()));
    assertEquals("parent+child-value", parent.result());
    awaitIdle();
  }

  @Test
  void memoryLimitRefusesSubmissionWithoutRegisteringIt() {
    memoryPercent = 95.0;
    rt.memoryGuard().configure(90.0, 0.0);
    MemoryLimitException e =
        assertThrows(MemoryLimitException.class, () -> submit("big", t -> null));
    assertEquals("Memory limit reached, cannot start new task", e.getMessage());
    assertEquals(0, rt.activeCount());
    assertEquals(0, rt.admission().inUse());
    assertFalse(rt.metrics().get("big").isPresent());
  }

  @Test
  void memoryLimitWaitUsesTheInjectedClockAndSleeper() throws InterruptedException {
    memoryPercent = 95.0;
    Thread submitter = Thread.currentThread();
    onSleep = () -> {
      assertSame(submitter, Thread.currentThread(), "the submitter itself waits");
      if (sleeps.size() == 3) {
        memoryPercent = 50.0;
      }
    };
    rt.memoryGuard().configure(90.0, 1.0);
    long before = ticker.getAsLong();
    Task t = submit("admitted", task -> "ok");
    assertEquals(List.of(10_000_000L, 20_000_000L, 40_000_000L), sleeps);
    assertEquals(70_000_000L, ticker.getAsLong() - before);
    await(t);
    awaitIdle();
  }

  @Test
  void configureThreadPoolValidatesAndResizes() throws InterruptedException {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rt.configureThreadPool(0, 0));
    assertTrue(e.getMessage().contains("numThreads") && e.getMessage().contains("0"));
    e = assertThrows(IllegalArgumentException.class, () -> rt.configureThreadPool(2, -1));
    assertTrue(e.getMessage().contains("stackSize"), e.getMessage());
    assertEquals(2, rt.threadPoolSize());

    assertNull(rt.existingBackend("threads"), "the backend is created on first use");
    rt.configureThreadPool(3, 0);
    await(submit("first", t -> null));
    assertEquals(3, rt.existingBackend("threads").pool().size());

    int n = 5;
    rt.configureThreadPool(n, 0);
    WorkerPool pool = rt.existingBackend("threads").pool();
    assertEquals(n, pool.size());
    // Start every thread first: with one idle thread, quick submissions can lose wake-ups
    // (see WorkerPoolTest.resumingHeldTasksUsesEveryFreeSlot); this test is about the size.
    assertEquals(n, pool.prestart());
    assertEquals(n, pool.liveThreads());
    CountDownLatch allStarted = new CountDownLatch(n);
    CountDownLatch release = gate();
    for (int i = 0; i < n; i++) {
      submit("wide", holding(allStarted, release));
    }
    await(allStarted, n + " tasks must run at once on a pool of " + n);
    release.countDown();
    awaitIdle();
  }

  @Test
  void builderRejectsNonPositiveThreads() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TaskRuntime.builder().threads(0));
    assertTrue(e.getMessage().contains("threads"), e.getMessage());
    assertTrue(RuntimeConfig.defaultThreads() >= 1 && RuntimeConfig.defaultThreads() <= 32);
  }

  @Test
  void priorityPauseHoldsPriorityLauncherTasks() throws InterruptedException {
    rt.setPriorityPaused(true); // before the backend exists: applied when it is created
    List<String> order = new CopyOnWriteArrayList<>();
    Task prio = rt.submit(new TaskSpec("prio", "threads", 10, null, List.of(), true,
        t -> order.add("prio")));
    Task plain = submit("plain", t -> order.add("plain"));
    await(plain);
    assertEquals(TaskState.QUEUED, prio.state());
    assertEquals(List.of("plain"), order);
    Awaits.until(() -> rt.activeCount() == 1, () -> "live: " + rt.liveTasks());

    rt.setPriorityPaused(false);
    await(prio);
    assertEquals(List.of("plain", "prio"), order);

    rt.setPriorityPaused(true); // on an existing backend
    Task again = rt.submit(new TaskSpec("prio", "threads", 0, null, List.of(), true,
        t -> order.add("again")));
    await(submit("plain2", t -> null));
    assertEquals(TaskState.QUEUED, again.state());
    rt.setPriorityPaused(false);
    await(again);
    awaitIdle();
  }

  @Test
  void registeredBackendIsCreatedOnFirstUse() throws InterruptedException {
    assertTrue(rt.hasBackend("threads"));
    assertFalse(rt.hasBackend("custom"));
    List<String> created = new ArrayList<>();
    rt.registerBackend("custom", runtime -> {
      created.add("custom");
      return new ThreadBackend(1);
    });
    assertTrue(rt.hasBackend("custom"));
    assertEquals(List.of(), created);
    Task t = rt.submit(TaskSpec.of("f", "custom", task -> "on custom"));
    await(t);
    assertEquals("on custom", t.result());
    assertSame(rt.backend("custom"), rt.existingBackend("custom"));
    assertEquals(List.of("custom"), created, "created once");
    awaitIdle();
  }

  /** The end of a script closes its worker pool; a later script must get a fresh one, not "closed". */
  @Test
  void aClosedBackendIsForgottenAndTheNextTaskCreatesAFreshOne() throws InterruptedException {
    List<ThreadBackend> created = new ArrayList<>();
    rt.registerBackend("custom", runtime -> {
      ThreadBackend b = new ThreadBackend(1);
      created.add(b);
      return b;
    });
    assertFalse(rt.closeBackend("custom", 1_000), "nothing to close before first use");
    await(rt.submit(TaskSpec.of("f", "custom", task -> "first")));
    assertTrue(rt.closeBackend("custom", 1_000));
    assertNull(rt.existingBackend("custom"));
    Task again = rt.submit(TaskSpec.of("f", "custom", task -> "second"));
    await(again);
    assertEquals("second", again.result());
    assertEquals(2, created.size(), "a fresh backend after the close");
    assertNotSame(created.get(0), created.get(1));
    awaitIdle();
  }
}
