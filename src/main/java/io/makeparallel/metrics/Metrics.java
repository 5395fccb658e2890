package io.makeparallel.metrics;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-function counters (by {@code __qualname__}): tasks submitted, completed, failed and total
 * execution time. Thread-safe; recording is lock-free. {@link #get} also finds an entry by the
 * function's plain {@code __name__} when exactly one entry has it, since upstream keyed by name.
 */
public final class Metrics {
  /** Counters of one function name. Thread-safe. */
  public static final class Entry {
    final LongAdder total = new LongAdder();
    final LongAdder completed = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder nanos = new LongAdder();

    public long total() { return total.sum(); }
    public long completed() { return completed.sum(); }
    public long failed() { return failed.sum(); }
    public double totalMillis() { return nanos.sum() / 1e6; }

    public double averageMillis() {
      long finished = completed.sum() + failed.sum();
      return finished == 0 ? 0.0 : totalMillis() / finished;
    }
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  private Entry entry(String name) {
    return entries.computeIfAbsent(name, n -> new Entry());
  }

  public void started(String name) {
    entry(name).total.increment();
  }

  /** Records a finished execution; {@code ok} false counts it as failed. */
  public void finished(String name, long nanos, boolean ok) {
    Entry e = entry(name);
    (ok ? e.completed : e.failed).increment();
    e.nanos.add(Math.max(0, nanos));
  }

  /** Records a call that was not submitted as a task (the {@code profiled} decorator). */
  public void recordCall(String name, long nanos, boolean ok) {
    started(name);
    finished(name, nanos, ok);
  }

  /**
   * The entry recorded under {@code name} as a qualname; failing that, the one entry whose
   * qualname's last component is {@code name} (so {@code "f"} finds {@code "outer.<locals>.f"}).
   * Empty when nothing matches or when several qualnames share that plain name.
   */
  public Optional<Entry> get(String name) {
    Entry exact = entries.get(name);
    if (exact != null || name.isEmpty() || name.indexOf('.') >= 0) {
      return Optional.ofNullable(exact);
    }
    Entry found = null;
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (plainName(e.getKey()).equals(name)) {
        if (found != null) {
          return Optional.empty(); // ambiguous: two functions share the plain name
        }
        found = e.getValue();
      }
    }
    return Optional.ofNullable(found);
  }

  private static String plainName(String qualname) {
    return qualname.substring(qualname.lastIndexOf('.') + 1);
  }

  /** A sorted snapshot of every entry. */
  public Map<String, Entry> snapshot() {
    return new TreeMap<>(entries);
  }

  public void reset() {
    entries.clear();
  }
}
