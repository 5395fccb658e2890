package io.makeparallel.bench;

import io.makeparallel.internal.TaskExecution;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.task.Task;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One task at a time through a real {@link WorkerPool}: build, enqueue, wait until resolved.
 * Every operation wakes an idle worker and then the waiting thread, so this is mostly the cost
 * of two thread hand-offs; it is the pool's share of B2's "submit one and get it".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WorkerPoolRoundTripBench {
  @Param({"1", "2"})
  public int workers;

  private WorkerPool pool;
  private long sequence;

  @Setup
  public void startPool() {
    pool = new WorkerPool("bench-worker", workers, TaskExecution::runHere);
    pool.prestart();
  }

  @TearDown
  public void stopPool() {
    pool.close(2_000);
  }

  @Benchmark
  public Object enqueueAndAwait() throws InterruptedException {
    Task t = Tasks.queued(sequence++, 0, Tasks.NOOP);
    pool.enqueue(t);
    t.await(null);
    return t.result();
  }
}
