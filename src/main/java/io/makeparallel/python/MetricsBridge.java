package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.internal.Logging;
import io.makeparallel.metrics.Metrics;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.graalvm.polyglot.HostAccess;

/**
 * The metrics and logging concern of the bridge, the polyglot binding {@value #BINDING}: the
 * engine's per-function counters and makeparallel's one logger, for the Python package.
 *
 * <p>Thread-safe (the metrics table and the logger are).
 */
public final class MetricsBridge {
  public static final String BINDING = "makeparallel.metrics";
  private static final Logger LOG = LogManager.getLogger("io.makeparallel.python");

  private final TaskRuntime runtime;
  private final ContextPolicy policy;

  MetricsBridge(TaskRuntime runtime, ContextPolicy policy) {
    this.runtime = runtime;
    this.policy = policy;
  }

  @HostAccess.Export
  public String[] metricNames() {
    return runtime.metrics().snapshot().keySet().toArray(new String[0]);
  }

  /** {total, completed, failed, totalMillis, averageMillis}, or None for an unknown name. */
  @HostAccess.Export
  public double[] metric(String name) {
    return runtime.metrics().get(name).map(MetricsBridge::row).orElse(null);
  }

  private static double[] row(Metrics.Entry e) {
    return new double[] {e.total(), e.completed(), e.failed(), e.totalMillis(), e.averageMillis()};
  }

  /** Clears every context's counters, so it needs runtime control. @return null or a fault */
  @HostAccess.Export
  public String resetMetrics() {
    return ControlBridge.change(policy, "metrics reset", () -> runtime.metrics().reset());
  }

  /** Counts one finished call of {@code name} (a synchronous decorator's). */
  @HostAccess.Export
  public void recordMetric(String name, double millis, boolean ok) {
    runtime.metrics().recordCall(name, (long) (millis * 1e6), ok);
  }

  /** Logs {@code message} at {@code level} (trace/debug/info/warn/error; other names and off: info). */
  @HostAccess.Export
  public void log(String level, String message) {
    Level l = Logging.parse(level);
    LOG.log(l == null || l == Level.OFF ? Level.INFO : l, message);
  }
}
