package io.makeparallel.policy;

import io.makeparallel.MemoryLimitException;
import java.util.function.LongSupplier;

/**
 * Holds submissions back while system memory in use is above a limit, re-checking with
 * exponential backoff (10 ms doubling to 1 s) for up to the configured wait, then failing with
 * {@link MemoryLimitException}. Samples are cached for {@link #SAMPLE_NANOS} so a burst of
 * submissions costs one probe, not one each.
 *
 * <p>Thread-safe. Time and sleeping are injected so tests run without real waits.
 */
public final class MemoryGuard {
  /** Upstream's message. */
  public static final String MESSAGE = "Memory limit reached, cannot start new task";
  static final long SAMPLE_NANOS = 100_000_000L;
  static final long FIRST_BACKOFF_NANOS = 10_000_000L;
  static final long MAX_BACKOFF_NANOS = 1_000_000_000L;

  /** Sleeps for the given nanoseconds; injected so tests can fake time. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(long nanos) throws InterruptedException;
  }

  private final MemoryProbe probe;
  private final LongSupplier ticker;
  private final Sleeper sleeper;
  private volatile double limitPercent = Double.NaN;
  private volatile long waitNanos;
  private volatile long sampledAt = Long.MIN_VALUE;
  private volatile double sample;

  public MemoryGuard(MemoryProbe probe, LongSupplier ticker, Sleeper sleeper) {
    this.probe = probe;
    this.ticker = ticker;
    this.sleeper = sleeper;
  }

  /**
   * Sets the limit in percent of system memory ({@code null} removes it) and how long a
   * submission may wait for memory to fall below it.
   */
  public void configure(Double maxPercent, double waitSeconds) {
    if (maxPercent != null && (maxPercent.isNaN() || maxPercent <= 0 || maxPercent > 100)) {
      throw new IllegalArgumentException("maxPercent must be in (0, 100] or null (no limit), got " + maxPercent);
    }
    if (!Double.isFinite(waitSeconds) || waitSeconds < 0) {
      throw new IllegalArgumentException("waitSeconds must be a finite number >= 0, got " + waitSeconds);
    }
    this.waitNanos = (long) Math.min(waitSeconds * 1e9, Long.MAX_VALUE / 4.0);
    this.limitPercent = maxPercent == null ? Double.NaN : maxPercent;
  }

  public Double limitPercent() {
    double l = limitPercent;
    return Double.isNaN(l) ? null : l;
  }

  /**
   * Returns when memory is below the limit (at once when no limit is set).
   *
   * @throws MemoryLimitException when memory stays above the limit for the whole wait
   */
  public void admit() throws InterruptedException {
    double limit = limitPercent;
    if (Double.isNaN(limit) || used() <= limit) {
      return;
    }
    long start = ticker.getAsLong();
    long backoff = FIRST_BACKOFF_NANOS;
    while (true) {
      long waited = ticker.getAsLong() - start;
      if (waited >= waitNanos) {
        throw new MemoryLimitException(MESSAGE);
      }
      sleeper.sleep(Math.min(backoff, waitNanos - waited));
      backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
      sampledAt = Long.MIN_VALUE; // a waiting submitter needs a fresh reading each round
      limit = limitPercent;
      if (Double.isNaN(limit) || used() <= limit) {
        return;
      }
    }
  }

  private double used() {
    long now = ticker.getAsLong();
    if (sampledAt == Long.MIN_VALUE || now - sampledAt >= SAMPLE_NANOS) {
      sample = probe.usedPercent();
      sampledAt = now;
    }
    return sample;
  }
}
