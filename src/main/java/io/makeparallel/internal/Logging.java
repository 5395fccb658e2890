package io.makeparallel.internal;

import java.util.Locale;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Applies the log level from the environment: {@code MAKEPARALLEL_LOG=trace|debug|info|warn|error|off},
 * or upstream's {@code RUST_LOG=makeparallel=<level>} (also a bare {@code RUST_LOG=<level>}).
 */
public final class Logging {
  private Logging() {}

  /** The level the environment asks for, or null if it says nothing usable. */
  public static Level levelFromEnvironment(String makeparallelLog, String rustLog) {
    Level l = parse(makeparallelLog);
    if (l != null || rustLog == null) {
      return l;
    }
    for (String part : rustLog.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq < 0) {
        l = parse(p);
      } else if (p.substring(0, eq).trim().equals("makeparallel")) {
        return parse(p.substring(eq + 1));
      }
    }
    return l;
  }

  /**
   * The level a name stands for ({@code trace|debug|info|warn|warning|error|off}, any case,
   * surrounding blanks ignored), or null for null or any other name. The one table of level
   * names: the environment's level and the Python package's {@code log(level, ...)} both use it.
   */
  public static Level parse(String s) {
    if (s == null) {
      return null;
    }
    switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "trace": return Level.TRACE;
      case "debug": return Level.DEBUG;
      case "info": return Level.INFO;
      case "warn": case "warning": return Level.WARN;
      case "error": return Level.ERROR;
      case "off": return Level.OFF;
      default: return null;
    }
  }

  /** Sets the {@code io.makeparallel} loggers to the environment's level, if it names one. */
  public static void applyEnvironment() {
    Level l = levelFromEnvironment(System.getenv("MAKEPARALLEL_LOG"), System.getenv("RUST_LOG"));
    if (l != null) {
      Configurator.setLevel("io.makeparallel", l);
    }
  }
}
