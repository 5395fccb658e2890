package io.makeparallel.testing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} on a {@link FakeTicker}: it records what is scheduled and
 * runs it, on the calling thread, when {@link #advance} moves the clock past its due time.
 * Periodic scheduling is not supported. Thread-safe.
 */
public final class FakeScheduler extends AbstractExecutorService implements ScheduledExecutorService {
  private final FakeTicker ticker;
  private final List<Job<?>> jobs = new ArrayList<>();
  private long seq;
  private boolean shutdown;

  public FakeScheduler(FakeTicker ticker) {
    this.ticker = ticker;
  }

  /** A scheduled job: runs once when due, unless cancelled first. */
  public final class Job<V> extends FutureTask<V> implements ScheduledFuture<V> {
    final long due;
    final long order;

    Job(Callable<V> c, long due, long order) {
      super(c);
      this.due = due;
      this.order = order;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - ticker.getAsLong(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    /** The fake-clock time at which this job is due. */
    public long dueNanos() {
      return due;
    }
  }

  /** Moves the clock and runs every job that became due, in due-time order. */
  public void advance(long nanos) {
    ticker.advance(nanos);
    while (true) {
      Job<?> next;
      synchronized (this) {
        long now = ticker.getAsLong();
        next = jobs.stream()
            .filter(j -> !j.isDone() && j.due - now <= 0)
            .min(Comparator.<Job<?>>comparingLong(j -> j.due).thenComparingLong(j -> j.order))
            .orElse(null);
        if (next == null) {
          jobs.removeIf(Job::isDone);
          return;
        }
      }
      next.run();
    }
  }

  /** Every job scheduled so far (including finished and cancelled ones), in scheduling order. */
  public synchronized List<Job<?>> jobs() {
    return List.copyOf(jobs);
  }

  /** Jobs neither run nor cancelled. */
  public synchronized long pending() {
    return jobs.stream().filter(j -> !j.isDone()).count();
  }

  private synchronized <V> Job<V> add(Callable<V> c, long delay, TimeUnit unit) {
    if (shutdown) {
      throw new RejectedExecutionException("shut down");
    }
    Job<V> j = new Job<>(c, ticker.getAsLong() + unit.toNanos(Math.max(0, delay)), seq++);
    jobs.add(j);
    return j;
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return add(() -> {
      command.run();
      return null;
    }, delay, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return add(callable, delay, unit);
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable c, long i, long p, TimeUnit u) {
    throw new UnsupportedOperationException("periodic scheduling");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable c, long i, long d, TimeUnit u) {
    throw new UnsupportedOperationException("periodic scheduling");
  }

  /** Queues {@code command} to run at the next {@link #advance}. */
  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> left = new ArrayList<>();
    for (Job<?> j : jobs) {
      if (!j.isDone()) {
        j.cancel(false);
        left.add(j);
      }
    }
    return left;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isShutdown();
  }
}
