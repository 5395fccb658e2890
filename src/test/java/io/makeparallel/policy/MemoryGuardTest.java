package io.makeparallel.policy;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MemoryLimitException;
import io.makeparallel.testing.FakeTicker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemoryGuardTest {
  private final FakeTicker ticker = new FakeTicker();
  private final List<Long> sleeps = new ArrayList<>();
  /** Readings to return, in order; the last one repeats. */
  private final Deque<Double> readings = new ArrayDeque<>();
  private final AtomicInteger probes = new AtomicInteger();
  private Runnable onSleep = () -> { };

  private final MemoryProbe probe = () -> {
    probes.incrementAndGet();
    return readings.size() > 1 ? readings.poll() : readings.peek();
  };

  private final MemoryGuard guard = new MemoryGuard(probe, ticker, nanos -> {
    sleeps.add(nanos);
    ticker.advance(nanos);
    onSleep.run();
  });

  private static long ms(long millis) {
    return Duration.ofMillis(millis).toNanos();
  }

  private void readings(Double... values) {
    readings.clear();
    readings.addAll(List.of(values));
  }

  @Test
  void noLimitAdmitsAtOnceWithoutProbing() throws InterruptedException {
    MemoryGuard g = new MemoryGuard(() -> {
      throw new AssertionError("probed without a limit");
    }, ticker, nanos -> {
      throw new AssertionError("slept without a limit");
    });
    g.admit();
    g.configure(50.0, 1.0);
    g.configure(null, 1.0);
    assertNull(g.limitPercent());
    g.admit();
  }

  @Test
  void belowOrAtTheLimitAdmitsWithoutWaiting() throws InterruptedException {
    guard.configure(80.0, 5.0);
    readings(80.0);
    guard.admit();
    assertEquals(List.of(), sleeps);
    assertEquals(80.0, guard.limitPercent());
  }

  @Test
  void aboveTheLimitWithoutWaitFailsAtOnce() {
    guard.configure(50.0, 0.0);
    readings(90.0);
    MemoryLimitException e = assertThrows(MemoryLimitException.class, guard::admit);
    assertEquals("Memory limit reached, cannot start new task", e.getMessage());
    assertEquals(List.of(), sleeps);
  }

  @Test
  void backsOffExponentiallyToOneSecondThenGivesUp() {
    guard.configure(50.0, 5.0);
    readings(90.0);
    long start = ticker.getAsLong();
    MemoryLimitException e = assertThrows(MemoryLimitException.class, guard::admit);
    assertEquals(MemoryGuard.MESSAGE, e.getMessage());
    // 10, 20, ... 640 ms, then 1 s steps, the last one cut to end exactly at the 5 s wait.
    assertEquals(List.of(ms(10), ms(20), ms(40), ms(80), ms(160), ms(320), ms(640),
        ms(1000), ms(1000), ms(1000), ms(730)), sleeps);
    assertEquals(ms(5000), ticker.getAsLong() - start, "waited exactly the allowance");
    assertEquals(1 + sleeps.size(), probes.get(), "a fresh reading after every sleep");
  }

  @Test
  void backoffStaysCappedOnALongWait() {
    guard.configure(50.0, 30.0);
    readings(90.0);
    assertThrows(MemoryLimitException.class, guard::admit);
    assertEquals(ms(30_000), sleeps.stream().mapToLong(Long::longValue).sum());
    assertTrue(sleeps.stream().allMatch(s -> s <= ms(1000)), sleeps::toString);
    assertEquals(ms(1000), sleeps.get(sleeps.size() - 2));
  }

  @Test
  void shortWaitCutsTheFirstSleep() {
    guard.configure(50.0, 0.004);
    readings(90.0);
    assertThrows(MemoryLimitException.class, guard::admit);
    assertEquals(List.of(ms(4)), sleeps);
  }

  @Test
  void memoryFallingBelowTheLimitMidWaitAdmits() throws InterruptedException {
    guard.configure(50.0, 10.0);
    readings(90.0, 90.0, 90.0, 40.0);
    guard.admit();
    assertEquals(List.of(ms(10), ms(20), ms(40)), sleeps);
    assertEquals(4, probes.get());
  }

  @Test
  void removingTheLimitMidWaitAdmits() throws InterruptedException {
    guard.configure(50.0, 10.0);
    readings(90.0);
    onSleep = () -> {
      if (sleeps.size() == 2) {
        guard.configure(null, 0.0);
      }
    };
    guard.admit();
    assertEquals(2, sleeps.size());
  }

  @Test
  void raisingTheLimitMidWaitAdmits() throws InterruptedException {
    guard.configure(50.0, 10.0);
    readings(90.0);
    onSleep = () -> guard.configure(95.0, 10.0);
    guard.admit();
    assertEquals(List.of(ms(10)), sleeps);
  }

  @Test
  void burstOfAdmitsSharesOneSample() throws InterruptedException {
    guard.configure(80.0, 0.0);
    readings(30.0);
    for (int i = 0; i < 50; i++) {
      guard.admit();
      ticker.advance(ms(1));
    }
    assertEquals(1, probes.get(), "50 admits within 100 ms of each other cost one probe");
    ticker.advance(ms(50));
    guard.admit();
    assertEquals(2, probes.get(), "the sample expires after 100 ms");
  }

  @Test
  void sampleIsReusedUntilExactlyOneHundredMilliseconds() throws InterruptedException {
    guard.configure(80.0, 0.0);
    readings(30.0);
    guard.admit();
    ticker.advance(ms(100) - 1);
    guard.admit();
    assertEquals(1, probes.get());
    ticker.advance(1);
    guard.admit();
    assertEquals(2, probes.get());
  }

  @Test
  void cachedHighReadingRefusesUntilItExpires() throws InterruptedException {
    guard.configure(50.0, 0.0);
    readings(90.0, 10.0);
    assertThrows(MemoryLimitException.class, guard::admit);
    assertThrows(MemoryLimitException.class, guard::admit);
    assertEquals(1, probes.get());
    ticker.advance(ms(100));
    guard.admit();
    assertEquals(2, probes.get());
  }

  @Test
  void interruptedSleepPropagates() {
    MemoryGuard g = new MemoryGuard(() -> 99.0, ticker, nanos -> {
      throw new InterruptedException("stop");
    });
    g.configure(50.0, 5.0);
    assertThrows(InterruptedException.class, g::admit);
  }

  @ParameterizedTest
  @ValueSource(doubles = {Double.NaN, 0.0, -0.0, -5.0, 100.0001, 1000.0,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void invalidPercentIsRejected(double bad) {
    guard.configure(60.0, 2.0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> guard.configure(bad, 1.0));
    assertTrue(e.getMessage().startsWith("maxPercent must be in (0, 100]"), e.getMessage());
    assertEquals(60.0, guard.limitPercent(), "a rejected configuration changes nothing");
  }

  @ParameterizedTest
  @ValueSource(doubles = {-1.0, -0.001, Double.NaN, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY})
  void invalidWaitIsRejected(double bad) {
    guard.configure(60.0, 2.0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> guard.configure(70.0, bad));
    assertTrue(e.getMessage().startsWith("waitSeconds must be a finite number >= 0"), e.getMessage());
    assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
    assertEquals(60.0, guard.limitPercent());
  }

  @Test
  void boundaryValuesAreAccepted() {
    assertDoesNotThrow(() -> guard.configure(100.0, 0.0));
    assertDoesNotThrow(() -> guard.configure(Double.MIN_VALUE, 1e9));
    assertDoesNotThrow(() -> guard.configure(null, 0.0));
  }
}
