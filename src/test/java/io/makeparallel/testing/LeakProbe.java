package io.makeparallel.testing;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  /**
   * Live instances and bytes per class now (the JVM's {@code GC.class_histogram}, which collects
   * first), for counting what a leak would retain and naming what grew. Empty when the
   * diagnostic command is unavailable.
   */
  public static ClassHistogram classHistogram() {
    Map<String, long[]> rows = new HashMap<>();
    try {
      Object text = ManagementFactory.getPlatformMBeanServer().invoke(
          new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
          "gcClassHistogram", new Object[] {new String[0]},
          new String[] {String[].class.getName()});
      for (String line : text.toString().split("\n")) {
        // "   1:     123456     7890123  java.lang.String (java.base@25)"
        String[] f = line.trim().split("\\s+");
        if (f.length >= 4 && f[0].endsWith(":")) {
          long[] row = rows.computeIfAbsent(f[3], k -> new long[2]);
          row[0] += Long.parseLong(f[1]);
          row[1] += Long.parseLong(f[2]);
        }
      }
    } catch (Exception | LinkageError e) {
      // Observation only: a failure message without the histogram is still a failure message.
    }
    return new ClassHistogram(rows);
  }

  /** One class histogram: {class name: {instances, bytes}}. */
  public record ClassHistogram(Map<String, long[]> rows) {
    /** Live instances of the class named exactly {@code className}. */
    public long instances(String className) {
      long[] row = rows.get(className);
      return row == null ? 0 : row[0];
    }

    /**
     * Bytes held by the Graal compiler's and JVMCI's own classes (and arrays of them): its
     * graphs and caches live on the Java heap when the compiler comes as jars, and grow with
     * what it has compiled, not with what a test leaked.
     */
    public long compilerBytes() {
      return rows.entrySet().stream()
          .filter(e -> e.getKey().contains("jdk.graal.compiler.") || e.getKey().contains("jdk.vm.ci."))
          .mapToLong(e -> e.getValue()[1])
          .sum();
    }

    /** The {@code top} classes whose live bytes grew most since {@code before}. */
    public String grownSince(ClassHistogram before, int top) {
      return rows.entrySet().stream()
          .map(e -> Map.entry(e.getKey(), e.getValue()[1] - before.bytes(e.getKey())))
          .filter(e -> e.getValue() > 0)
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .limit(top)
          .map(e -> String.format("%s +%.1f MB", e.getKey(), mb(e.getValue())))
          .collect(Collectors.joining(", "));
    }

    private long bytes(String className) {
      long[] row = rows.get(className);
      return row == null ? 0 : row[1];
    }
  }

  public static double mb(long bytes) {
    return bytes / (double) MB;
  }

  public static long mbToBytes(long mb) {
    return mb * MB;
  }
}
