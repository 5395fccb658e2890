package io.makeparallel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class LoggingTest {
  @ParameterizedTest
  @CsvSource({
      "trace, TRACE", "debug, DEBUG", "info, INFO", "warn, WARN", "warning, WARN",
      "error, ERROR", "off, OFF", "DEBUG, DEBUG", "' Info ', INFO", "Error, ERROR"})
  void makeparallelLogNamesTheLevel(String value, String level) {
    assertEquals(Level.getLevel(level), Logging.levelFromEnvironment(value, null));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "makeparallel=debug | DEBUG",
      "makeparallel=TRACE | TRACE",
      "' makeparallel = error ' | ERROR",
      "info | INFO",
      "other=trace,makeparallel=warn | WARN",
      "makeparallel=debug,info | DEBUG",
      "info,makeparallel=error | ERROR",
      "error,other=trace | ERROR",
      "warn,info | INFO",
      "other=trace, makeparallel=info | INFO"})
  void rustLogIsHonouredForUpstreamScripts(String rustLog, String level) {
    assertEquals(Level.getLevel(level), Logging.levelFromEnvironment(null, rustLog));
  }

  @Test
  void makeparallelLogTakesPrecedenceOverRustLog() {
    assertEquals(Level.ERROR, Logging.levelFromEnvironment("error", "makeparallel=trace"));
    assertEquals(Level.OFF, Logging.levelFromEnvironment("off", "debug"));
  }

  @Test
  void unusableMakeparallelLogFallsBackToRustLog() {
    assertEquals(Level.DEBUG, Logging.levelFromEnvironment("loud", "makeparallel=debug"));
    assertEquals(Level.INFO, Logging.levelFromEnvironment("", "info"));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {"verbose", "5", "debugg", "makeparallel=debug"})
  void junkMakeparallelLogAloneIsNull(String value) {
    assertNull(Logging.levelFromEnvironment(value, null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "other=debug", "makeparallel=loud", "verbose", "other=info,tokio=warn",
      "makeparallel_ext=debug", ","})
  void rustLogWithoutAUsableLevelIsNull(String rustLog) {
    assertNull(Logging.levelFromEnvironment(null, rustLog));
  }

  @Test
  void nothingSetIsNull() {
    assertNull(Logging.levelFromEnvironment(null, null));
  }
}
