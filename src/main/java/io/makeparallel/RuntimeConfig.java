package io.makeparallel;

import io.makeparallel.internal.NamedThreadFactory;
import io.makeparallel.policy.MemoryGuard;
import io.makeparallel.policy.MemoryProbe;
import io.makeparallel.policy.OshiMemoryProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The injectable parts of a {@link TaskRuntime}: clock, timer, callback executor, memory probe
 * and the initial pool size. Immutable once built; executors the builder creates itself are
 * owned (and shut down) by the runtime, injected ones are not.
 */
public final class RuntimeConfig {
  final LongSupplier ticker;
  final ScheduledExecutorService timer;
  final Executor callbackExecutor;
  final TrackingExecutor callbacks;
  final MemoryProbe memoryProbe;
  final MemoryGuard.Sleeper sleeper;
  final int threads;
  private final List<ExecutorService> owned;

  private RuntimeConfig(Builder b, List<ExecutorService> owned) {
    this.ticker = b.ticker;
    this.timer = b.timer;
    this.callbackExecutor = b.callbackExecutor;
    this.callbacks = new TrackingExecutor(b.callbackExecutor);
    this.memoryProbe = b.memoryProbe;
    this.sleeper = b.sleeper;
    this.threads = b.threads;
    this.owned = owned;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Default size of the threads pool: like {@code ThreadPoolExecutor}, min(32, cores + 4). */
  public static int defaultThreads() {
    return Math.min(32, Runtime.getRuntime().availableProcessors() + 4);
  }

  public LongSupplier ticker() {
    return ticker;
  }

  /**
   * Stops the executors the builder created: shutdown, then up to {@code waitMillis} for work
   * already handed over (the callbacks of the tasks {@code close} just cancelled fire exactly
   * once), then {@code shutdownNow}. Pending deadlines are dropped at shutdown. Restores the
   * interrupt flag if interrupted while waiting.
   */
  void closeOwned(long waitMillis) {
    for (ExecutorService e : owned) {
      e.shutdown();
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
    try {
      for (ExecutorService e : owned) {
        e.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
    for (ExecutorService e : owned) {
      e.shutdownNow();
    }
  }

  /** Builds a {@link TaskRuntime}. Not thread-safe; reusable. */
  public static final class Builder {
    private LongSupplier ticker = System::nanoTime;
    private ScheduledExecutorService timer;
    private Executor callbackExecutor;
    private MemoryProbe memoryProbe = new OshiMemoryProbe();
    private MemoryGuard.Sleeper sleeper = nanos -> TimeUnit.NANOSECONDS.sleep(nanos);
    private int threads = defaultThreads();

    private Builder() {}

    /** Nanosecond clock (default {@link System#nanoTime}). */
    public Builder ticker(LongSupplier ticker) { this.ticker = ticker; return this; }

    /** Scheduler for deadlines (default: one daemon thread {@code makeparallel-timer-1}). */
    public Builder timer(ScheduledExecutorService timer) { this.timer = timer; return this; }

    /** Where completion callbacks run (default: daemon threads {@code makeparallel-callback-<n>}). */
    public Builder callbackExecutor(Executor e) { this.callbackExecutor = e; return this; }

    public Builder memoryProbe(MemoryProbe probe) { this.memoryProbe = probe; return this; }

    public Builder sleeper(MemoryGuard.Sleeper sleeper) { this.sleeper = sleeper; return this; }

    /** Initial size of the threads backend's pool (default {@link #defaultThreads()}). */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      }
      this.threads = threads;
      return this;
    }

    public TaskRuntime build() {
      List<ExecutorService> owned = new ArrayList<>();
      Builder b = copy();
      if (b.timer == null) {
        ScheduledThreadPoolExecutor t =
            new ScheduledThreadPoolExecutor(1, new NamedThreadFactory("makeparallel-timer"));
        t.setRemoveOnCancelPolicy(true);
        t.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        b.timer = t;
        owned.add(t);
      }
      if (b.callbackExecutor == null) {
        // Unbounded queue, a few threads: callbacks of one task run in order on one thread,
        // and a slow callback only delays others when every callback thread is busy.
        ThreadPoolExecutor cb = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), new NamedThreadFactory("makeparallel-callback"));
        cb.allowCoreThreadTimeOut(true);
        b.callbackExecutor = cb;
        owned.add(cb);
      }
      return new TaskRuntime(new RuntimeConfig(b, owned));
    }

    private Builder copy() {
      Builder c = new Builder();
      c.ticker = ticker;
      c.timer = timer;
      c.callbackExecutor = callbackExecutor;
      c.memoryProbe = memoryProbe;
      c.sleeper = sleeper;
      c.threads = threads;
      return c;
    }
  }
}
