package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.makeparallel.TaskRuntime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;

/**
 * The Python package's {@code log(level, message)} reads level names through the engine's one
 * table ({@code Logging.parse}), so "warning" is a warning there as in {@code MAKEPARALLEL_LOG}
 * (issue 11: one log-level table, not two).
 */
class MetricsBridgeLogTest {
  @Test
  void levelNamesAreTheEnginesOwn() {
    List<Level> seen = new CopyOnWriteArrayList<>();
    AbstractAppender capture = new AbstractAppender("capture", null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        seen.add(event.getLevel());
      }
    };
    capture.start();
    Logger logger = (Logger) LogManager.getLogger("io.makeparallel.python");
    Level before = logger.getLevel();
    logger.addAppender(capture);
    logger.setLevel(Level.ALL);
    try (TaskRuntime rt = TaskRuntime.builder().build()) {
      MetricsBridge m = new MetricsBridge(rt, ContextPolicy.NARROWEST);
      for (String name : new String[] {"warning", "WARN", " error ", "debug", "off", "loud"}) {
        m.log(name, "message at " + name);
      }
    } finally {
      logger.removeAppender(capture);
      logger.setLevel(before);
    }
    assertEquals(List.of(Level.WARN, Level.WARN, Level.ERROR, Level.DEBUG, Level.INFO, Level.INFO), seen);
  }
}
