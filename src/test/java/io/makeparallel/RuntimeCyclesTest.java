package io.makeparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import io.makeparallel.testing.Awaits;
import io.makeparallel.testing.LeakProbe;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Issue 6: fifty {@link TaskRuntime}s created, loaded with tasks in every state (finished,
 * running, queued, with a pending deadline, with callbacks, waiting for a dependency) and shut
 * down while those are in flight must leave no thread and no heap behind.
 *
 * <p>Three measures, all taken after a warm-up cycle: threads by identity against a snapshot;
 * weak references to every runtime, task and payload, which must all be collected (exact: one
 * object kept reachable by a static registry, a thread-local or a surviving thread fails it);
 * and heap in use after GC. Every task carries a {@value #PAYLOAD_KB} KB array (its result, or
 * captured by its body or its callback), about {@code 50 * 13 * 256 KB = 160 MB} over the run;
 * the heap bound (baseline + {@value #HEAP_SLACK_MB} MB) is far above measurement noise and far
 * below that, so payloads pinned by a fifth of the cycles fail it.
 */
class RuntimeCyclesTest {
  private static final int CYCLES = 50;
  private static final int PAYLOAD_KB = 256;
  private static final long HEAP_SLACK_MB = 32;
  /**
   * Threads the JVM may start on its own while the test runs, none of them per cycle (the
   * attach listener that Lincheck's agent loading starts, Truffle compiler threads when a
   * Python test ran earlier in this JVM, a process reaper). A leak of one thread per cycle
   * would add fifty.
   */
  private static final int JVM_THREAD_SLACK = 3;
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** What one cycle did, for the figures; the cycle's tasks are not kept. */
  private record Counts(int tasks, int callbacks) {}

  /** Weak references to every runtime, task and payload of the measured cycles. */
  private final List<WeakReference<Object>> watched = new ArrayList<>();

  @Test
  void fiftyRuntimesShutDownWithTasksInFlightLeaveNoThreadsOrHeap() throws InterruptedException {
    Set<Thread> beforeWarmUp = LeakProbe.liveThreads();
    runCycle(0);
    watched.clear();
    Awaits.until(() -> LeakProbe.startedSince(beforeWarmUp, LeakProbe.MAKEPARALLEL).isEmpty(),
        () -> "warm-up threads left: " + LeakProbe.names(
            LeakProbe.startedSince(beforeWarmUp, LeakProbe.MAKEPARALLEL)));
    Set<Thread> baseline = LeakProbe.liveThreads();
    long baselineHeap = LeakProbe.usedHeapAfterGc();

    int tasks = 0;
    int callbacks = 0;
    for (int i = 1; i <= CYCLES; i++) {
      Counts c = runCycle(i);
      tasks += c.tasks();
      callbacks += c.callbacks();
    }

    Awaits.until(() -> LeakProbe.startedSince(baseline, LeakProbe.MAKEPARALLEL).isEmpty(),
        () -> "makeparallel threads left after " + CYCLES + " cycles: "
            + LeakProbe.names(LeakProbe.startedSince(baseline, LeakProbe.MAKEPARALLEL)));
    int threadsAfter = LeakProbe.liveThreads().size();
    long heapAfter = LeakProbe.usedHeapAfterGc();
    long reachable = stillReachable();
    System.err.printf("[cycles] %d TaskRuntime cycles, %d tasks, %d callbacks: threads %d -> %d"
            + " (new: %s), heap %.1f MB -> %.1f MB, runtimes/tasks/payloads still reachable:"
            + " %d of %d%n", CYCLES, tasks, callbacks, baseline.size(), threadsAfter,
        LeakProbe.names(LeakProbe.startedSince(baseline, t -> true)), LeakProbe.mb(baselineHeap),
        LeakProbe.mb(heapAfter), reachable, watched.size());
    assertEquals(0, reachable, "runtimes, tasks or payloads of closed runtimes still reachable");
    assertTrue(threadsAfter <= baseline.size() + JVM_THREAD_SLACK,
        () -> "live threads " + baseline.size() + " -> " + LeakProbe.liveThreads().size()
            + "; new: " + LeakProbe.names(LeakProbe.startedSince(baseline, t -> true)));
    assertTrue(heapAfter < baselineHeap + LeakProbe.mbToBytes(HEAP_SLACK_MB),
        () -> String.format("heap after GC %.1f MB, baseline %.1f MB", LeakProbe.mb(heapAfter),
            LeakProbe.mb(baselineHeap)));
  }

  /**
   * One runtime: a finished task, two running tasks that stop only when cancelled, four queued,
   * one queued with a pending deadline, three queued with a callback, one waiting for a running
   * task. Even cycles call {@code shutdown(cancelPending)} then {@code close()}; odd ones only
   * {@code close()}. Either way every task must resolve and every callback run exactly once.
   */
  private Counts runCycle(int cycle) throws InterruptedException {
    TaskRuntime rt = TaskRuntime.builder().memoryProbe(() -> 10.0).threads(2).build();
    watch(rt);
    List<Task> tasks = new ArrayList<>();
    AtomicInteger callbacksRun = new AtomicInteger();
    int callbacks = 0;
    try {
      Task done = rt.submit(TaskSpec.of("done", "threads", t -> payload()));
      assertTrue(done.await(WAIT), "cycle " + cycle + ": a plain task did not finish");
      tasks.add(done);
      CountDownLatch running = new CountDownLatch(2);
      for (int i = 0; i < 2; i++) {
        tasks.add(rt.submit(TaskSpec.of("running", "threads", untilCancelled(running))));
      }
      assertTrue(running.await(WAIT.toMillis(), TimeUnit.MILLISECONDS),
          "cycle " + cycle + ": the running tasks did not start");
      for (int i = 0; i < 4; i++) {
        tasks.add(rt.submit(TaskSpec.of("queued", "threads", holding(payload()))));
      }
      tasks.add(rt.submit(new TaskSpec("deadline", "threads", 0, Duration.ofHours(1), List.of(),
          false, holding(payload()))));
      for (int i = 0; i < 3; i++) {
        Task t = rt.submit(TaskSpec.of("callback", "threads", holding(payload())));
        byte[] captured = payload();
        t.whenDone(x -> callbacksRun.addAndGet(captured.length > 0 ? 1 : 0));
        callbacks++;
        tasks.add(t);
      }
      tasks.add(rt.submit(new TaskSpec("dependent", "threads", 0, null, List.of(tasks.get(1)),
          false, holding(payload()))));
      assertEquals(tasks.size() - 1, rt.activeCount(), "cycle " + cycle + ": tasks in flight");
    } finally {
      if (cycle % 2 == 0) {
        assertTrue(rt.shutdown(WAIT, true), "cycle " + cycle + ": shutdown left tasks running");
      }
      rt.close();
    }
    for (Task t : tasks) {
      assertTrue(t.isDone(), () -> "cycle " + cycle + ": unresolved after close: " + t);
      assertTrue(t.awaitCodeReturned(WAIT), () -> "cycle " + cycle + ": code still running: " + t);
      if (!t.name().equals("done")) {
        assertTrue(t.state() == TaskState.CANCELLED || t.state() == TaskState.FAILED,
            () -> "cycle " + cycle + ": in-flight task ended " + t);
      }
    }
    assertEquals(callbacks, callbacksRun.get(),
        "cycle " + cycle + ": callbacks of tasks cancelled by " + (cycle % 2 == 0 ? "shutdown" : "close"));
    tasks.forEach(this::watch);
    return new Counts(tasks.size(), callbacks);
  }

  private void watch(Object o) {
    watched.add(new WeakReference<>(o));
  }

  private long stillReachable() {
    return watched.stream().filter(r -> r.get() != null).count();
  }

  private byte[] payload() {
    byte[] data = new byte[PAYLOAD_KB * 1024];
    watch(data);
    return data;
  }

  /** A body that keeps {@code data} reachable until it runs (queued tasks never do here). */
  private static TaskBody holding(byte[] data) {
    return t -> data;
  }

  /** A cooperative body: holds its worker until the task is cancelled or timed out. */
  private TaskBody untilCancelled(CountDownLatch started) {
    return t -> {
      byte[] data = payload();
      started.countDown();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!t.isCancelRequested() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000L); // workload: a task polling for its cancellation
      }
      return data;
    };
  }
}
