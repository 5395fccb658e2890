package io.makeparallel;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps the callback executor to count callbacks not yet finished, so "wait for everything"
 * (end of script, shutdown) also waits for completion callbacks. Thread-safe.
 */
final class TrackingExecutor implements Executor {
  private final Executor delegate;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile Runnable onDrained = () -> {};

  TrackingExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  void onDrained(Runnable r) {
    this.onDrained = r;
  }

  int inFlight() {
    return inFlight.get();
  }

  @Override
  public void execute(Runnable command) {
    inFlight.incrementAndGet();
    try {
      delegate.execute(() -> {
        try {
          command.run();
        } finally {
          if (inFlight.decrementAndGet() == 0) {
            onDrained.run();
          }
        }
      });
    } catch (RuntimeException e) {
      if (inFlight.decrementAndGet() == 0) {
        onDrained.run();
      }
      throw e;
    }
  }
}
