package io.makeparallel.python;

import io.makeparallel.internal.NamedThreadFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A standby worker context for the {@code interpreters} backend, so a hard cancel does not leave
 * its worker without an interpreter for the seconds a fresh context takes (GraalPy builds a
 * context and imports the package in 1-2 s on a quiet 2-core box, far more when it is busy).
 *
 * <p>Nothing is built until {@link #arm()} (called at the first hard cancel): programs that
 * never cancel pay no memory for it. Once armed, one prepared context is kept ready; a worker
 * that needs a fresh context {@link #take() takes} it and a new one is built in the background
 * on {@code makeparallel-interp-spare-<n>}, a thread that ends when idle.
 *
 * <p>Thread-safe.
 */
final class SpareContexts<T> {
  private static final Logger LOG = LogManager.getLogger(SpareContexts.class);
  /**
   * Spares in this process, ready or being built (for leak checks: open contexts = workers +
   * these). A spare counts from the moment its build starts, so a context the builder has
   * opened is never mistaken for a worker's.
   */
  private static final AtomicInteger HELD = new AtomicInteger();
  /** Of {@link #HELD}, those ready to be taken. */
  private static final AtomicInteger READY = new AtomicInteger();

  private final Supplier<T> factory;
  private final Consumer<T> closer;
  private final ExecutorService builder;
  private T ready;
  private boolean building;
  private boolean armed;
  private boolean closed;

  /** Builds spares with {@code factory} on its own thread; {@code closer} discards one. */
  SpareContexts(Supplier<T> factory, Consumer<T> closer) {
    this(factory, closer, new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new NamedThreadFactory("makeparallel-interp-spare")));
  }

  /** For tests: {@code builder} runs the builds and is shut down by {@link #close}. */
  SpareContexts(Supplier<T> factory, Consumer<T> closer, ExecutorService builder) {
    this.factory = factory;
    this.closer = closer;
    this.builder = builder;
  }

  /** Standby contexts in this process, ready or being built. */
  static int held() {
    return HELD.get();
  }

  /** Standby contexts in this process ready to be taken. */
  static int ready() {
    return READY.get();
  }

  /** Starts keeping a spare ready (idempotent). */
  synchronized void arm() {
    armed = true;
    refillLocked();
  }

  /** The ready spare, or null if none is ready yet; taking one starts building the next. */
  synchronized T take() {
    T p = ready;
    ready = null;
    if (p != null) {
      HELD.decrementAndGet();
      READY.decrementAndGet();
    }
    if (armed) {
      refillLocked();
    }
    return p;
  }

  private void refillLocked() {
    if (closed || building || ready != null) {
      return;
    }
    building = true;
    HELD.incrementAndGet();
    try {
      builder.execute(this::build);
    } catch (RuntimeException e) { // rejected: the builder is shut down
      building = false;
      HELD.decrementAndGet();
      throw e;
    }
  }

  private void build() {
    T p = null;
    try {
      p = factory.get();
    } catch (RuntimeException e) {
      // Most likely the engine is going away; a worker then builds its own context as before.
      LOG.debug("spare worker context not built: {}", e.toString());
    }
    boolean discard;
    synchronized (this) {
      building = false;
      discard = closed;
      if (!discard && p != null) {
        ready = p;
        READY.incrementAndGet();
      }
    }
    if (discard || p == null) {
      try {
        if (p != null) {
          closer.accept(p);
        }
      } finally {
        HELD.decrementAndGet(); // after the close, so the context never looks like a worker's
      }
    }
  }

  /** Closes the spare (also one still being built) and waits up to {@code waitMillis} for it. */
  void close(long waitMillis) {
    T p;
    synchronized (this) {
      closed = true;
      p = ready;
      ready = null;
    }
    if (p != null) {
      try {
        closer.accept(p);
      } finally {
        HELD.decrementAndGet();
        READY.decrementAndGet();
      }
    }
    builder.shutdown();
    try {
      builder.awaitTermination(Math.max(0, waitMillis), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
