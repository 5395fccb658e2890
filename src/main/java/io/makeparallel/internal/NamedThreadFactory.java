package io.makeparallel.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads named {@code <prefix>-<n>}, in makeparallel's own thread group. Thread-safe.
 *
 * <p>The group matters: a thread inherits its creator's group, and a runtime thread first
 * started from a Python-created thread would otherwise look like a guest thread that the
 * polyglot engine tries (and fails) to stop when the context closes.
 */
public final class NamedThreadFactory implements ThreadFactory {
  /** The group of every thread makeparallel starts. */
  public static final ThreadGroup GROUP = new ThreadGroup(rootGroup(), "makeparallel");

  private static ThreadGroup rootGroup() {
    ThreadGroup g = Thread.currentThread().getThreadGroup();
    while (g.getParent() != null) {
      g = g.getParent();
    }
    return g;
  }

  private final String prefix;
  private final AtomicInteger seq = new AtomicInteger();

  public NamedThreadFactory(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public Thread newThread(Runnable r) {
    Thread t = new Thread(GROUP, r, prefix + "-" + seq.incrementAndGet());
    t.setDaemon(true);
    return t;
  }
}
