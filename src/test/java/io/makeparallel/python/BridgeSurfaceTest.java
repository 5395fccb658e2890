package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.makeparallel.DependencyException;
import io.makeparallel.MakeParallel;
import io.makeparallel.MakeParallelException;
import io.makeparallel.MemoryLimitException;
import io.makeparallel.ShutdownException;
import io.makeparallel.TaskCancelledException;
import io.makeparallel.TaskRuntime;
import io.makeparallel.TaskTimeoutException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.Value;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, the typed bridge: one small exported object per concern, installed as its own
 * binding, each exporting exactly its own methods; absent values are null, not sentinels; one
 * table gives an exception the same kind at a bridge call and as a task's outcome.
 */
class BridgeSurfaceTest {
  /** Binding -> the methods its object exports; the handle and group are handed out by the first. */
  private static final Map<String, Set<String>> BINDINGS = new LinkedHashMap<>();

  static {
    BINDINGS.put("makeparallel.bridge", Set.of("submit", "submitRemote", "submitCluster", "options", "newGroup",
        "currentTaskId", "reportProgress", "currentCancelled", "activeCount", "defaultBackend"));
    BINDINGS.put("makeparallel.control", Set.of("setMaxConcurrent", "configureMemory",
        "configureThreadPool", "configureInterpreters", "configureCluster", "threadPoolSize", "liveThreads", "poolSize",
        "cpuCount", "setPriorityPaused", "shutdown", "resetShutdown"));
    BINDINGS.put("makeparallel.metrics", Set.of("metricNames", "metric", "resetMetrics",
        "recordMetric", "log"));
  }

  @Test
  void eachConcernIsItsOwnBindingExportingOnlyItsMethods() {
    try (Context ctx = MakeParallel.contextBuilder().build()) {
      for (Map.Entry<String, Set<String>> e : BINDINGS.entrySet()) {
        Value v = ctx.getPolyglotBindings().getMember(e.getKey());
        assertNotNull(v, "binding " + e.getKey());
        assertEquals(new TreeSet<>(e.getValue()), exported(v.asHostObject().getClass()), e.getKey());
      }
    }
    // The typed request exports nothing: Python only hands it back.
    assertEquals(Set.of(), exported(SubmitOptions.class));
  }

  @Test
  void noneKeepsTheCurrentPoolSettings() {
    try (TaskRuntime rt = TaskRuntime.builder().threads(2).build()) {
      InterpreterBackend.register(rt);
      ControlBridge control = new ControlBridge(rt, PythonContexts.builder(rt).allowRuntimeControl(true).policy());
      assertNull(control.configureThreadPool(null, 1L << 20));
      assertNull(control.configureThreadPool(3, null));
      assertEquals(List.of(3, 1L << 20), List.of(rt.threadPoolSize(), rt.threadStackSize()),
          "[pool size, stack size] after resizing with the stack size left out");

      assertNull(control.configureInterpreters(1, 7, false));
      assertNull(control.configureInterpreters(2, null, false));
      InterpreterBackend b = (InterpreterBackend) io.makeparallel.internal.RuntimeAccess.get().backend(rt, InterpreterBackend.NAME);
      assertEquals(List.of(2, 7), List.of(b.pool().size(), b.maxTasksPerWorker()),
          "[workers, max tasks per worker] after resizing with the quota left out");
      assertNull(control.configureInterpreters(null, 4, false));
      assertEquals(List.of(2, 4), List.of(b.pool().size(), b.maxTasksPerWorker()));

      assertNull(control.setMaxConcurrent(5));
      assertEquals(5, rt.admission().limit());
      assertNull(control.setMaxConcurrent(null));
      assertNull(rt.admission().limit(), "None removes the limit");
      assertNull(control.poolSize("no-such-backend"), "no pool: None, not -1");
    }
  }

  @Test
  void anExceptionHasOneKindAtACallAndAsATaskOutcome() {
    List<RuntimeException> errors = List.of(
        new TaskTimeoutException("t", java.time.Duration.ofSeconds(1)), new TaskCancelledException("c"), new ShutdownException("s"),
        new MemoryLimitException("m"), new DependencyException("d", "task-1", new ShutdownException("x")));
    for (RuntimeException e : errors) {
      String fault = Bridge.fault(e);
      assertEquals(ErrorView.of(e).kind(), fault.substring(0, fault.indexOf('|')), e.getClass().getSimpleName());
    }
    assertEquals("ValueError|bad", Bridge.fault(new IllegalArgumentException("bad")));
    assertEquals("MakeParallelError|p", Bridge.fault(new MakeParallelException("p")));
    // A task body's own failure is a TaskError naming its class.
    assertEquals(List.of("TaskError", "IllegalStateException: boom"), List.of(
        ErrorView.of(new IllegalStateException("boom")).kind(),
        ErrorView.of(new IllegalStateException("boom")).message()));
  }

  private static Set<String> exported(Class<?> c) {
    Set<String> names = new TreeSet<>();
    Arrays.stream(c.getDeclaredMethods())
        .filter(m -> m.isAnnotationPresent(HostAccess.Export.class))
        .map(Method::getName)
        .forEach(names::add);
    return names;
  }
}
