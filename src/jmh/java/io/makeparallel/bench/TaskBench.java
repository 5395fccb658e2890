package io.makeparallel.bench;

import io.makeparallel.TaskRuntime;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskState;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The handle's state machine on one thread, without queues or worker threads: what a task
 * costs between "built" and "resolved, listeners told, slot released". Listeners run on the
 * calling thread here (the builder's default executor); the runtime hands them to its callback
 * threads, which the submit benchmark includes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TaskBench {
  private static final Object RESULT = "ok";

  /** Per-thread listener, so its side effect is not shared between threads. */
  @State(Scope.Thread)
  public static class Listener {
    int fired;
    final Consumer<Task> onDone = t -> fired++;
    final Runnable releaser = () -> fired++;
  }

  /** Built, listener and releaser attached, started, succeeded, code returned. */
  @Benchmark
  @Threads(1)
  public Task lifecycle(Listener l) {
    Task t = Tasks.queued(0, 0, Tasks.NOOP);
    t.setReleaser(l.releaser);
    t.whenDone(l.onDone);
    t.markRunning(null);
    t.succeed(RESULT);
    t.codeFinished();
    return t;
  }

  /**
   * The loser's side of "completion racing a cancel", uncontended: cancel() on a task that has
   * just succeeded. Includes the cancellation exception cancel() builds before it looks at the
   * state.
   */
  @Benchmark
  @Threads(1)
  public boolean cancelAfterComplete(Listener l) {
    Task t = Tasks.queued(0, 0, Tasks.NOOP);
    t.whenDone(l.onDone);
    t.markRunning(null);
    t.succeed(RESULT);
    t.codeFinished();
    return t.cancel();
  }

  /** A task that resolved long ago. */
  @State(Scope.Benchmark)
  public static class Completed {
    Task task;

    @Setup
    public void setUp() {
      task = Tasks.queued(0, 0, Tasks.NOOP);
      task.markRunning(null);
      task.succeed(RESULT);
      task.codeFinished();
    }
  }

  /** What a Python {@code handle.get()} does in Java on a finished task: await, state, result. */
  @Benchmark
  @Threads(1)
  public Object getCompleted(Completed c) throws InterruptedException {
    Task t = c.task;
    TaskRuntime.await(t, null);
    return t.state() == TaskState.SUCCEEDED ? t.result() : t.error();
  }

  /** The task the completer is working on, published for the canceller. */
  @State(Scope.Group)
  public static class Race {
    volatile Task current;
  }

  /**
   * Completion racing a cancel, on two threads: the completer runs tasks through their whole
   * life while the canceller keeps cancelling whichever task is current. Whoever takes the
   * task's monitor first resolves it; the other's transition is refused. Neither thread waits
   * for the other, so each score is a cost per call under that contention: the completer's is
   * a task's life with a cancel racing it, the canceller's a cancel() on a hot task (most of
   * them lose, and every one builds its exception first).
   */
  @Benchmark
  @Group("completeRacingCancel")
  @GroupThreads(1)
  public boolean completer(Race r, Listener l) {
    Task t = Tasks.queued(0, 0, Tasks.NOOP);
    t.whenDone(l.onDone);
    r.current = t;
    // As the worker does (TaskExecution.runHere): a task cancelled before it started is skipped.
    if (!t.markRunning(null)) {
      return false;
    }
    boolean won = t.succeed(RESULT);
    t.codeFinished();
    return won;
  }

  @Benchmark
  @Group("completeRacingCancel")
  @GroupThreads(1)
  public boolean canceller(Race r) {
    Task t = r.current;
    return t != null && t.cancel();
  }
}
