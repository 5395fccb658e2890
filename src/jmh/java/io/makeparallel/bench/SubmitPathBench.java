package io.makeparallel.bench;

import io.makeparallel.RuntimeConfig;
import io.makeparallel.TaskRuntime;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole Java side of a Python {@code @parallel} call on the threads backend: what
 * {@code Bridge.submit} and {@code handle.get()} pay in Java for a no-op task
 * ({@link TaskRuntime#submit}: admission, id, registry, metrics, listener, enqueue; a worker
 * runs it; the slot is released and the completion listener goes to the callback threads;
 * then {@link TaskRuntime#await}, state, result). It leaves out everything on the Python side:
 * the decorator, argument capture, entering the polyglot context on the worker, and the
 * host-call crossings.
 *
 * <p>The two modes mirror B2: one task submitted and awaited at a time, and a batch of
 * {@value #BATCH} submitted, then awaited in order. Runtime defaults otherwise (unlimited
 * slots, no memory limit, own timer and callback threads).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SubmitPathBench {
  static final int BATCH = 1000;

  /** Pool size: the machine's cores on this 2-core box, and the runtime default min(32, cores + 4). */
  @Param({"2", "default"})
  public String threads;

  private TaskRuntime runtime;
  private final Task[] batch = new Task[BATCH];

  @Setup
  public void start() {
    int n = "default".equals(threads) ? RuntimeConfig.defaultThreads() : Integer.parseInt(threads);
    runtime = TaskRuntime.builder().threads(n).build();
  }

  /** A spec per call, as {@code Bridge.submitBody} builds one per call. */
  private Task submit() throws InterruptedException {
    return runtime.submit(new TaskSpec("noop", "threads", 0, null, List.of(), false, Tasks.NOOP));
  }

  @TearDown
  public void stop() throws InterruptedException {
    runtime.awaitIdle(Duration.ofSeconds(10));
    runtime.close();
  }

  private static Object get(Task t) throws InterruptedException {
    TaskRuntime.await(t, null);
    return t.state() == TaskState.SUCCEEDED ? t.result() : t.error();
  }

  @Benchmark
  public Object submitAndGet() throws InterruptedException {
    return get(submit());
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public Object submitAllThenGetAll() throws InterruptedException {
    for (int i = 0; i < BATCH; i++) {
      batch[i] = submit();
    }
    Object last = null;
    for (int i = 0; i < BATCH; i++) {
      last = get(batch[i]);
      batch[i] = null;
    }
    return last;
  }
}
