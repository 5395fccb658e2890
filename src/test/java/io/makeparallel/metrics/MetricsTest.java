package io.makeparallel.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.testing.ConcurrentTestHarness;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTest {
  private final Metrics metrics = new Metrics();

  private static long ms(long millis) {
    return millis * 1_000_000L;
  }

  @Test
  void unknownNameIsEmpty() {
    assertFalse(metrics.get("nothing").isPresent());
    assertTrue(metrics.snapshot().isEmpty());
  }

  @Test
  void countsStartsCompletionsAndFailures() {
    metrics.started("f");
    metrics.started("f");
    metrics.started("f");
    metrics.finished("f", ms(10), true);
    metrics.finished("f", ms(30), false);
    Metrics.Entry e = metrics.get("f").orElseThrow();
    assertEquals(3, e.total());
    assertEquals(1, e.completed());
    assertEquals(1, e.failed());
    assertEquals(40.0, e.totalMillis(), 1e-9);
    assertEquals(20.0, e.averageMillis(), 1e-9, "average over finished executions");
  }

  @Test
  void averageIsZeroBeforeAnythingFinished() {
    metrics.started("g");
    assertEquals(0.0, metrics.get("g").orElseThrow().averageMillis());
  }

  @Test
  void negativeDurationsCountAsZero() {
    metrics.finished("h", -ms(5), true);
    Metrics.Entry e = metrics.get("h").orElseThrow();
    assertEquals(0.0, e.totalMillis());
    assertEquals(1, e.completed());
  }

  @Test
  void recordCallCountsAStartAndAFinish() {
    metrics.recordCall("p", ms(4), true);
    metrics.recordCall("p", ms(2), false);
    Metrics.Entry e = metrics.get("p").orElseThrow();
    assertEquals(2, e.total());
    assertEquals(1, e.completed());
    assertEquals(1, e.failed());
    assertEquals(3.0, e.averageMillis(), 1e-9);
  }

  @Test
  void fractionalMillisecondsAreKept() {
    metrics.finished("q", 1_500_000L, true);
    assertEquals(1.5, metrics.get("q").orElseThrow().totalMillis(), 1e-12);
  }

  @Test
  void namesAreSeparate() {
    metrics.recordCall("a", ms(1), true);
    metrics.recordCall("b", ms(1), false);
    assertEquals(0, metrics.get("a").orElseThrow().failed());
    assertEquals(0, metrics.get("b").orElseThrow().completed());
  }

  @Test
  void snapshotIsSortedByName() {
    for (String n : List.of("zeta", "Alpha", "beta", "C.method", "alpha")) {
      metrics.started(n);
    }
    Map<String, Metrics.Entry> snap = metrics.snapshot();
    assertEquals(List.of("Alpha", "C.method", "alpha", "beta", "zeta"), List.copyOf(snap.keySet()));
    metrics.started("new");
    assertFalse(snap.containsKey("new"), "a snapshot does not grow with later names");
  }

  @Test
  void resetForgetsEverything() {
    metrics.recordCall("f", ms(1), true);
    metrics.reset();
    assertFalse(metrics.get("f").isPresent());
    assertTrue(metrics.snapshot().isEmpty());
    metrics.started("f");
    assertEquals(1, metrics.get("f").orElseThrow().total(), "counting restarts from zero");
  }

  @Test
  void concurrentRecordingLosesNothing() throws InterruptedException {
    int threads = 8;
    int perThread = 1000;
    ConcurrentTestHarness.race(threads, i -> {
      for (int k = 0; k < perThread; k++) {
        metrics.recordCall("hot", 1000, k % 4 != 0);
      }
      return null;
    });
    Metrics.Entry e = metrics.get("hot").orElseThrow();
    assertEquals((long) threads * perThread, e.total());
    assertEquals((long) threads * perThread * 3 / 4, e.completed());
    assertEquals((long) threads * perThread / 4, e.failed());
    assertEquals(threads * perThread * 0.001, e.totalMillis(), 1e-9);
  }

  @Test
  void plainNameFindsTheOneQualnameEndingInIt() {
    metrics.recordCall("test_profiled.<locals>.profiled_func", ms(1), true);
    metrics.recordCall("Shape.area", ms(1), true);
    assertEquals(1, metrics.get("profiled_func").orElseThrow().total(), "nested function by __name__");
    assertEquals(1, metrics.get("area").orElseThrow().total(), "method by __name__");
    assertFalse(metrics.get("func").isPresent(), "a suffix of the name is not the name");
    assertFalse(metrics.get("<locals>.profiled_func").isPresent(), "dotted names match exactly only");
  }

  @Test
  void qualnameWinsAndAmbiguousPlainNamesFindNothing() {
    metrics.recordCall("a.<locals>.f", ms(1), true);
    metrics.recordCall("b.<locals>.f", ms(1), true);
    metrics.recordCall("b.<locals>.f", ms(1), true);
    assertFalse(metrics.get("f").isPresent(), "two functions named f: ambiguous");
    assertEquals(2, metrics.get("b.<locals>.f").orElseThrow().total());
    metrics.recordCall("f", ms(1), true);
    metrics.recordCall("f", ms(1), true);
    metrics.recordCall("f", ms(1), true);
    assertEquals(3, metrics.get("f").orElseThrow().total(), "an exact qualname match comes first");
  }
}
