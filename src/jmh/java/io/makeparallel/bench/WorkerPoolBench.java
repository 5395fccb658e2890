package io.makeparallel.bench;

import io.makeparallel.internal.TaskExecution;
import io.makeparallel.internal.WorkerPool;
import io.makeparallel.task.Task;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Enqueue and dispatch of no-op tasks through a real {@link WorkerPool} running the threads
 * backend's runner ({@link TaskExecution#runHere}): the queue, the wake-up of a worker, the
 * state machine on the worker, and the hand-back to the waiting thread. Tasks are built in the
 * (untimed) set-up; each invocation enqueues a batch of {@value #BATCH} and waits until every
 * one has resolved, so the score is per task.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WorkerPoolBench {
  static final int BATCH = 1000;

  @Param({"1", "2"})
  public int workers;

  /** "same": every task priority 0 (pure FIFO); "mixed": four interleaved priorities. */
  @Param({"same", "mixed"})
  public String priorities;

  private WorkerPool pool;
  private Task[] batch;
  private CountDownLatch done;
  private long sequence;

  @Setup(Level.Trial)
  public void startPool() {
    pool = new WorkerPool("bench-worker", workers, TaskExecution::runHere);
    pool.prestart();
  }

  @TearDown(Level.Trial)
  public void stopPool() {
    pool.close(2_000);
  }

  @Setup(Level.Invocation)
  public void buildBatch() {
    boolean mixed = "mixed".equals(priorities);
    CountDownLatch latch = new CountDownLatch(BATCH);
    batch = new Task[BATCH];
    for (int i = 0; i < BATCH; i++) {
      long seq = sequence++;
      Task t = Tasks.queued(seq, Tasks.priority(mixed, seq), Tasks.NOOP);
      t.whenDone(x -> latch.countDown());
      batch[i] = t;
    }
    done = latch;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void enqueueAllAwaitAll() throws InterruptedException {
    for (Task t : batch) {
      pool.enqueue(t);
    }
    done.await();
  }
}
