package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.MakeParallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker interpreter imports what running a task needs, not the package's public API nor the
 * caller's side of shipping. Every module a worker imports is parsed in each worker, held in its
 * heap, and made hot by each worker's start, so the JIT compiles start-up code while tasks wait
 * (B6's replacement worker went 0.41 -> 0.27 s median when 125 modules became 89).
 *
 * <p>The context's own python path makes its policy one no other test uses, so its workers are
 * built for it: their modules are the runner's and the probe's, nothing another test ran.
 */
class LeanWorkerTest {
  /** Modules a worker running an imported function had no need of, before this was fixed. */
  private static final List<String> NOT_IN_A_WORKER = List.of(
      "inspect", "dataclasses", "uuid", "concurrent.futures", "logging",
      "makeparallel.errors", "makeparallel._handle", "makeparallel._submit", "makeparallel._map",
      "makeparallel._launchers", "makeparallel._control", "makeparallel._sync");

  @TempDir
  Path tmp;

  @Test
  void aWorkerThatRanAnImportedFunctionLoadedOnlyWhatRunningItNeeds() throws IOException {
    Files.writeString(tmp.resolve("lean_probe.py"), """
        import sys


        def loaded(_):
            return ",".join(sorted(sys.modules))


        def shared(_):
            import makeparallel._ship as ship
            entry = ship._adopted.get(id(shared.__code__))
            return entry is not None and entry[1] is shared.__code__


        def api_on_demand(_):
            import makeparallel
            before = "makeparallel._launchers" in sys.modules
            handle = makeparallel.AsyncHandle  # any public name loads the whole API
            return "%s %s %s" % (before, "makeparallel._launchers" in sys.modules, handle.__name__)
        """);
    try (Context ctx = MakeParallel.contextBuilder().addPythonPath(tmp).build()) {
      ctx.eval("python", "import makeparallel as mp, lean_probe");
      Value v = ctx.eval("python", "mp.parallel_map(lean_probe.loaded, [0], backend='interpreters')[0]");
      Set<String> modules = new TreeSet<>(List.of(v.asString().split(",")));
      for (String m : List.of("makeparallel._worker", "makeparallel._chunk", "lean_probe")) {
        assertTrue(modules.contains(m), m + " is what ran the task: " + modules);
      }
      for (String m : NOT_IN_A_WORKER) {
        assertFalse(modules.contains(m), m + " was imported into the worker: " + modules);
      }
      // The task ran on the function's shared code, whose source the worker read without inspect.
      assertTrue(ctx.eval("python", "mp.parallel_map(lean_probe.shared, [0], backend='interpreters')[0]")
          .asBoolean(), "the imported function runs on its shared code");

      // The API is there when a task asks for it, loaded then.
      String api = ctx.eval("python",
          "mp.parallel_map(lean_probe.api_on_demand, [0], backend='interpreters')[0]").asString();
      assertEquals("False True AsyncHandle", api);
    }
  }
}
