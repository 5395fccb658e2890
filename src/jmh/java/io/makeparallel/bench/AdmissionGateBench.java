package io.makeparallel.bench;

import io.makeparallel.policy.AdmissionGate;
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
 * One slot taken and given back, as every submission does ({@code acquire} at submit,
 * {@code release} when the task's code has returned). Contended variants share one gate
 * between 2 and 4 threads; with {@code limit=1} they also queue on the gate's condition, as
 * submitters do when {@code set_max_concurrent_tasks} is reached.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AdmissionGateBench {
  /** "none" = no limit (the default), "1" = one slot, saturated as soon as two threads run. */
  @Param({"none", "1"})
  public String limit;

  private AdmissionGate gate;

  @Setup
  public void setUp() {
    gate = new AdmissionGate();
    gate.setLimit("none".equals(limit) ? null : Integer.valueOf(limit));
  }

  @Benchmark
  @Threads(1)
  public void acquireRelease() throws InterruptedException {
    gate.acquire(false);
    gate.release();
  }

  @Benchmark
  @Threads(2)
  public void acquireRelease2Threads() throws InterruptedException {
    gate.acquire(false);
    gate.release();
  }

  @Benchmark
  @Threads(4)
  public void acquireRelease4Threads() throws InterruptedException {
    gate.acquire(false);
    gate.release();
  }
}
