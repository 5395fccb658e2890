package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MakeParallel;
import io.makeparallel.TaskRuntime;
import java.util.List;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, "nothing exported to a guest that its context's permissions do not already allow":
 * shutdown, limits, pool sizes, the priority worker and the metrics reset act on every context of
 * the runtime, so a context gets them only when its builder allowed runtime control. A guest
 * without it, in the context itself or in its worker interpreters, gets PermissionError and the
 * runtime is left exactly as it was.
 */
class RuntimeControlTest {
  private static final String PROBE = """
      import makeparallel as mp

      CALLS = [
          ("shutdown", lambda: mp.shutdown(0.0, cancel_pending=True)),
          ("reset_shutdown", lambda: mp.reset_shutdown()),
          ("max_concurrent", lambda: mp.set_max_concurrent_tasks(1)),
          ("memory_limit", lambda: mp.configure_memory_limit(1.0)),
          ("thread_pool", lambda: mp.configure_thread_pool(num_threads=1)),
          ("interpreters", lambda: mp.configure(interpreters=1)),
          ("stop_priority", lambda: mp.stop_priority_worker()),
          ("start_priority", lambda: mp.start_priority_worker()),
          ("reset_metrics", lambda: mp.reset_metrics()),
      ]

      def attempt_all():
          out = []
          for name, call in CALLS:
              try:
                  call()
                  out.append(name + ":ok")
              except PermissionError as e:
                  out.append(name + ":denied" + (":runtime control" if "runtime control" in str(e) else ""))
              except BaseException as e:
                  out.append(name + ":" + type(e).__name__)
          return ",".join(out)

      @mp.parallel(backend="interpreters")
      def in_worker():
          import makeparallel as mp
          out = []
          for name, call in [("shutdown", lambda: mp.shutdown(0.0, cancel_pending=True)),
                             ("max_concurrent", lambda: mp.set_max_concurrent_tasks(1)),
                             ("reset_metrics", lambda: mp.reset_metrics())]:
              try:
                  call()
                  out.append(name + ":ok")
              except PermissionError:
                  out.append(name + ":denied")
          return ",".join(out)

      @mp.parallel
      def counted():
          return 1
      """;

  @Test
  void aContextWithoutRuntimeControlCannotChangeTheSharedRuntime() {
    TaskRuntime rt = MakeParallel.runtime();
    rt.resetShutdown();
    Integer limit = rt.admission().limit();
    int threads = rt.threadPoolSize();
    try (Context ctx = MakeParallel.contextBuilder().build()) {
      ctx.eval("python", PROBE);
      assertEquals(1, ctx.eval("python", "counted().get(timeout=60)").asInt());
      String inContext = ctx.eval("python", "attempt_all()").asString();
      for (String call : List.of("shutdown", "reset_shutdown", "max_concurrent", "memory_limit", "thread_pool",
          "interpreters", "stop_priority", "start_priority", "reset_metrics")) {
        assertTrue(inContext.contains(call + ":denied:runtime control"), call + " in the context: " + inContext);
      }
      assertEquals("shutdown:denied,max_concurrent:denied,reset_metrics:denied",
          ctx.eval("python", "in_worker().get(timeout=120)").asString(), "in its worker interpreter");
      // The runtime is as it was, and this context's own work still runs.
      assertFalse(rt.isShutdown(), "shut down by a guest");
      assertEquals(limit, rt.admission().limit());
      assertEquals(threads, rt.threadPoolSize());
      assertFalse(rt.isPriorityPaused());
      assertTrue(rt.metrics().get("counted").isPresent(), "metrics reset by a guest");
      assertEquals(1, ctx.eval("python", "counted().get(timeout=60)").asInt());
    }
  }

  @Test
  void aContextAllowedRuntimeControlChangesIt() {
    TaskRuntime rt = MakeParallel.runtime();
    try (Context ctx = MakeParallel.contextBuilder().allowRuntimeControl(true).build()) {
      ctx.eval("python", "import makeparallel as mp\nmp.set_max_concurrent_tasks(7)\nmp.stop_priority_worker()");
      assertEquals(7, rt.admission().limit());
      assertTrue(rt.isPriorityPaused());
      ctx.eval("python", "mp.set_max_concurrent_tasks(None)\nmp.start_priority_worker()");
      assertNull(rt.admission().limit());
      assertFalse(rt.isPriorityPaused());
    } finally {
      rt.admission().setLimit(null);
      rt.setPriorityPaused(false);
    }
  }

  @Test
  void runtimeControlIsPartOfThePolicySoWorkersAreNotShared() {
    assertNotEquals(MakeParallel.contextBuilder().policy(),
        MakeParallel.contextBuilder().allowRuntimeControl(true).policy());
    assertTrue(MakeParallel.contextBuilder().allowRuntimeControl(true).policy().builder(MakeParallel.runtime())
        .policy().runtimeControl, "a worker built from the policy keeps it");
    assertFalse(ContextPolicy.NARROWEST.runtimeControl);
  }
}
