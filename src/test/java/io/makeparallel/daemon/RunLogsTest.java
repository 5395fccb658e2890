package io.makeparallel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

/** Issue 10: a warm run's log lines reach its stderr, and routing never races a run's end. */
class RunLogsTest {
  private final List<String> daemonLog = new CopyOnWriteArrayList<>();
  private final RunLogs router = new RunLogs(PatternLayout.newBuilder().withPattern("%m%n").build(),
      new AbstractAppender("daemon-log", null, null, true, Property.EMPTY_ARRAY) {
        @Override
        public void append(LogEvent event) {
          daemonLog.add(event.getMessage().getFormattedMessage());
        }
      }, Level.INFO);

  private static LogEvent event(String logger, Level level, String text) {
    return Log4jLogEvent.newBuilder().setLoggerName(logger).setLevel(level)
        .setMessage(new SimpleMessage(text)).build();
  }

  @Test
  void theOneRunGetsItsLinesAtItsLevelAndTheDaemonKeepsItsOwn() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    RunLogs.Sink run = RunLogs.open(err, Map.of("MAKEPARALLEL_LOG", "warn"));
    try {
      router.append(event("io.makeparallel.python", Level.WARN, "callback raised"));
      router.append(event("io.makeparallel.python", Level.INFO, "too chatty for this run"));
      router.append(event("io.makeparallel.daemon.Session", Level.WARN, "daemon's own"));
    } finally {
      RunLogs.close(run);
    }
    assertEquals("callback raised\n", err.toString(StandardCharsets.UTF_8));
    assertEquals(List.of("daemon's own"), daemonLog);
  }

  @Test
  void withTwoRunsLinesGoToTheDaemonsLogNotToAGuessedRun() {
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    RunLogs.Sink one = RunLogs.open(a, Map.of());
    RunLogs.Sink two = RunLogs.open(b, Map.of());
    try {
      router.append(event("io.makeparallel.python", Level.WARN, "whose?"));
    } finally {
      RunLogs.close(one);
      RunLogs.close(two);
    }
    assertEquals(0, a.size() + b.size());
    assertEquals(List.of("whose?"), daemonLog);
    assertNull(RunLogs.only(new RunLogs.Sink[0]));
  }

  /**
   * A run ending while a line is routed: the line goes to the run or to the daemon's log, and
   * routing never throws (Log4j would drop the line). Before the one-snapshot read, the size
   * check and the iterator disagreed here within a few thousand rounds.
   */
  @Test
  void aRunEndingWhileALineIsRoutedNeverThrows() throws InterruptedException {
    AtomicBoolean stop = new AtomicBoolean();
    Thread runs = new Thread(() -> {
      while (!stop.get()) {
        RunLogs.close(RunLogs.open(OutputStream.nullOutputStream(), Map.of()));
      }
    }, "runs-come-and-go");
    AtomicReference<Throwable> failure = new AtomicReference<>();
    runs.start();
    try {
      LogEvent e = event("io.makeparallel.python", Level.ERROR, "x");
      for (int i = 0; i < 200_000 && failure.get() == null; i++) {
        try {
          router.append(e);
        } catch (RuntimeException ex) {
          failure.set(ex);
        }
      }
    } finally {
      stop.set(true);
      runs.join(10_000);
    }
    assertNull(failure.get(), () -> "routing threw: " + failure.get());
    assertTrue(!runs.isAlive());
  }
}
