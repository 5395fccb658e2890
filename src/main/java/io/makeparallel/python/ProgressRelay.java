package io.makeparallel.python;

import io.makeparallel.internal.NamedThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Delivers progress reports made inside worker interpreters to the caller's callbacks on one
 * daemon thread ({@code makeparallel-progress-1}), in report order. Thread-safe.
 */
final class ProgressRelay {
  private static final Logger LOG = LogManager.getLogger(ProgressRelay.class);
  private static final ExecutorService RELAY = newRelay();

  private ProgressRelay() {}

  private static ExecutorService newRelay() {
    ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), new NamedThreadFactory("makeparallel-progress"));
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  static void execute(Runnable r) {
    RELAY.execute(() -> {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.warn("progress callback raised and was ignored: {}", e.toString());
      }
    });
  }
}
