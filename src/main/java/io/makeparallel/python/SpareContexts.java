package io.makeparallel.python;

import io.makeparallel.internal.NamedThreadFactory;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A standby worker context for the {@code interpreters} backend, so a hard cancel does not leave
 * its worker without an interpreter for the seconds a fresh context takes (GraalPy builds a
 * context and imports the package in 1-2 s on a quiet 2-core box, far more when it is busy).
 *
 * <p>Nothing is built until {@link #arm} (called at the first hard cancel): programs that
 * never cancel pay no memory for it. Once armed, one prepared context is kept ready; a worker
 * that needs a fresh context {@link #take takes} it and a new one is built in the background
 * on {@code makeparallel-interp-spare-<n>}, a thread that ends when idle.
 *
 * <p>Each spare is built for a key (the {@link ContextPolicy} of the contexts that submit
 * tasks): the one last asked for. A spare is only ever handed out for its own key; a spare of
 * another key is discarded, never used, so a worker never runs a task in a context built with
 * other permissions than the submitter's.
 *
 * <p>Thread-safe.
 */
final class SpareContexts<K, T> {
  private static final Logger LOG = LogManager.getLogger(SpareContexts.class);
  /**
   * Spares in this process, ready or being built (for leak checks: open contexts = workers +
   * these). A spare counts from the moment its build starts, so a context the builder has
   * opened is never mistaken for a worker's.
   */
  private static final AtomicInteger HELD = new AtomicInteger();
  /** Of {@link #HELD}, those ready to be taken. */
  private static final AtomicInteger READY = new AtomicInteger();

  private final Function<K, T> factory;
  private final Consumer<T> closer;
  private final ExecutorService builder;
  private T ready;
  /** The key {@link #ready} was built for. */
  private K readyKey;
  /** The key the next spare is built for: the one last asked for. */
  private K wanted;
  private boolean building;
  private boolean armed;
  private boolean closed;

  /** Builds spares with {@code factory} on its own thread; {@code closer} discards one. */
  SpareContexts(Function<K, T> factory, Consumer<T> closer) {
    this(factory, closer, new ThreadPoolExecutor(0, 1, 5, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new NamedThreadFactory("makeparallel-interp-spare")));
  }

  /** For tests: {@code builder} runs the builds and is shut down by {@link #close}. */
  SpareContexts(Function<K, T> factory, Consumer<T> closer, ExecutorService builder) {
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

  /** Starts keeping a spare for {@code key} ready (idempotent for the same key). */
  void arm(K key) {
    T stale;
    synchronized (this) {
      armed = true;
      stale = wantLocked(key);
      refillLocked();
    }
    discard(stale);
  }

  /**
   * The ready spare built for {@code key}, or null if none is ready yet; taking one (or asking
   * for another key than the ready spare's, which is then discarded) starts building the next.
   */
  T take(K key) {
    T p;
    T stale;
    synchronized (this) {
      stale = wantLocked(key);
      p = ready;
      ready = null;
      readyKey = null;
      if (p != null) {
        HELD.decrementAndGet();
        READY.decrementAndGet();
      }
      if (armed) {
        refillLocked();
      }
    }
    discard(stale);
    return p;
  }

  /** Makes {@code key} the wanted one; returns the ready spare if it was built for another. */
  private T wantLocked(K key) {
    wanted = Objects.requireNonNull(key, "key");
    if (ready == null || key.equals(readyKey)) {
      return null;
    }
    T stale = ready;
    ready = null;
    readyKey = null;
    READY.decrementAndGet(); // still held until closed
    return stale;
  }

  /** Closes a spare taken out of {@link #ready} (outside the lock: closing takes a while). */
  private void discard(T stale) {
    if (stale == null) {
      return;
    }
    try {
      closer.accept(stale);
    } finally {
      HELD.decrementAndGet(); // after the close, so the context never looks like a worker's
    }
  }

  private void refillLocked() {
    if (closed || building || ready != null) {
      return;
    }
    building = true;
    HELD.incrementAndGet();
    K key = wanted;
    try {
      builder.execute(() -> build(key));
    } catch (RuntimeException e) { // rejected: the builder is shut down
      building = false;
      HELD.decrementAndGet();
      throw e;
    }
  }

  private void build(K key) {
    T p = null;
    try {
      p = factory.apply(key);
    } catch (RuntimeException e) {
      // Most likely the engine is going away; a worker then builds its own context as before.
      LOG.debug("spare worker context not built: {}", e.toString());
    }
    boolean keep;
    boolean again;
    synchronized (this) {
      building = false;
      // Built for a key no longer wanted: never handed out; the wanted one is built instead.
      keep = !closed && p != null && key.equals(wanted);
      again = !closed && p != null && !keep;
      if (keep) {
        ready = p;
        readyKey = key;
        READY.incrementAndGet();
      }
    }
    if (!keep) {
      try {
        if (p != null) {
          closer.accept(p);
        }
      } finally {
        HELD.decrementAndGet(); // after the close, so the context never looks like a worker's
      }
    }
    if (again) {
      synchronized (this) {
        refillLocked();
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
      readyKey = null;
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
