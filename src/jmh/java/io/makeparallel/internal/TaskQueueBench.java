package io.makeparallel.internal;

import io.makeparallel.bench.Tasks;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The worker pool's priority queue alone ({@link TaskQueue}; in this package to reach it): one offer and one
 * poll per operation, on a queue holding {@code depth} other tasks of four interleaved
 * priorities. The tasks are built once and never resolved, so each thread cycles through a ring
 * of them (a task may sit in the heap twice; the heap does not mind); the heap stays at
 * {@code depth} (+1 per thread) entries.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TaskQueueBench {
  private static final int RING = 1 << 14;

  /** Tasks already waiting: 0 = the idle-pool case, 1000 = a bulk submission backed up. */
  @Param({"0", "1000"})
  public int depth;

  private TaskQueue queue;
  private Task[] ring;

  /** Each thread's position in the ring: no shared counter beside the queue's own lock. */
  @State(Scope.Thread)
  public static class Cursor {
    long next;
  }

  @Setup
  public void setUp() {
    ring = new Task[RING];
    for (int i = 0; i < RING; i++) {
      ring[i] = Tasks.queued(i, Tasks.priority(true, i), Tasks.NOOP);
    }
    queue = new TaskQueue();
    for (int i = 0; i < depth; i++) {
      queue.offer(ring[i]);
    }
  }

  private Task offerPoll(Cursor c) {
    queue.offer(ring[(int) (c.next++ & (RING - 1))]);
    return queue.poll();
  }

  @Benchmark
  @Threads(1)
  public Task offerPoll1Thread(Cursor c) {
    return offerPoll(c);
  }

  @Benchmark
  @Threads(2)
  public Task offerPoll2Threads(Cursor c) {
    return offerPoll(c);
  }
}
