package io.makeparallel.testing;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Figures for leak tests: live threads, threads started since a snapshot, and heap in use
 * after garbage collection. Observation only; not thread-safe to share between tests running
 * at the same time (they would see each other's threads and garbage).
 */
public final class LeakProbe {
  /** Prefix of every thread makeparallel starts. */
  public static final Predicate<Thread> MAKEPARALLEL = t -> t.getName().startsWith("makeparallel-");
  private static final long MB = 1024L * 1024L;

  private LeakProbe() {}

  /** The live threads now. */
  public static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .collect(Collectors.toSet());
  }

  /** Live threads that were not in {@code before} and match {@code which}. */
  public static List<Thread> startedSince(Set<Thread> before, Predicate<Thread> which) {
    return liveThreads().stream()
        .filter(t -> !before.contains(t))
        .filter(which)
        .collect(Collectors.toList());
  }

  /** Thread names for failure messages. */
  public static String names(List<Thread> threads) {
    return threads.stream().map(Thread::getName).sorted().collect(Collectors.joining(", "));
  }

  /**
   * Heap in use after full collections, in bytes: collects until a sentinel object is gone (so
   * at least one collection really ran) and then twice more, returning the smallest reading.
   */
  public static long usedHeapAfterGc() {
    WeakReference<Object> sentinel = new WeakReference<>(new Object());
    for (int i = 0; i < 20 && sentinel.get() != null; i++) {
      System.gc();
    }
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return best;
  }

  public static double mb(long bytes) {
    return bytes / (double) MB;
  }

  public static long mbToBytes(long mb) {
    return mb * MB;
  }
}
