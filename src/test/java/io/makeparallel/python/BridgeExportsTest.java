package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MakeParallel;
import java.util.List;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Value;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, security item 2: the bridge exports nothing that widens what its context may do.
 * No {@code env}; diagnostics only where the builder opted in; task ids of another context
 * (another tenant of the process-wide runtime) are not found.
 */
class BridgeExportsTest {
  private static final String INSPECT = """
      import polyglot
      import makeparallel as mp
      import makeparallel._bridge

      def inspect():
          b = polyglot.import_value("makeparallel.bridge")
          d = polyglot.import_value("makeparallel.diagnostics")
          return [hasattr(b, "env"), hasattr(b, "heapUsedAfterGc"), hasattr(b, "openWorkerContexts"),
                  d is not None, getattr(makeparallel._bridge, "diagnostics", None) is not None,
                  d is not None and d.openWorkerContexts() >= 0, b.defaultBackend()]
      """;

  @Test
  void aDefaultContextGetsNeitherTheEnvironmentNorDiagnostics() {
    try (Context ctx = MakeParallel.contextBuilder().build()) {
      List<Object> seen = inspect(ctx);
      assertEquals(List.of(false, false, false, false, false, false), seen.subList(0, 6),
          "[env, heapUsedAfterGc, openWorkerContexts on the bridge, diagnostics binding, in the package,"
              + " usable]: " + seen);
      assertTrue(List.of("threads", "interpreters").contains(seen.get(6)), "default backend " + seen.get(6));
      // The one thing the package took from the environment still works: the default backend.
      Value backend = ctx.eval("python", "from makeparallel import _submit\n_submit.default_backend");
      assertEquals(seen.get(6), backend.execute().asString());
    }
  }

  @Test
  void anOptedInContextGetsDiagnosticsApartFromTheBridge() {
    try (Context ctx = PythonTestSupport.newContext()) {
      List<Object> seen = inspect(ctx);
      assertEquals(List.of(false, false, false, true, true, true), seen.subList(0, 6), seen.toString());
    }
  }

  @Test
  void aTaskOfOneContextCannotBeFoundFromAnother() {
    try (Context a = MakeParallel.contextBuilder().build();
        Context b = MakeParallel.contextBuilder().build()) {
      String lookup = """
          import threading
          import makeparallel as mp
          from makeparallel._bridge import bridge

          def lookup(tid):
              fault = bridge.reportProgress(tid, 0.5)
              found = fault is None or not fault.startswith("ValueError|no running task")
              try:
                  mp.report_progress(0.5, task_id=tid)
                  progressed = True
              except ValueError:
                  progressed = False
              return [found, progressed]
          """;
      a.eval("python", lookup + """
          gate = threading.Event()
          held = mp.parallel(backend="threads")(gate.wait)(300)
          tid = held.get_task_id()
          """);
      b.eval("python", lookup);
      String tid = a.getBindings("python").getMember("tid").asString();
      try {
        Value fromB = b.getBindings("python").getMember("lookup").execute(tid);
        assertEquals(List.of(false, false), List.of(fromB.getArrayElement(0).asBoolean(),
            fromB.getArrayElement(1).asBoolean()), "context B reached context A's task " + tid);
        Value fromA = a.getBindings("python").getMember("lookup").execute(tid);
        assertEquals(List.of(true, true), List.of(fromA.getArrayElement(0).asBoolean(),
            fromA.getArrayElement(1).asBoolean()), "context A lost its own task " + tid);
      } finally {
        a.eval("python", "gate.set()\nheld.get(timeout=60)");
      }
    }
  }

  private static List<Object> inspect(Context ctx) {
    ctx.eval("python", INSPECT);
    Value v = ctx.getBindings("python").getMember("inspect").execute();
    return List.of(v.getArrayElement(0).asBoolean(), v.getArrayElement(1).asBoolean(),
        v.getArrayElement(2).asBoolean(), v.getArrayElement(3).asBoolean(), v.getArrayElement(4).asBoolean(),
        v.getArrayElement(5).asBoolean(), v.getArrayElement(6).asString());
  }
}
