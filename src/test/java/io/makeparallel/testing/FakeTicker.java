package io.makeparallel.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A nanosecond clock that only moves when told to. Starts at a non-zero value because the code
 * under test treats a timestamp of 0 as "never". Thread-safe.
 */
public final class FakeTicker implements LongSupplier {
  public static final long START = 1_000_000_000L;
  private final AtomicLong nanos = new AtomicLong(START);

  @Override
  public long getAsLong() {
    return nanos.get();
  }

  public long advance(long deltaNanos) {
    return nanos.addAndGet(deltaNanos);
  }

  public long advance(Duration delta) {
    return advance(delta.toNanos());
  }
}
