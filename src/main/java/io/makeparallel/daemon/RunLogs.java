package io.makeparallel.daemon;

import io.makeparallel.internal.Logging;
import java.io.OutputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Layout;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Sends makeparallel's log lines of a warm run to that run's stderr, at the level its own
 * environment asks for ({@code MAKEPARALLEL_LOG}, {@code RUST_LOG}), as a cold run prints them.
 * Without it a warning such as "on_complete callback ... raised and was ignored" would land in
 * the daemon's log file, where the user never looks.
 *
 * <p>A log line carries no run, so lines reach a run only while it is the daemon's one run;
 * with two runs at once (rare) they go to the daemon's log rather than to the wrong run. The
 * daemon's own lines ({@code io.makeparallel.daemon}) always go to its log. Thread-safe.
 */
final class RunLogs extends AbstractAppender {
  private static final String LOGGER = "io.makeparallel";
  private static final Set<Sink> RUNS = ConcurrentHashMap.newKeySet();
  private static volatile RunLogs installed;

  private final Appender daemonLog;
  private final Level base;

  /**
   * One run's stderr and the level its environment asks for. Compared by identity: two runs
   * may share a level and even a stream, and each must close its own sink.
   */
  static final class Sink {
    final OutputStream err;
    final Level level;

    Sink(OutputStream err, Level level) {
      this.err = err;
      this.level = level;
    }
  }

  RunLogs(Layout<?> layout, Appender daemonLog, Level base) {
    super("makeparallel-runs", null, layout, true, Property.EMPTY_ARRAY);
    this.daemonLog = daemonLog;
    this.base = base;
  }

  /**
   * Puts the router in front of the {@code io.makeparallel} logger's appender (the launcher's
   * stderr console, which is the daemon's log file). Once per process; no-op when the logging
   * setup is not the launcher's (an embedder's configuration is left alone).
   */
  static synchronized void install() {
    if (installed != null || !(LogManager.getContext(false) instanceof LoggerContext ctx)) {
      return;
    }
    Configuration cfg = ctx.getConfiguration();
    LoggerConfig lc = cfg.getLoggerConfig(LOGGER);
    Appender console = lc.getName().equals(LOGGER) ? lc.getAppenders().get("stderr") : null;
    if (console == null) {
      return;
    }
    RunLogs r = new RunLogs(console.getLayout(), console, lc.getLevel());
    r.start();
    cfg.addAppender(r);
    lc.removeAppender("stderr");
    lc.addAppender(r, null, null);
    ctx.updateLoggers();
    installed = r;
  }

  /** Routes log lines to {@code err} while this run is the only one; close the sink at its end. */
  static Sink open(OutputStream err, Map<String, String> environment) {
    Level asked = Logging.levelFromEnvironment(environment.get("MAKEPARALLEL_LOG"), environment.get("RUST_LOG"));
    Sink s = new Sink(err, asked != null ? asked : Level.WARN);
    RUNS.add(s);
    relevel();
    return s;
  }

  static void close(Sink s) {
    RUNS.remove(s);
    relevel();
  }

  /** The logger passes the most verbose level any run (or the daemon's log) asks for. */
  private static synchronized void relevel() {
    RunLogs r = installed;
    if (r == null) {
      return;
    }
    Level l = r.base;
    for (Sink s : RUNS) {
      if (s.level.isLessSpecificThan(l)) {
        l = s.level;
      }
    }
    org.apache.logging.log4j.core.config.Configurator.setLevel(LOGGER, l);
  }

  /**
   * The one run's sink, or null with none or several. Takes one snapshot of the runs: reading
   * the size and then the first element would race with a run closing in between.
   */
  static Sink only(Sink[] runs) {
    return runs.length == 1 ? runs[0] : null;
  }

  @Override
  public void append(LogEvent event) {
    Sink only = only(RUNS.toArray(new Sink[0]));
    boolean daemons = event.getLoggerName().startsWith("io.makeparallel.daemon");
    if (only != null && !daemons) {
      if (event.getLevel().isMoreSpecificThan(only.level)) {
        byte[] line = getLayout().toByteArray(event);
        try {
          synchronized (only) {
            only.err.write(line);
            only.err.flush();
          }
        } catch (java.io.IOException e) {
          // the client went away: its run is being cancelled
        }
      }
      return;
    }
    if (event.getLevel().isMoreSpecificThan(base)) {
      daemonLog.append(event);
    }
  }
}
